// The inbox and the settings screens. What waits is opened, checked and put in words by the wasm core (the
// same library as the CLI's `inbox`): a boot request's attestation and on-chain measurement, a query
// against its grant, a code update or a tool install against the vault's bound key. This file shows the words
// and passes on the person's tap; nothing is signed without it.

import * as store from "./vault-store.js";
import { WAIT_MS, alert, busy, el, facts, field, messageOf, show, within } from "./ui.js";

let opened = null;
let openedFor = null;

/** What the core takes of the stored settings. */
export function coreSettings({ relay, rpcUrl, chainId, registry, testRoots, submit }) {
  return { relay, rpcUrl, chainId: Number(chainId), registry, testRoots: testRoots ?? undefined, submit: submit ?? "relayer" };
}

/** Frees the open inbox (on lock: it shares the seed). */
export function closeInbox() {
  opened?.free();
  opened = null;
  openedFor = null;
}

async function inboxOf(wallet, settings) {
  const key = JSON.stringify(settings);
  if (opened && openedFor === key) return opened;
  closeInbox();
  opened = await within(WAIT_MS, "The chain or the relay", wallet.openInbox(coreSettings(settings)));
  openedFor = key;
  return opened;
}

/** The inbox: each waiting message in words, with Review for those that opened. */
export async function inboxScreen(app) {
  const settings = await store.loadSettings();
  const back = el("button", { class: "quiet", onclick: app.home }, "Back");
  if (!settings) return show(el("h1", {}, "Inbox"), el("p", {}, "Pair this phone with the website first: your vaults reach you through its relay."), back);
  const status = el("p", { class: "muted", role: "status" }, "Opening your inbox…");
  const list = el("div");
  const errors = el("div");
  const refresh = el("button", {}, "Refresh");
  show(el("h1", {}, "Inbox"), status, list, errors, refresh, back);
  const load = () => busy(refresh, "Checking…", errors, async () => {
    const inbox = await inboxOf(app.wallet(), settings);
    const waiting = await within(WAIT_MS, "The relay", inbox.list());
    status.textContent = waiting.length ? `${waiting.length} waiting for you.` : "Nothing waits in your inbox.";
    list.replaceChildren(...waiting.map((message) => card(app, settings, message)));
  });
  refresh.addEventListener("click", load);
  await load();
}

function card(app, settings, message) {
  return el("section", { class: "card" },
    el("p", {}, message.words),
    el("p", { class: "muted" }, `From ${message.sender}, until ${message.expires}`),
    message.refused
      ? el("p", { class: "warning" }, "Refused by this phone: it is not shown or answered.")
      : el("button", { class: "primary", onclick: () => review(app, settings, message) }, "Review"));
}

/** One request, checked and in words; Approve or Decline. A request that fails its checks says why. */
async function review(app, settings, message) {
  const errors = el("div");
  show(el("h1", {}, "Checking the request"), el("p", { class: "muted", role: "status" }, "Checking it against the chain and its attestation…"), errors);
  const inbox = await inboxOf(app.wallet(), settings);
  let checked;
  try {
    checked = await within(WAIT_MS, "The chain or the relay", inbox.review(message.nonce));
  } catch (error) {
    return refused(app, settings, message, messageOf(error));
  }
  const explanation = checked.explanation();
  const binding = checked.binding();
  const bindBox = el("input", { type: "checkbox", id: "bind-key", checked: true });
  const approve = el("button", { class: "primary" }, checked.signs() ? "Approve" : "Tell the vault");
  const decline = el("button", { class: "danger" }, "Decline");
  approve.addEventListener("click", () => busy(approve, "Signing and sending…", errors, async () => {
    const answered = await within(WAIT_MS * 2, "The relay", checked.approve(Boolean(binding) && bindBox.checked));
    checked.free();
    done(app, "Approved", answered);
  }));
  decline.addEventListener("click", () => answerNo(app, inbox, message, decline, errors, () => checked.free()));
  show(
    el("h1", {}, "Read before you approve"),
    el("p", { class: "title" }, explanation.title),
    facts(explanation.facts),
    explanation.warnings.map((w) => el("p", { class: "warning" }, w)),
    binding ? bindingCard(binding, bindBox) : null,
    el("p", { class: "question" }, checked.question()),
    el("p", { class: "muted" }, "Nothing is signed until you tap Approve."),
    errors,
    approve,
    decline,
    el("button", { class: "quiet", onclick: () => { checked.free(); inboxScreen(app); } }, "Back to the inbox"),
  );
}

