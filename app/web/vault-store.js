// What the app keeps in the browser, in IndexedDB: the keystore, sealed by the wasm core under a passkey's
// PRF output or a passphrase, and the settings. Nothing here is secret in clear: the keystore record holds
// ciphertext, the passkey's credential id and PRF salt (both public), and the account address to greet the
// owner with; the settings hold the relay, the chain, the RPC and any test-only platform roots (public).

const DB = "dnavault-app";
const STORE = "keystore";
const KEY = "owner";
const SETTINGS = "settings";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const tx = db.transaction(STORE, mode);
      const request = action(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(request.result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error("the browser refused to store the keystore"));
    });
  } finally {
    db.close();
  }
}

/** The sealed keystore record, or undefined on a new device. */
export function load() {
  return run("readonly", (store) => store.get(KEY));
}

/**
 * Stores `record` ({kind: "passkey"|"passphrase", sealed: Uint8Array, address, credentialId?, prfSalt?}):
 * one write, so a crash leaves the old record or the new one.
 */
export function save(record) {
  return run("readwrite", (store) => store.put({ version: 1, ...record }, KEY));
}

/** Forgets the keystore and the settings on this device (the words restore the keys). */
export function forget() {
  return run("readwrite", (store) => {
    store.delete(SETTINGS);
    return store.delete(KEY);
  });
}

/** The settings ({relay, chainId, registry, rpcUrl, topic, testRoots?}), or undefined before pairing. */
export function loadSettings() {
  return run("readonly", (store) => store.get(SETTINGS));
}

/** Stores the settings, one write. */
export function saveSettings(settings) {
  return run("readwrite", (store) => store.put({ version: 1, ...settings }, SETTINGS));
}
