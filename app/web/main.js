// The authenticator's screens. Everything that touches a key runs in the wasm core (`pkg/dnavault_app.js`);
// this file draws screens, reads taps and calls browser APIs (IndexedDB through vault-store.js, WebAuthn
// through passkey.js). The unlocked wallet lives only in the core's memory and is freed (zeroized) on lock.

import init, { Wallet, coreVersion, explainTypedData } from "./pkg/dnavault_app.js";
import { closeOwner, vaultsScreen } from "./consent.js";
import { closeInbox, inboxScreen, settingsScreen } from "./inbox.js";
import * as passkey from "./passkey.js";
import * as store from "./vault-store.js";
import { WAIT_MS, alert, busy, el, facts, field, messageOf, show, within } from "./ui.js";

/** The inactivity lock: the wallet is freed after this long without a tap or key. */
const LOCK_AFTER_MS = 5 * 60 * 1000;
const MIN_PASSPHRASE = 10;

let wallet = null;
let lastUse = Date.now();
/** Opened from the website dashboard's pairing link (`/app/#pair`): pair once the wallet is open. */
let pairOnOpen = location.hash === "#pair";

function short(address) {
  return `${address.slice(0, 8)}…${address.slice(-6)}`;
}

/** What the inbox and settings screens use of this one. */
const app = { wallet: () => wallet, home: () => home() };

function setWallet(next) {
  closeInbox();
  closeOwner();
  wallet?.free();
  wallet = next;
  document.getElementById("lock").hidden = !wallet;
  armLock();
}

function armLock() {
  lastUse = Date.now();
}

/**
 * Locks once LOCK_AFTER_MS passed since the last tap or key. Checked every few seconds and whenever the
 * page comes back to the foreground: a phone suspends timers in the background, so elapsed time, not a
 * timer, decides.
 */
function lockIfIdle() {
  if (wallet && Date.now() - lastUse >= LOCK_AFTER_MS) lock("Locked after 5 minutes without use.");
}

async function lock(reason) {
  setWallet(null);
  const record = await store.load();
  if (record) locked(record, reason);
  else welcome();
}

// --- First run ---------------------------------------------------------------------------------------

function welcome() {
  show(
    el("h1", {}, "Your DNA Vault keys"),
    el("p", {}, "This app holds the keys to your genome's vault. Your vault asks it before it starts, before a researcher's query runs and before its code changes; nothing is approved without your tap."),
    el("p", {}, "Every key comes from 12 recovery words. They never leave this phone unless you ask to see them."),
    el("button", { class: "primary", onclick: () => newWords(Wallet.generate()) }, "Create a new wallet"),
    el("button", { onclick: restore }, "Restore from recovery words"),
  );
}

function newWords(candidate) {
  const words = candidate.recoveryWords().split(" ");
  show(
    el("h1", {}, "Your recovery words"),
    el("p", { class: "warning" }, "Write these 12 words on paper, in order, and keep them safe. They are shown once. Anyone who has them controls your vaults; without them a lost phone is a lost wallet."),
    el("ol", { class: "words" }, words.map((word) => el("li", {}, word))),
    el("button", { class: "primary", onclick: () => confirmWords(candidate) }, "I have written them down"),
  );
}

function confirmWords(candidate) {
  const positions = candidate.confirmationPositions();
  const inputs = [];
  const errors = el("div");
  const fields = Array.from(positions, (position) => {
    const [wrapper, input] = field(`Word ${position}`, { autocomplete: "off", autocapitalize: "none", spellcheck: "false", inputmode: "text" });
    inputs.push(input);
    return wrapper;
  });
  const check = el("button", { class: "primary", type: "submit" }, "Continue");
  show(
    el("h1", {}, "Check your words"),
    el("p", {}, "Type the words at these positions from your paper copy."),
    el("form", {
      onsubmit: (event) => {
        event.preventDefault();
        if (candidate.confirmWords(positions, inputs.map((i) => i.value))) protect(candidate);
        else errors.replaceChildren(alert("Those words do not match what was shown: check your paper copy and try again."));
      },
    }, fields, errors, check),
    el("button", { class: "quiet", onclick: () => { candidate.free(); newWords(Wallet.generate()); } }, "Start over with new words"),
  );
}

