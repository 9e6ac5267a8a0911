// Where your models and your digits live across visits: IndexedDB (database "pynn", store
// "models"; your digits are one record there, the digits file), and the last model chosen in
// localStorage. Either may be missing or broken (private modes, full
// disks, a browser that never answers): every failure becomes a StorageError with a reason,
// and the page goes on without storage.

const DATABASE = "pynn";
const STORE = "models";
// An open() that is blocked or never answers must not hold the page up.
const OPEN_TIMEOUT_MS = 4000;

export class StorageError extends Error {
  name = "StorageError";
}

function reason(error, doing) {
  if (error?.name === "QuotaExceededError") {
    return new StorageError(`the browser's storage is full (${error.message || "quota exceeded"})`);
  }
  return new StorageError(`${doing} failed: ${error?.message || error?.name || "no reason given"}`);
}

let opening = null; // the one open attempt; a failure is kept, so the page asks only once

function openDatabase() {
  opening ??= new Promise((resolve, reject) => {
    if (typeof indexedDB === "undefined") {
      reject(new StorageError("this browser has no IndexedDB"));
      return;
    }
    const timer = setTimeout(() => {
      reject(new StorageError(`the browser's storage did not answer in ${OPEN_TIMEOUT_MS / 1000} s`));
    }, OPEN_TIMEOUT_MS);
    let request;
    try {
      request = indexedDB.open(DATABASE, 1);
    } catch (error) {
      clearTimeout(timer);
      reject(reason(error, "opening the storage"));
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => {
      clearTimeout(timer);
      const database = request.result;
      database.onversionchange = () => database.close();
      resolve(database);
    };
    request.onerror = () => {
      clearTimeout(timer);
      reject(reason(request.error, "opening the storage"));
    };
  });
  return opening;
}

/** Opens the storage now, while Python starts, so that restoring what it keeps does not wait for
 * that after Python is up (a failure is told by the first read, as before). */
export function openStorageEarly() {
  openDatabase().catch(() => {});
}

async function transaction(mode, action, doing) {
  const database = await openDatabase();
  return new Promise((resolve, reject) => {
    let tx;
    let request;
    try {
      tx = database.transaction(STORE, mode);
      // put() itself may throw (a full disk, a value it cannot clone): then nothing is written
      request = action(tx.objectStore(STORE));
    } catch (error) {
      try { tx?.abort(); } catch { /* ended already */ }
      reject(reason(error, doing));
      return;
    }
    tx.oncomplete = () => resolve(request.result);
    // An abort may carry no error at all (tx.error is null then).
    tx.onerror = tx.onabort = () => reject(reason(tx.error ?? request.error, doing));
  });
}

/** Stores a model's JSON text under `name`, with when and what it was. */
export function saveModel(name, json, description) {
  const record = { json, savedAt: new Date().toISOString(), description };
  return transaction("readwrite", (store) => store.put(record, name), "saving");
}

/** The saved record {json, savedAt, description} for `name`, or undefined. */
export function loadSavedModel(name) {
  return transaction("readonly", (store) => store.get(name), "reading the saved model");
}

const DIGITS_KEY = "your-digits";

/** Stores your digits: the bytes of their file (pynn.page.your_digits), as one record. */
export function saveDigitsFile(bytes) {
  return transaction("readwrite", (store) => store.put({ bytes, savedAt: new Date().toISOString() }, DIGITS_KEY),
                     "saving your digits");
}

/** The stored digits file's bytes, or undefined if none was stored. */
export async function loadDigitsFile() {
  const record = await transaction("readonly", (store) => store.get(DIGITS_KEY), "reading your digits");
  return record?.bytes;
}

const CHECKPOINT_KEY = "run-checkpoint";

/** Stores the training run's latest checkpoint {bytes, version, settings, charts}, replacing
 * the one before in one transaction: a full disk leaves the previous one whole. */
export function saveCheckpoint(record) {
  return transaction("readwrite", (store) => store.put({ ...record, savedAt: new Date().toISOString() },
                                                       CHECKPOINT_KEY), "keeping the run's progress");
}

/** The stored checkpoint record, or undefined. */
export function loadCheckpoint() {
  return transaction("readonly", (store) => store.get(CHECKPOINT_KEY), "reading the unfinished run");
}

export function dropCheckpoint() {
  return transaction("readwrite", (store) => store.delete(CHECKPOINT_KEY), "discarding the unfinished run");
}

const LATEST_KEY = "latest-model";

/** Keeps the latest finished run's or fine-tune's model without Save, {name, bytes (its .npz)}, replacing the one before in one transaction (a full disk leaves that one whole). */
export function saveLatestModel(record) {
  return transaction("readwrite", (store) => store.put({ ...record, savedAt: new Date().toISOString() },
                                                       LATEST_KEY), "keeping your latest model");
}

/** The latest unsaved model's record {name, bytes, savedAt}, or undefined. */
export function loadLatestModel() {
  return transaction("readonly", (store) => store.get(LATEST_KEY), "reading your latest model");
}

export function dropLatestModel() {
  return transaction("readwrite", (store) => store.delete(LATEST_KEY), "dropping your latest model");
}

let persisting = null;

/** Asks the browser once to keep this site's storage under pressure (it may say no). */
export function askToPersist() {
  persisting ??= navigator.storage?.persist?.().catch(() => false) ?? Promise.resolve(false);
  return persisting;
}

const ACTIVE_KEY = "pynn.active-model";

/** The last model chosen; without localStorage it is simply not remembered. */
export const rememberedModel = {
  get: () => { try { return localStorage.getItem(ACTIVE_KEY); } catch { return null; } },
  set: (name) => { try { localStorage.setItem(ACTIVE_KEY, name); } catch { /* not remembered */ } },
};
