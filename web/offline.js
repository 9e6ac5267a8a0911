// Registers the service worker (sw.js) for the site version in precache.json, so that
// after one visit the page loads and predicts with no network at all.

function activated(worker) {
  if (!worker || worker.state === "activated") return Promise.resolve();
  return new Promise((resolve, reject) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve();
      if (worker.state === "redundant") reject(new Error("the service worker could not install"));
    });
  });
}

/** Resolves with the site version once it is cached for offline use. */
export async function enableOffline() {
  if (!("serviceWorker" in navigator)) throw new Error("this browser has no service workers");
  const response = await fetch("precache.json", { cache: "no-cache" });
  const { version } = await response.json();
  const registration = await navigator.serviceWorker.register(`sw.js?v=${version}`);
  await activated(registration.installing ?? registration.waiting ?? registration.active);
  return version;
}
