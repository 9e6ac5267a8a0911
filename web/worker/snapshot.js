// Python's memory snapshot: a started interpreter (the stdlib imported, no packages), made
// once in the background by snapshot-worker.js and kept in Cache Storage, so that a return
// visit restores it in a fraction of a second instead of starting Python from scratch.
//
// It rests on Pyodide 0.27's private snapshot API (loadPyodide's _makeSnapshot and
// _loadSnapshot, pyodide.makeMemorySnapshot). A snapshot only works with the build that
// made it, so it is kept under the Pyodide version and the site version (precache.json's,
// which changes whenever any shipped file does), and checked by length and sha256 before
// use. Anything unexpected (no Cache Storage, no entry, a corrupt or mismatched one) means
// "no snapshot": the caller boots normally, and nobody is told.

// Not "pynn-…": the service worker deletes every cache of that name but its own.
const CACHE = "python-snapshot";
const MAGIC = 0x706e7300; // Pyodide's "\0snp"
const HEADER_BYTES = 48;

const here = (path) => new URL(`../${path}`, import.meta.url).href; // paths from the site root

function storage() {
  return typeof caches === "object" && caches ? caches : null;
}

async function sha256(bytes) {
  if (!globalThis.crypto?.subtle) return null; // insecure contexts have none (nor Cache Storage)
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** The Cache Storage key of this build's snapshot, or null when there can be none. */
export async function snapshotKey(pyodideVersion) {
  if (!storage()) return null;
  try {
    const response = await fetch(here("precache.json"), { cache: "no-cache" });
    if (!response.ok) return null;
    const { version } = await response.json();
    return version ? here(`python-snapshot/pyodide-${pyodideVersion}/site-${version}`) : null;
  } catch {
    return null;
  }
}

/** The one snapshot kept (whichever build made it): {key, bytes}, its bytes already being read
 * and checked (a promise that rejects if they are bad), or null. Read before the caller knows
 * this build's key, so that reading 20 MB overlaps with asking the server for that. */
export async function findStoredSnapshot() {
  try {
    const cache = await storage()?.open(CACHE);
    const [request] = (await cache?.keys()) ?? [];
    const response = request && (await cache.match(request));
    if (!response) return null;
    const bytes = readSnapshot(response);
    bytes.catch(() => {}); // awaited by the caller, if this is its build's
    return { key: request.url, bytes };
  } catch {
    return null;
  }
}

/** The snapshot's bytes, checked against what was stored with them; rejects if they are not. */
async function readSnapshot(response) {
  const bytes = new Uint8Array(await response.arrayBuffer());
  const length = Number(response.headers.get("x-snapshot-length"));
  if (bytes.length !== length || bytes.length < HEADER_BYTES || bytes.length % 4) {
    throw new Error("the stored snapshot has the wrong length");
  }
  if (new Uint32Array(bytes.buffer, 0, 1)[0] !== MAGIC) throw new Error("the stored snapshot is not a snapshot");
  const expected = response.headers.get("x-snapshot-sha256");
  const actual = await sha256(bytes);
  if (!expected || actual !== expected) throw new Error("the stored snapshot does not match its checksum");
  return bytes;
}

/** Keeps ``bytes`` as this build's snapshot and drops any other. */
export async function storeSnapshot(key, bytes, buildId) {
  const cache = await storage().open(CACHE);
  for (const old of await cache.keys()) if (old.url !== key) await cache.delete(old);
  const headers = { "content-type": "application/octet-stream", "x-snapshot-length": String(bytes.length),
                    "x-snapshot-sha256": await sha256(bytes), "x-pyodide-build": buildId ?? "" };
  await cache.put(key, new Response(bytes, { headers }));
}

export async function dropSnapshot(key) {
  try {
    await (await storage()?.open(CACHE))?.delete(key);
  } catch {
    // nothing to drop, or nowhere to drop it from
  }
}

/** Makes and stores a snapshot in a worker of its own; resolves with {ok, ms, bytes} or {ok: false, message}. */
export function makeSnapshotInBackground(key, modules) {
  return new Promise((resolve) => {
    let worker;
    try {
      worker = new Worker(new URL("./snapshot-worker.js", import.meta.url), { type: "module" });
    } catch (error) {
      resolve({ ok: false, message: String(error?.message ?? error) });
      return;
    }
    const done = (result) => {
      worker.terminate();
      resolve(result);
    };
    worker.addEventListener("message", ({ data }) => done(data));
    worker.addEventListener("error", (event) => {
      event.preventDefault();
      done({ ok: false, message: event.message || "the snapshot worker failed" });
    });
    worker.postMessage({ key, modules });
  });
}