function bindingCard(binding, box) {
  return el("section", { class: "card" },
    el("h2", {}, "Also bind its key on-chain"),
    el("p", {}, `${binding.title}: researchers accept receipts only from a vault's bound key. A second signature, submitted by the website's relayer (you pay nothing).`),
    facts(binding.facts),
    el("div", { class: "check" }, box, el("label", { for: box.id }, "Sign the binding too")));
}

function refused(app, settings, message, why) {
  const errors = el("div");
  const decline = el("button", { class: "danger" }, "Decline and remove it");
  decline.addEventListener("click", async () => answerNo(app, await inboxOf(app.wallet(), settings), message, decline, errors));
  show(
    el("h1", {}, "Refused"),
    alert(`This phone will not approve it: ${why}`),
    el("p", {}, message.words),
    errors,
    decline,
    el("button", { class: "quiet", onclick: () => inboxScreen(app) }, "Back to the inbox"),
  );
}

function answerNo(app, inbox, message, button, errors, after = () => {}) {
  return busy(button, "Declining…", errors, async () => {
    const answered = await within(WAIT_MS, "The relay", inbox.decline(message.nonce));
    after();
    done(app, "Declined", answered);
  });
}

function done(app, heading, answered) {
  show(
    el("h1", {}, heading),
    el("p", { role: "status", class: answered.approved ? "ok" : "muted" }, answered.words),
    answered.transaction ? facts([["Transaction", answered.transaction]]) : null,
    el("button", { class: "primary", onclick: () => inboxScreen(app) }, "Back to the inbox"),
    el("button", { class: "quiet", onclick: app.home }, "Home"),
  );
}

/** The chain settings: the RPC the checks read, and (development only) a simulated platform's roots. */
export async function settingsScreen(app) {
  const settings = await store.loadSettings();
  const back = el("button", { class: "quiet", onclick: app.home }, "Back");
  if (!settings) return show(el("h1", {}, "Settings"), el("p", {}, "Pair this phone with the website first."), back);
  const errors = el("div");
  const [rpcField, rpc] = field("The chain's RPC URL (what this phone checks vaults against)", { type: "url", value: settings.rpcUrl, spellcheck: "false", autocapitalize: "none" });
  const [rootsField, roots] = field("Accept a SIMULATED platform: its test-only root bundle (PEM)", { type: "file", accept: ".pem,application/x-pem-file" });
  const via = el("select", { id: "submit-via" },
    el("option", { value: "relayer", selected: (settings.submit ?? "relayer") === "relayer" }, "The website's relayer (you pay nothing)"),
    el("option", { value: "own", selected: settings.submit === "own" }, "This account, through the RPC above (it pays the gas)"));
  const save = el("button", { class: "primary", type: "submit" }, "Save");
  const simulated = settings.testRoots
    ? [el("p", { class: "warning" }, "This phone accepts vaults on a SIMULATED platform: nothing protects their memory. Development only."),
       el("button", { class: "danger", type: "button", onclick: () => saveAndBack(app, { ...settings, testRoots: null }) }, "Stop accepting the simulated platform")]
    : [];
  show(
    el("h1", {}, "Settings"),
    facts([["Relay", settings.relay], ["Chain", String(settings.chainId)], ["Registry", settings.registry], ["Inbox topic", settings.topic]]),
    el("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(save, "Saving…", errors, async () => {
          const url = new URL(rpc.value);
          if (!["http:", "https:"].includes(url.protocol)) throw new Error("the RPC URL must be http or https");
          const file = roots.files?.[0];
          const testRoots = file ? await file.text() : settings.testRoots;
          if (file && !testRoots.includes("-----BEGIN CERTIFICATE-----")) throw new Error(`${file.name} holds no PEM certificate`);
          await saveAndBack(app, { ...settings, rpcUrl: url.href, testRoots, submit: via.value });
        });
      },
    }, rpcField, el("div", { class: "field" }, el("label", { for: via.id }, "Your signatures reach the chain through"), via), el("details", { open: Boolean(settings.testRoots) }, el("summary", {}, "Development"), rootsField, simulated), errors, save),
    back,
  );
}

async function saveAndBack(app, settings) {
  closeInbox();
  await store.saveSettings(settings);
  app.home();
}
