// Offline support: on install, cache every file precache.json lists, each checked against its
// sha256; then answer from that cache first (pyodide.asm.wasm aside: see WASM). The cache is
// named by the site version (the ?v= this script is registered with). A new version does not skip
// waiting: it activates (and drops the old cache) only once no page of the old version is open,
// so an open page never gets another build's files.
const VERSION = new URL(self.location.href).searchParams.get("v") ?? "unversioned";
const CACHE = `pynn-${VERSION}`;
const LISTING = new URL("precache.json", self.location.href).href;
// Chromium keeps V8's compiled code for pyodide.asm.wasm (most of a return visit's speed) with
// the HTTP cache's copy, and loading the same URL from Cache Storage throws that code away. So
// while the server was just seen serving this very version (by the listing, which the worker
// fetches first), the wasm is left to the network and the HTTP cache; otherwise (offline, the
// server gone or rebuilt) it comes from this cache like everything else.
const WASM = new URL("pyodide/pyodide.asm.wasm", self.location.href).href;
const SERVER_SEEN_MS = 10_000;
let serverSeenAt = -Infinity;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const response = await fetch(LISTING, { cache: "no-cache" });
    if (!response.ok) throw new Error(`precache.json: HTTP ${response.status}`);
    const { version, files, integrity } = await response.clone().json();
    // The server was rebuilt between the page's look and this one: install nothing.
    if (version !== VERSION) throw new Error(`precache.json is version ${version}, not ${VERSION}`);
    // Every file is checked against its sha256 before anything is cached: a file corrupted on its
    // way fails the install (the page then loads from the network, and the next visit tries again)
    // instead of being served from this cache until the next version.
    const fetched = await Promise.all(files.map(async (file) => {
      const request = new Request(new URL(file, self.location.href), { cache: "no-cache", integrity: integrity[file] });
      const answer = await fetch(request);
      if (!answer.ok) throw new Error(`${file}: HTTP ${answer.status}`);
      return [request, answer];
    }));
    const cache = await caches.open(CACHE);
    await Promise.all(fetched.map(([request, answer]) => cache.put(request, answer)));
    await cache.put(LISTING, response);
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("pynn-") && name !== CACHE)
                           .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

async function fromCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreSearch: request.mode === "navigate" });
  return hit ?? fetch(request);
}

// The listing is how the page learns of a new version, so it must come from the network
// whenever there is one.
async function fromNetworkFirst(request) {
  try {
    const response = await fetch(request);
    const { version } = response.ok ? await response.clone().json().catch(() => ({})) : {};
    serverSeenAt = version === VERSION ? performance.now() : -Infinity;
    return response;
  } catch (error) {
    serverSeenAt = -Infinity;
    const hit = await caches.match(request, { cacheName: CACHE });
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.url === WASM && performance.now() - serverSeenAt < SERVER_SEEN_MS) return;
  const listing = request.url.split("?")[0] === LISTING;
  event.respondWith(listing ? fromNetworkFirst(request) : fromCacheFirst(request));
});