function restore() {
  const [wordsField, words] = field("Recovery words (12, 15, 18, 21 or 24)", { rows: 4, autocomplete: "off", autocapitalize: "none", spellcheck: "false" });
  const [extraField, extra] = field("BIP39 passphrase, if you set one", { type: "password", autocomplete: "off" });
  const errors = el("div");
  const button = el("button", { class: "primary", type: "submit" }, "Restore");
  show(
    el("h1", {}, "Restore your wallet"),
    el("p", {}, "Type your recovery words in order, separated by spaces."),
    el("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(button, "Restoring…", errors, async () => {
          const restored = Wallet.restore(words.value, extra.value);
          words.value = "";
          extra.value = "";
          protect(restored);
        });
      },
    }, wordsField, el("details", {}, el("summary", {}, "Advanced"), extraField), errors, button),
    el("button", { class: "quiet", onclick: welcome }, "Back"),
  );
}

async function protect(candidate) {
  const address = candidate.identity(0).address;
  const errors = el("div");
  const hasPasskey = await passkey.available();
  const passkeyButton = el("button", { class: "primary" }, "Use a passkey");
  passkeyButton.addEventListener("click", () =>
    busy(passkeyButton, "Waiting for your passkey…", errors, async () => {
      const { credentialId, prfSalt, prf } = await passkey.create(address);
      let sealed;
      try {
        sealed = candidate.sealWithPasskey(prf);
      } finally {
        prf.fill(0);
      }
      await store.save({ kind: "passkey", sealed, credentialId, prfSalt, address });
      setWallet(candidate);
      home();
    }));
  show(
    el("h1", {}, "Protect this wallet"),
    el("p", {}, `Wallet ${short(address)} is ready. Choose how this phone locks it: the words are stored only encrypted, and opening them needs you.`),
    hasPasskey
      ? [passkeyButton, el("p", { class: "muted" }, "Your fingerprint, face or screen lock unlocks it. Recommended.")]
      : el("p", { class: "muted" }, "This browser offers no passkey: protect the wallet with a passphrase."),
    passphraseForm(candidate, address, errors, hasPasskey ? "Or a passphrase" : "A passphrase"),
    errors,
  );
}

function passphraseForm(candidate, address, errors, title) {
  const [firstField, first] = field(`Passphrase (at least ${MIN_PASSPHRASE} characters)`, { type: "password", autocomplete: "new-password" });
  const [againField, again] = field("The same passphrase again", { type: "password", autocomplete: "new-password" });
  const button = el("button", { type: "submit" }, "Use this passphrase");
  return el("form", {
    class: "card",
    onsubmit: (event) => {
      event.preventDefault();
      if (first.value.length < MIN_PASSPHRASE) return errors.replaceChildren(alert(`The passphrase is too short: use at least ${MIN_PASSPHRASE} characters.`));
      if (first.value !== again.value) return errors.replaceChildren(alert("The two passphrases differ: type the same one twice."));
      busy(button, "Encrypting (a few seconds)…", errors, async () => {
        const sealed = candidate.sealWithPassphrase(first.value);
        first.value = again.value = "";
        await store.save({ kind: "passphrase", sealed, address });
        setWallet(candidate);
        home();
      });
    },
  }, el("h2", {}, title), firstField, againField, button);
}

// --- Locked ------------------------------------------------------------------------------------------

function locked(record, reason) {
  const errors = el("div");
  const unlockWith = (open) => async () => {
    setWallet(open());
    home();
  };
  let body;
  if (record.kind === "passkey") {
    const button = el("button", { class: "primary" }, "Unlock with your passkey");
    button.addEventListener("click", () =>
      busy(button, "Waiting for your passkey…", errors, async () => {
        const prf = await passkey.evaluate(record.credentialId, record.prfSalt);
        try {
          await unlockWith(() => Wallet.openWithPasskey(record.sealed, prf))();
        } finally {
          prf.fill(0);
        }
      }));
    body = button;
  } else {
    const [passField, pass] = field("Passphrase", { type: "password", autocomplete: "current-password" });
    const button = el("button", { class: "primary", type: "submit" }, "Unlock");
    body = el("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(button, "Unlocking (a few seconds)…", errors, async () => {
          const text = pass.value;
          pass.value = "";
          await unlockWith(() => Wallet.openWithPassphrase(record.sealed, text))();
        });
      },
    }, passField, button);
  }
  show(
    el("h1", {}, "Unlock your wallet"),
    reason ? el("p", { class: "muted", role: "status" }, reason) : null,
    el("p", {}, `Wallet ${short(record.address)} on this phone.`),
    body,
    errors,
    el("button", { class: "quiet", onclick: () => forgetDevice(record) }, "Lost access? Restore from your recovery words"),
  );
}

