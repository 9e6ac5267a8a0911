// The pool's size: the "workers" setting (pynn.page.settings.WORKERS), "auto" or a count, and its
// select, which lives in the URL hash like the training settings. "auto" is one worker per core,
// as many as a share of the device's memory holds (navigator.deviceMemory, where known); a
// number pins it.
import { CONFIG } from "./config.js";

const FIELD = CONFIG.workers;
const MAX = Math.max(...FIELD.choices.filter((choice) => choice !== "auto").map(Number));

/** How many workers, the main one included, `choice` ("auto" or a count) means here. */
export function poolSize(choice, { cores = navigator.hardwareConcurrency || 1, deviceGB = navigator.deviceMemory } = {}) {
  if (choice !== "auto") return Number(choice);
  const byMemory = deviceGB === undefined ? cores
    : Math.floor((deviceGB * 1024 * CONFIG.pool_memory_share) / CONFIG.worker_mib);
  return Math.max(1, Math.min(cores, byMemory, MAX));
}

/** The "workers" select: filled from the setting, read from and written to the URL hash. A
 * value the hash gives that is not a choice is said at the field, and "auto" is used. */
export function bindWorkersSetting(select, message, pool) {
  select.replaceChildren(...FIELD.choices.map((choice) => new Option(choice, choice)));
  const read = () => {
    const wanted = new URLSearchParams(location.hash.slice(1)).get(FIELD.name);
    const known = wanted === null || FIELD.choices.includes(wanted);
    pool.choice = known && wanted !== null ? wanted : FIELD.default;
    select.value = pool.choice;
    message.textContent = known ? "" : `${FIELD.label}: “${wanted}” is not one of ${FIELD.choices.join(", ")}; `
      + `using ${FIELD.default}.`;
    describe();
  };
  const describe = () => {
    select.title = `${FIELD.help} (here: ${pool.size} worker${pool.size > 1 ? "s" : ""})`;
  };
  select.addEventListener("change", () => {
    pool.choice = select.value;
    message.textContent = "";
    const params = new URLSearchParams(location.hash.slice(1));
    params.set(FIELD.name, select.value);
    history.replaceState(history.state, "", `#${params.toString().replaceAll("%2C", ",")}`);
    describe();
  });
  addEventListener("hashchange", read);
  read();
}
