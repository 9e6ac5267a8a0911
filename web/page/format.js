// How numbers are shown, in one place: plain numbers, sizes in MB (MiB, as
// pynn.page.browser.megabytes), durations, accuracies.

/** A number as a person writes it: 1,000 and 4,294,967,295, 0.000001 (never 1e-6 or 4.29e+9),
 * as pynn.page.settings.spoken_number writes it in Python's messages. */
export function number(n) {
  return n.toLocaleString("en", { maximumFractionDigits: 20 });
}

export function megabytes(bytes) {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}

export function duration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return "–";
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
}

/** "97.31%" for an accuracy from 0 to 1; null for anything else (a model file may say anything). */
export function percent(accuracy) {
  if (typeof accuracy !== "number" || !(accuracy >= 0 && accuracy <= 1)) return null;
  return `${(accuracy * 100).toFixed(2)}%`;
}