function forgetDevice(record) {
  show(
    el("h1", {}, "Restore from your words"),
    el("p", { class: "warning" }, `This removes wallet ${short(record.address)} from this phone; your recovery words restore it here or anywhere. Without them it cannot be recovered.`),
    el("button", { class: "danger", onclick: async () => { await store.forget(); restore(); } }, "Remove it and restore from words"),
    el("button", { class: "quiet", onclick: () => locked(record) }, "Cancel"),
  );
}

// --- Unlocked ----------------------------------------------------------------------------------------

async function home() {
  if (pairOnOpen) {
    pairOnOpen = false;
    history.replaceState(null, "", location.pathname);
    return pair();
  }
  const id = wallet.identity(0);
  const paired = await store.loadSettings();
  show(
    el("h1", {}, "Your wallet"),
    el("p", { role: "status", class: "ok" }, "Unlocked. It locks itself after 5 minutes without use."),
    facts([
      ["Account", id.address],
      ["OpenPGP fingerprint", id.pgpFingerprint],
      ["TLS certificate SHA-256", id.tlsCertificateSha256],
      ["HPKE public key", id.hpkePublicKey],
    ]),
    paired
      ? [el("button", { class: "primary", onclick: () => inboxScreen(app) }, "Inbox"),
         el("button", { onclick: () => vaultsScreen(app) }, "Your vaults"),
         el("p", { class: "muted" }, `Paired with ${new URL(paired.relay).host}.`)]
      : el("button", { class: "primary", onclick: pair }, "Pair with this website"),
    el("button", { onclick: signRequest }, "Sign a request"),
    paired ? el("button", { onclick: () => settingsScreen(app) }, "Settings") : null,
    paired ? el("button", { class: "quiet", onclick: pair }, "Pair again") : null,
    el("button", { onclick: exportWords }, "Show recovery words"),
    el("p", { class: "muted" }, `Core ${coreVersion()}`),
  );
}

/**
 * Pairing: the website names its chain and registry; the core signs this phone's inbox registration for
 * them, shown in words first; the relay's answer is checked by the core.
 */
async function pair() {
  const errors = el("div");
  show(el("h1", {}, "Pair this phone"), el("p", { class: "muted" }, "Asking the website which chain it serves…"), errors);
  let deployment;
  let shown;
  try {
    const answer = await fetch(new URL("../api/deployment", location.href));
    if (!answer.ok) throw new Error(`the website answered ${answer.status}: try again later`);
    deployment = await answer.json();
    shown = wallet.pairing(BigInt(deployment.chainId), deployment.registry);
  } catch (error) {
    return show(el("h1", {}, "Pair this phone"), alert(`The website's deployment could not be read: ${messageOf(error)}`), el("button", { class: "quiet", onclick: home }, "Back"));
  }
  const relay = new URL("..", location.href).href;
  const send = el("button", { class: "primary" }, "Sign and pair");
  send.addEventListener("click", () =>
    busy(send, "Pairing…", errors, async () => {
      // Registering consumes a signed registration: each attempt signs a fresh one, as shown.
      const registering = wallet.pairing(BigInt(deployment.chainId), deployment.registry).register(relay);
      const topic = await within(WAIT_MS, "The relay", registering);
      const before = await store.loadSettings();
      await store.saveSettings({
        relay,
        chainId: deployment.chainId,
        registry: deployment.registry,
        rpcUrl: before?.chainId === deployment.chainId ? before.rpcUrl : deployment.rpcUrl,
        testRoots: before?.testRoots ?? null,
        submit: before?.submit ?? "relayer",
        topic,
      });
      show(
        el("h1", {}, "Paired"),
        el("p", { role: "status", class: "ok" }, `This phone's inbox is registered with ${new URL(relay).host}. Your vaults and researchers can now ask you here; nothing is done without your tap.`),
        facts([["Topic", topic]]),
        el("button", { class: "primary", onclick: home }, "Done"),
      );
    }));
  show(
    el("h1", {}, "Pair this phone"),
    el("p", { class: "title" }, `Sign: register this phone's inbox with ${new URL(relay).host}`),
    el("p", {}, "Your vaults and the researchers you deal with will reach this phone through the website's relay, sealed to this phone's key. The signature lets no one act for you: every request still waits for your tap."),
    facts(factsOf(shown)),
    errors,
    send,
    el("button", { class: "quiet", onclick: home }, "Cancel"),
  );
}

