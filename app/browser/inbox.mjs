// The app's inbox in a real browser (Debian's Chromium, the phone profile PHONE, one persistent browser
// profile across phases, a screenshot after every step), against a real vault, relay and chain that
// tests/e2e/app_inbox.rs starts:
//   pair:  opened by the dashboard's pairing link: restore Anvil's words, a passphrase, pair.
//   boot:  pair, then the sealed vault's boot request is refused while the
//          app does not accept the simulated platform; with its test-only roots set, the request is shown in
//          words (vault, code, platform, TCB, chain view, the SIMULATED warning, the key binding) and
//          approved with a tap.
//   query: unlock; a researcher's query waiting for approval is shown in words against its grant and
//          approved with a tap.
//   audit: the vault's audit log, sealed to the phone and carried by the website, is shown verified under
//          the owner's key with the approved query in it; when the website alters a byte of what it
//          carries, the app refuses the log and shows none of it.
//   update: the running vault asks to run new code (CODE): the request is shown in words (the operator's note
//          marked as checked by no one) and approved with a tap; the website's relayer submits it.
//   tool:  the running vault asks to install an analysis tool (TOOL, its manifest's hash): its manifest is shown
//          in words (the program and its hash, what it reads, what leaves) beside the operator's note, and
//          installed with a tap; the website's relayer submits it.
//   grant: a researcher's access request (number REQUEST), listed by a website that lies about its purpose, is granted from
//          the request: the words signed are the chain's, not the website's.
//   revoke: the grant of SCOPE is revoked, sent from the owner's own account through the RPC in Settings.
//
// Usage: node inbox.mjs pair|boot|query|audit|update|tool|grant|revoke. Environment: APP_URL, PHONE
// ("pixel-7" or "iphone-15"), PROFILE_DIR, ROOTS (the simulated platform's PEM bundle), CODE (for update),
// TOOL (for tool), REQUEST (for grant), SCOPE (for revoke), SHOTS, CHROMIUM.

import { chromium } from "playwright-core";
import { ANVIL_WORDS, CHROMIUM_ARGS, appUrl, expect, fitsWidth, heading, phone, shot, watched } from "./harness.mjs";

const PHONE = process.env.PHONE;
const PROFILE = `${PHONE}-inbox`;
const PASSPHRASE = "a long phone passphrase";

/** Opens the inbox and waits (refreshing, up to 90 s: the sender may be a process still starting on a
 * loaded machine) for a card whose words match `pattern`; that card. */
async function waitingCard(page, pattern) {
  await page.getByRole("button", { name: "Inbox", exact: true }).tap();
  await heading(page, "Inbox");
  const card = page.locator("section.card").filter({ hasText: pattern });
  for (const deadline = Date.now() + 90000; Date.now() < deadline; ) {
    await page.getByRole("button", { name: "Refresh" }).waitFor();
    if (await page.getByRole("button", { name: "Refresh" }).isEnabled() && (await card.count()) > 0) return card.first();
    if (await page.getByRole("button", { name: "Refresh" }).isEnabled()) await page.getByRole("button", { name: "Refresh" }).tap();
    await page.waitForTimeout(500);
  }
  throw new Error(`nothing matching ${pattern} reached the inbox`);
}

async function approve(page, step) {
  await heading(page, "Read before you approve", 30000);
  await fitsWidth(page, "the review screen");
  await shot(page, PROFILE, `${step}-review`);
  await page.getByRole("button", { name: "Approve", exact: true }).tap();
  await heading(page, "Approved", 45000);
  await shot(page, PROFILE, `${step}-approved`);
  return page.getByRole("status").textContent();
}

async function pair(page) {
  // Opened from the website dashboard's pairing link: the app pairs as soon as the wallet is open.
  await page.goto(`${appUrl}#pair`);
  await heading(page, "Your DNA Vault keys");
  await page.getByRole("button", { name: "Restore from recovery words" }).tap();
  await page.getByLabel(/Recovery words/).fill(ANVIL_WORDS);
  await page.getByRole("button", { name: "Restore", exact: true }).tap();
  await heading(page, "Protect this wallet");
  await page.getByLabel(/^Passphrase/).fill(PASSPHRASE);
  await page.getByLabel("The same passphrase again").fill(PASSPHRASE);
  await page.getByRole("button", { name: "Use this passphrase" }).tap();
  await heading(page, "Pair this phone");
  await page.getByRole("button", { name: "Sign and pair" }).tap();
  await heading(page, "Paired");
  await page.getByRole("button", { name: "Done" }).tap();
  await heading(page, "Your wallet");
  await shot(page, PROFILE, "1-paired");
}

