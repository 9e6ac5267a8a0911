// Offline support and one build per page. The service worker (sw.js) caches one site version
// (precache.json's) and serves it; a new version waits until no page of the old one is open.
// Files this page loads later (the worker on Restart, MNIST on the first run) must come from
// the build it was loaded from: keepsOwnVersion() checks that first.

const versionOf = (url) => new URL(url).searchParams.get("v");

async function networkVersion() {
  const response = await fetch(new URL("../precache.json", import.meta.url), { cache: "no-store" });
  if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
  return (await response.json()).version;
}

// The version that answers this page's requests: its service worker's cache, or else the server's.
function servingVersion() {
  const controller = navigator.serviceWorker?.controller;
  return controller ? Promise.resolve(versionOf(controller.scriptURL)) : networkVersion().catch(() => null);
}

/** The version of the build this page was loaded from (null if it cannot be told). */
export const pageVersion = servingVersion();

/** Whether files loaded from now on come from this page's build (true when it cannot be told,
 * e.g. offline with no service worker: then nothing newer can arrive either). */
export async function keepsOwnVersion() {
  const [own, serving] = await Promise.all([pageVersion, servingVersion()]);
  return own === null || serving === null || own === serving;
}

function activated(worker) {
  if (!worker || worker.state === "activated") return Promise.resolve();
  return new Promise((resolve, reject) => {
    worker.addEventListener("statechange", () => {
      if (worker.state === "activated") resolve();
      if (worker.state === "redundant") reject(new Error("the service worker could not install"));
    });
  });
}

/** Registers the service worker of the newest version; resolves with this page's version once
 * it is cached for offline use (a newer one installs and waits for the old pages to close). */
export async function enableOffline() {
  if (!("serviceWorker" in navigator)) throw new Error("this browser has no service workers");
  const [own, newest] = await Promise.all([pageVersion, networkVersion()]);
  const registration = await navigator.serviceWorker.register(`sw.js?v=${newest}`);
  if (own === newest) await activated(registration.installing ?? registration.waiting ?? registration.active);
  return own;
}