function factsOf(pairing) {
  try {
    return pairing.facts();
  } finally {
    pairing.free();
  }
}

function signRequest() {
  const [docField, doc] = field("The request to sign (EIP-712 JSON, as a website or the CLI gives it)", { rows: 8, spellcheck: "false" });
  const [descriptorField, descriptor] = field("For a grant or revocation: the analysis it names (descriptor JSON)", { rows: 4, spellcheck: "false" });
  const errors = el("div");
  const read = el("button", { class: "primary", type: "submit" }, "Read it");
  show(
    el("h1", {}, "Sign a request"),
    el("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(read, "Reading…", errors, async () => reviewSignature(doc.value, descriptor.value.trim() || undefined));
      },
    }, docField, descriptorField, errors, read),
    el("button", { class: "quiet", onclick: home }, "Back"),
  );
}

function reviewSignature(json, descriptor) {
  const explanation = explainTypedData(json, descriptor, undefined, undefined);
  const errors = el("div");
  const sign = el("button", { class: "primary" }, "Sign");
  sign.addEventListener("click", () =>
    busy(sign, "Signing…", errors, async () => {
      const signed = wallet.signTypedData(json, descriptor);
      show(
        el("h1", {}, "Signed"),
        el("p", { role: "status", class: "ok" }, explanation.title),
        facts([["Digest", signed.digest], ["Signer", signed.signer], ["Signature", signed.signature]]),
        el("button", { class: "primary", onclick: home }, "Done"),
      );
    }));
  show(
    el("h1", {}, "Read before you sign"),
    el("p", { class: "title" }, explanation.title),
    facts(explanation.facts),
    explanation.warnings.map((w) => el("p", { class: "warning" }, w)),
    el("p", { class: "muted" }, "Signing uses account 0 of this wallet. Nothing is signed until you tap Sign."),
    errors,
    sign,
    el("button", { class: "quiet", onclick: home }, "Cancel"),
  );
}

function exportWords() {
  show(
    el("h1", {}, "Show your recovery words?"),
    el("p", { class: "warning" }, "Anyone who sees them controls your vaults. Make sure nobody is watching your screen and nothing is recording it."),
    el("button", {
      class: "danger",
      onclick: () => show(
        el("h1", {}, "Your recovery words"),
        el("ol", { class: "words" }, wallet.recoveryWords().split(" ").map((w) => el("li", {}, w))),
        el("button", { class: "primary", onclick: home }, "Done"),
      ),
    }, "Show them"),
    el("button", { class: "quiet", onclick: home }, "Cancel"),
  );
}

// --- Start -------------------------------------------------------------------------------------------

async function start() {
  for (const event of ["pointerdown", "keydown"]) document.addEventListener(event, armLock, { passive: true });
  setInterval(lockIfIdle, 5000);
  document.addEventListener("visibilitychange", lockIfIdle);
  document.getElementById("lock").addEventListener("click", () => lock("Locked."));
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("sw.js").catch(() => {});
  try {
    await init();
    const record = await store.load();
    if (record) locked(record);
    else welcome();
  } catch (error) {
    show(el("h1", {}, "The app could not start"), alert(messageOf(error)), el("p", {}, "Reload the page; if it persists, this browser may lack WebAssembly or storage."));
  }
}

start();
