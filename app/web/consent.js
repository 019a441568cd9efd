// Your vaults' consents: researchers' pending access requests, granted from the request, and live grants,
// revoked. The website's index lists them (its words are a hint); the wasm core reads each one from the
// chain before it is shown for signing, signs only on a tap, and the website's relayer submits it (this
// phone needs no ether), or this account through the RPC when the settings say so.

import * as store from "./vault-store.js";
import { coreSettings } from "./inbox.js";
import { WAIT_MS, alert, busy, el, facts, field, messageOf, show, within } from "./ui.js";

let online = null;
let onlineFor = null;

/** Frees the owner's online session (on lock: it derives from the seed). */
export function closeOwner() {
  online?.free();
  online = null;
  onlineFor = null;
}

async function ownerOf(wallet, settings) {
  const key = JSON.stringify(settings);
  if (online && onlineFor === key) return online;
  closeOwner();
  online = await within(WAIT_MS, "The chain", wallet.openOwner(coreSettings(settings)));
  onlineFor = key;
  return online;
}

const date = (unix) => new Date(unix * 1000).toISOString().slice(0, 10);
const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`;

/** The website's words for an analysis, or why it has none, and its scope. */
function analysisFacts(analysis) {
  const words = analysis.facts.map(({ label, value }) => [label, value]);
  if (!words.length) words.push(["Analysis", analysis.unreadable ?? "not described by the website"]);
  return [...words, ["Scope", analysis.scope]];
}

/** The vaults this account owns, each with its pending requests and live grants. */
export async function vaultsScreen(app) {
  const settings = await store.loadSettings();
  const back = el("button", { class: "quiet", onclick: app.home }, "Back");
  if (!settings) return show(el("h1", {}, "Your vaults"), el("p", {}, "Pair this phone with the website first."), back);
  const status = el("p", { class: "muted", role: "status" }, "Reading the website's index…");
  const list = el("div");
  const errors = el("div");
  const refresh = el("button", {}, "Refresh");
  show(el("h1", {}, "Your vaults"), status, list, errors, refresh, back);
  const account = app.wallet().identity(0).address;
  const load = () => busy(refresh, "Reading…", errors, async () => {
    const answer = await within(WAIT_MS, "The website", fetch(new URL(`api/owners/${account}/vaults`, settings.relay)));
    if (!answer.ok) throw new Error(`the website answered ${answer.status}: try again later`);
    const { vaults } = await answer.json();
    status.textContent = vaults.length ? `${plural(vaults.length, "vault", "vaults")} owned by this account.` : "This account owns no vault on this chain.";
    list.replaceChildren(...vaults.map((vault) => vaultCard(app, settings, vault)));
  });
  refresh.addEventListener("click", load);
  await load();
}

function vaultCard(app, settings, vault) {
  const pending = vault.requests.filter((r) => r.status === "pending");
  const live = vault.grants.filter((g) => g.status === "live");
  return el("section", { class: "card" },
    el("h2", {}, `Vault ${vault.id}`),
    el("p", { class: "muted" }, `${plural(pending.length, "access request", "access requests")} waiting, ${plural(live.length, "live grant", "live grants")}.`),
    pending.map((request) => el("div", { class: "item" },
      el("p", {}, `Access request ${request.id}: researcher ${request.researcher} asks for ${request.purpose.words}, until ${date(request.requested_expiry)}.`),
      el("button", { class: "primary", onclick: () => grantChoices(app, settings, request) }, `Review request ${request.id}`))),
    live.map((grant) => el("div", { class: "item", "data-scope": grant.analysis.scope },
      el("p", {}, `Granted to ${grant.grantee} until ${date(grant.expiry)}${grant.per_query_approval ? ", asking you before each query" : ""}.`),
      facts(analysisFacts(grant.analysis)),
      el("button", { class: "danger", onclick: () => revoke(app, settings, vault, grant) }, "Revoke this grant"))),
    el("p", { class: "muted" }, `Reading the audit log signs a permission, valid for two minutes, for vault ${vault.id} to give its log to this phone, sealed to a key only this phone holds; it changes nothing on-chain.`),
    el("button", { onclick: () => auditScreen(app, settings, vault) }, "Read the audit log"),
  );
}

const when = (unix) => new Date(unix * 1000).toISOString().replace("T", " ").slice(0, 16);

/** What happened to the vault's data: its audit log, sealed to this phone and checked under its key. */
async function auditScreen(app, settings, vault) {
  const back = el("button", { class: "quiet", onclick: () => vaultsScreen(app) }, "Back to your vaults");
  show(
    el("h1", {}, `Audit log of vault ${vault.id}`),
    el("p", { class: "muted", role: "status" }, "Reading it: the vault seals it to this phone and the website only carries it…"),
    back,
  );
  try {
    const log = await within(WAIT_MS * 2, "The vault", app.wallet().readAudit(coreSettings(settings), String(vault.id)));
    const { checked } = log;
    const anchor = checked.anchored ? `through the head anchored on-chain at entry ${checked.anchored.seq}` : "nothing anchored on-chain yet";
    const unverified = checked.unverified ? ` The ${plural(checked.unverified, "entry", "entries")} before entry ${checked.chainStart} do not verify under your key (written before the log was chained, or under a previous owner), marked "?".` : "";
    const anchoredReceipts = log.receipts.filter((r) => r.anchoredBlock != null).length;
    show(
      el("h1", {}, `Audit log of vault ${vault.id}`),
      el("p", { class: "ok", role: "status" }, `Verified: entries ${checked.chainStart} to ${checked.head.seq} are chained under your key, ${anchor}.${unverified}`),
      el("p", { class: "muted" }, `${plural(log.receipts.length, "receipt", "receipts")}, ${anchoredReceipts} anchored on-chain.`),
      el("ol", { class: "log" }, log.entries.map((entry, index) => el("li", { "data-action": entry.action },
        el("p", {}, `${index < checked.unverified ? "? " : ""}${when(entry.at)} · ${entry.action} by ${entry.actor}${entry.object ? ` (${entry.object})` : ""}`),
        el("p", { class: "muted" }, entry.detail)))),
      back,
    );
  } catch (error) {
    show(
      el("h1", {}, "The audit log was refused"),
      alert(`${messageOf(error)}. Nothing of it is shown: what reached this phone is not the vault's log as your key verifies it. Try again, or read it with the CLI's "dnavault-wallet audit".`),
      back,
    );
  }
}

/** The owner's terms for a grant: until when (at most as asked), whether each query asks, how many. */
function grantChoices(app, settings, request) {
  const [untilField, until] = field(`Allowed until (at most ${date(request.requested_expiry)}, as asked)`, { type: "date", value: date(request.requested_expiry), max: date(request.requested_expiry) });
  const ask = el("input", { type: "checkbox", id: "ask-each", checked: true });
  const [budgetField, budget] = field("At most this many queries (0: no limit)", { type: "number", min: "0", value: "0", inputmode: "numeric" });
  const errors = el("div");
  const next = el("button", { class: "primary", type: "submit" }, "Read the grant");
  show(
    el("h1", {}, `Access request ${request.id}`),
    el("p", {}, `Researcher ${request.researcher} asks for this analysis, for ${request.purpose.words}. Read their protocol at ${request.protocol_uri}.`),
    facts(analysisFacts(request.analysis)),
    el("form", {
      onsubmit: (event) => {
        event.preventDefault();
        busy(next, "Reading it from the chain…", errors, async () => {
          const expiry = Math.min(Math.floor(Date.parse(`${until.value}T23:59:59Z`) / 1000), request.requested_expiry);
          if (!Number.isFinite(expiry)) throw new Error("choose the date the access ends");
          const maxQueries = Number.parseInt(budget.value || "0", 10);
          if (!(maxQueries >= 0 && maxQueries <= 4294967295)) throw new Error("the query budget is a whole number from 0");
          const owner = await ownerOf(app.wallet(), settings);
          const signing = await within(WAIT_MS, "The chain", owner.reviewGrant(String(request.id), { expiry, perQueryApproval: ask.checked, maxQueries }));
          sign(app, settings, signing, "Grant", "Granted");
        });
      },
    }, untilField, el("div", { class: "check" }, ask, el("label", { for: ask.id }, "Ask me before each query")), budgetField, errors, next),
    el("button", { class: "quiet", onclick: () => vaultsScreen(app) }, "Back"),
  );
}

async function revoke(app, settings, vault, grant) {
  const errors = el("div");
  show(el("h1", {}, "Checking the grant"), el("p", { class: "muted", role: "status" }, "Reading it from the chain…"), errors);
  // The descriptor of a request for the same analysis, if one was filed: the core checks it is the scope's.
  const descriptor = vault.requests.find((r) => r.analysis.scope === grant.analysis.scope)?.descriptor;
  try {
    const owner = await ownerOf(app.wallet(), settings);
    const signing = await within(WAIT_MS, "The chain", owner.reviewRevoke(String(vault.id), grant.grantee, grant.analysis.scope, descriptor));
    sign(app, settings, signing, "Revoke", "Revoked");
  } catch (error) {
    show(el("h1", {}, "Cannot revoke"), alert(messageOf(error)), el("button", { class: "quiet", onclick: () => vaultsScreen(app) }, "Back"));
  }
}

/** The core's words for `signing`; on the tap, signed and submitted by the website's relayer. */
function sign(app, settings, signing, verb, done) {
  const explanation = signing.explanation();
  const ownAccount = settings.submit === "own";
  const errors = el("div");
  const button = el("button", { class: verb === "Revoke" ? "danger" : "primary" }, verb);
  button.addEventListener("click", () => busy(button, "Signing and submitting…", errors, async () => {
    const transaction = await within(WAIT_MS * 2, ownAccount ? "The chain" : "The website's relayer", signing.approve());
    signing.free();
    show(
      el("h1", {}, done),
      el("p", { role: "status", class: "ok" }, `${explanation.title}: done, in transaction ${transaction}. The vault follows the chain: it applies this once the block is final.`),
      el("button", { class: "primary", onclick: () => vaultsScreen(app) }, "Back to your vaults"),
    );
  }));
  show(
    el("h1", {}, "Read before you sign"),
    el("p", { class: "title" }, explanation.title),
    facts(explanation.facts),
    explanation.warnings.map((w) => el("p", { class: "warning" }, w)),
    el("p", { class: "muted" }, `Nothing is signed until you tap ${verb}. ${ownAccount ? "This account sends it through your RPC and pays the gas." : "The website's relayer submits it; you pay nothing."}`),
    errors,
    button,
    el("button", { class: "quiet", onclick: () => { signing.free(); vaultsScreen(app); } }, "Cancel"),
  );
}