async function boot(page) {
  await pair(page);
  // Without the simulated platform's roots the app judges the vault as AMD hardware would: refused.
  const card = await waitingCard(page, "asks you to boot it");
  await shot(page, PROFILE, "2-inbox");
  await card.getByRole("button", { name: "Review" }).tap();
  await heading(page, "Refused", 30000);
  const why = await page.getByRole("alert").textContent();
  expect(why.includes("will not approve it"), `the refusal says why: ${why}`);
  await shot(page, PROFILE, "3-refused-simulated");
  await page.getByRole("button", { name: "Back to the inbox" }).tap();
  await heading(page, "Inbox");
  await page.getByRole("button", { name: "Back", exact: true }).tap();

  await page.getByRole("button", { name: "Settings" }).tap();
  await heading(page, "Settings");
  await page.getByText("Development").tap();
  await page.getByLabel(/Accept a SIMULATED platform/).setInputFiles(process.env.ROOTS);
  await page.getByRole("button", { name: "Save" }).tap();
  await heading(page, "Your wallet");

  const again = await waitingCard(page, "asks you to boot it");
  await again.getByRole("button", { name: "Review" }).tap();
  await heading(page, "Read before you approve", 30000);
  const screen = await page.locator("#screen").textContent();
  for (const words of ["Let vault 1 boot and unlock your genome", "SIMULATED PLATFORM", "Platform TCB", "Chain view", "Also bind its key on-chain", "Release the data key to this vault?"]) {
    expect(screen.includes(words), `the boot review says "${words}": ${screen}`);
  }
  const done = await approve(page, "4-boot");
  expect(done.includes("takes its data key") && done.includes("is bound on-chain"), `the answer: ${done}`);
}

async function unlock(page) {
  await page.goto(appUrl);
  await heading(page, "Unlock your wallet");
  await page.getByLabel("Passphrase").fill(PASSPHRASE);
  await page.getByRole("button", { name: "Unlock", exact: true }).tap();
  await heading(page, "Your wallet");
}

/** Opens "Your vaults" and waits (refreshing) until `locator` (on that screen) is there. */
async function vaultsUntil(page, locator, what) {
  await page.getByRole("button", { name: "Your vaults", exact: true }).tap();
  await heading(page, "Your vaults");
  const refresh = page.getByRole("button", { name: "Refresh" });
  for (let attempt = 0; attempt < 60; attempt++) {
    if (await refresh.isEnabled() && (await locator.count()) > 0) return locator.first();
    if (await refresh.isEnabled()) await refresh.tap();
    await page.waitForTimeout(500);
  }
  throw new Error(`${what} did not show on "Your vaults"`);
}

async function signed(page, verb, done, step, words) {
  await heading(page, "Read before you sign", 30000);
  const screen = await page.locator("#screen").textContent();
  for (const w of words) expect(screen.includes(w), `the ${verb} screen says "${w}": ${screen}`);
  expect(!screen.includes("LIE"), `the ${verb} screen shows the website's words, not the chain's: ${screen}`);
  await fitsWidth(page, `the ${verb} screen`);
  await shot(page, PROFILE, `${step}-review`);
  await page.getByRole("button", { name: verb, exact: true }).tap();
  await heading(page, done, 45000);
  const status = await page.getByRole("status").textContent();
  expect(/transaction 0x[0-9a-f]{64}/.test(status), `the ${verb} was submitted: ${status}`);
  await shot(page, PROFILE, `${step}-done`);
}

async function grant(page) {
  // The website's index lies about the request: another purpose, in its words.
  await page.route("**/api/owners/*/vaults", async (route) => {
    const answer = await route.fetch();
    const body = await answer.json();
    for (const vault of body.vaults) for (const r of vault.requests) r.purpose.words = "LIE: anything at all";
    await route.fulfill({ response: answer, json: body });
  });
  await unlock(page);
  const review = await vaultsUntil(page, page.getByRole("button", { name: /^Review request/ }), "the access request");
  await shot(page, PROFILE, "7-vaults");
  await review.tap();
  await heading(page, `Access request ${process.env.REQUEST}`);
  await page.getByLabel(/At most this many queries/).fill("10");
  await page.getByRole("button", { name: "Read the grant" }).tap();
  await signed(page, "Grant", "Granted", "8-grant", [
    `Grant access request ${process.env.REQUEST} from researcher`, "health or medical or biomedical research", "Research protocol",
    "at most 10 queries", "needs your approval every time",
  ]);
}

async function revoke(page) {
  await unlock(page);
  // This time from the owner's own account, through the RPC in Settings.
  await page.getByRole("button", { name: "Settings" }).tap();
  await page.getByLabel("Your signatures reach the chain through").selectOption("own");
  await page.getByRole("button", { name: "Save" }).tap();
  await heading(page, "Your wallet");
  const item = await vaultsUntil(page, page.locator(`[data-scope="${process.env.SCOPE}"]`), "the grant");
  await item.getByRole("button", { name: "Revoke this grant" }).tap();
  await signed(page, "Revoke", "Revoked", "9-revoke", ["Withdraw researcher", "Scope", process.env.SCOPE, "This account sends it"]);
}

async function query(page) {
  await unlock(page);
  const card = await waitingCard(page, "asks you to approve one query on vault 1");
  await shot(page, PROFILE, "5-query-inbox");
  await card.getByRole("button", { name: "Review" }).tap();
  await heading(page, "Read before you approve", 30000);
  const screen = await page.locator("#screen").textContent();
  for (const words of ["run this one query on vault 1", "count the copies of each allele", "Approve this query?"]) {
    expect(screen.includes(words), `the query review says "${words}": ${screen}`);
  }
  const done = await approve(page, "6-query");
  expect(done.includes("sent to them through the relay"), `the answer: ${done}`);
}

async function audit(page) {
  await unlock(page);
  const read = await vaultsUntil(page, page.getByRole("button", { name: "Read the audit log" }), "vault 1");
  const card = await page.locator("section.card").filter({ hasText: "Vault 1" }).textContent();
  expect(card.includes("signs a permission, valid for two minutes") && card.includes("changes nothing on-chain"), `the card says what reading signs: ${card}`);
  await read.tap();
  await heading(page, "Audit log of vault 1");
  const verified = page.getByRole("status").filter({ hasText: /^Verified: entries/ });
  await verified.waitFor({ timeout: 30000 });
  const summary = await verified.textContent();
  expect(summary.includes("chained under your key"), `the log is verified under the owner's key: ${summary}`);
  expect((await page.locator('[data-action="query"]').count()) >= 1, "the approved query is in the log");
  await fitsWidth(page, "the audit log");
  await shot(page, PROFILE, "6a-audit");

  // The website flips one byte of the sealed page it carries.
  await page.route("**/api/vaults/*/audit*", async (route) => {
    const answer = await route.fetch();
    const body = await answer.json();
    const flipped = body.sealed.slice(-1) === "0" ? "1" : "0";
    body.sealed = body.sealed.slice(0, -1) + flipped;
    await route.fulfill({ response: answer, json: body });
  });
  await page.getByRole("button", { name: "Back to your vaults" }).tap();
  await heading(page, "Your vaults");
  await page.getByRole("button", { name: "Read the audit log" }).tap();
  await heading(page, "The audit log was refused", 30000);
  const screen = await page.locator("#screen").textContent();
  expect(screen.includes("does not open as the vault's answer"), `the altered log is refused: ${screen}`);
  expect((await page.locator("[data-action]").count()) === 0, "nothing of the altered log is shown");
  await shot(page, PROFILE, "6b-audit-altered");
}

async function update(page) {
  await unlock(page);
  const card = await waitingCard(page, "asks you to approve new code");
  await shot(page, PROFILE, "6c-update-inbox");
  await card.getByRole("button", { name: "Review" }).tap();
  await heading(page, "Read before you approve", 30000);
  const screen = await page.locator("#screen").textContent();
  for (const words of ["Approve new vault code (a launch measurement) for vault 1", process.env.CODE, "the vault's bound key", "v2: faster allele counts", "checked by no one"]) {
    expect(screen.includes(words), `the code update review says "${words}": ${screen}`);
  }
  await approve(page, "6d-update");
}

async function tool(page) {
  await unlock(page);
  const card = await waitingCard(page, "asks you to install the analysis tool");
  await shot(page, PROFILE, "6e-tool-inbox");
  await card.getByRole("button", { name: "Review" }).tap();
  await heading(page, "Read before you approve", 30000);
  const screen = await page.locator("#screen").textContent();
  for (const words of ["Install an analysis tool in vault 1", "bcftools query", process.env.TOOL, "/usr/bin/bcftools", "reads your whole genome file", "the vault's bound key", "bcftools for the BRCA panel study", "checked by no one", "Install this tool in your vault?"]) {
    expect(screen.includes(words), `the tool install review says "${words}": ${screen}`);
  }
  const status = await approve(page, "6f-tool");
  expect(status.includes("Installed: grants that name the tool may run it in vault 1"), `the app says the tool is installed: ${status}`);
}

const phase = process.argv[2];
const stories = { pair, boot, query, audit, update, tool, grant, revoke };
expect(phase in stories, `usage: inbox.mjs ${Object.keys(stories).join("|")}`);
const context = await chromium.launchPersistentContext(process.env.PROFILE_DIR, {
  executablePath: process.env.CHROMIUM,
  args: CHROMIUM_ARGS,
  ...phone(PHONE),
});
const started = Date.now();
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await watched(page, PROFILE, () => stories[phase](page));
} finally {
  await context.close();
}
console.log(`${phase} passed in ${Date.now() - started} ms`);
