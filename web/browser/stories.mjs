// The website's user stories in a real browser (Debian's Chromium driven by playwright-core), on a desktop
// and on a phone (Pixel 7), with a screenshot after every step, named after its story and step. Run by
// tests/e2e/browser.rs against a local stack; every expectation that fails throws, and the test fails.
//
// Environment: WEB_URL (the website), SHOTS (where screenshots go), WALLET (the dnavault-wallet binary),
// WALLET_HOME, OWNER (the owner's address), plus the wallet's DNAVAULT_PASSWORD; RPC_URL (Anvil) and
// RESEARCHER (one of its unlocked development accounts), for the researcher's browser wallet.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, devices } from "playwright-core";

const base = process.env.WEB_URL.replace(/\/$/, "");
const shots = process.env.SHOTS;
const owner = process.env.OWNER;
mkdirSync(shots, { recursive: true });

const profiles = [
  { name: "desktop", options: { viewport: { width: 1280, height: 900 } } },
  { name: "pixel-7", options: devices["Pixel 7"] },
];

/** Fails the run with `message` unless `condition` holds. */
function expect(condition, message) {
  if (!condition) throw new Error(message);
}

/** The owner's EIP-191 signature of `text`, from dnavault-wallet (the message in a file, as the page says). */
function walletSigns(text) {
  const dir = mkdtempSync(join(tmpdir(), "dnavault-signin-"));
  const file = join(dir, "signin.txt");
  writeFileSync(file, text);
  const out = execFileSync(process.env.WALLET, [
    "--home", process.env.WALLET_HOME, "--yes", "sign-message", "--index", "1", "--file", file,
  ]);
  return out.toString().trim();
}

async function shot(page, profile, story, step) {
  await page.screenshot({ path: join(shots, `${profile}-${story}-${step}.png`), fullPage: true });
}

/** The page fits its viewport: nothing to scroll sideways on a phone. */
async function fitsWidth(page, what) {
  const [scroll, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
  expect(scroll <= width + 1, `${what} is ${scroll}px wide in a ${width}px viewport`);
}

async function heading(page, name) {
  await page.getByRole("heading", { level: 1, name }).waitFor({ timeout: 10000 });
}

async function browseVaults(page, profile) {
  await page.goto(base + "/");
  await heading(page, "Vaults");
  await fitsWidth(page, "the directory");
  await shot(page, profile, "browse", "1-directory");
  await page.getByRole("link", { name: "Vault 1", exact: true }).click();
  await heading(page, "Vault 1");
  await page.getByText("count the alleles").first().waitFor();
  await fitsWidth(page, "the vault page");
  await shot(page, profile, "browse", "2-vault");
  await page.getByRole("link", { name: "Verify this vault's attestation now" }).click();
  await heading(page, "Verifying vault 1");
  const verdict = await page.getByRole("status").textContent();
  expect(verdict.includes("SIMULATED"), `the verdict does not flag the simulated platform: ${verdict}`);
  await fitsWidth(page, "the verifier view");
  await shot(page, profile, "browse", "3-verifier");
}

async function browseRequests(page, profile) {
  await page.goto(base + "/requests");
  await heading(page, "Access requests");
  await page.getByLabel("Status").selectOption("pending");
  await page.getByRole("button", { name: "Show" }).click();
  await page.waitForURL(/status=pending/);
  await shot(page, profile, "requests", "1-pending");
  await page.getByRole("link", { name: "Request 1", exact: true }).click();
  await heading(page, /Access request 1/);
  await page.getByText("dnavault-wallet grant --from-request 1").waitFor();
  await fitsWidth(page, "a request");
  await shot(page, profile, "requests", "2-request");
}

async function signInWithTheCli(page, context, profile) {
  await page.goto(base + "/dashboard");
  await heading(page, "Sign in with Ethereum");
  await page.getByLabel("Or type your address").fill(owner);
  await page.getByRole("button", { name: "Continue" }).click();
  const message = await page.locator("#siwe-message").textContent();
  expect(message.includes("wants you to sign in"), `no sign-in message: ${message}`);
  await shot(page, profile, "signin-cli", "1-message");
  await page.getByLabel("Then paste the signature it prints").fill(walletSigns(message));
  await page.getByRole("button", { name: "Sign in" }).click();
  await heading(page, "Your vaults");
  await page.getByText(/Waiting for you \([1-9][0-9]*\)/).waitFor();
  await fitsWidth(page, "the dashboard");
  await shot(page, profile, "signin-cli", "2-dashboard");
  const cookie = (await context.cookies()).find((c) => c.name === "dnavault_session");
  expect(cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === "Strict",
    `the session cookie is not HttpOnly, Secure and SameSite=Strict: ${JSON.stringify(cookie)}`);
  const visible = await page.evaluate(() => document.cookie);
  expect(!visible.includes("dnavault_session"), "page scripts can read the session cookie");
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored === "{}{}", `the website left something in browser storage: ${stored}`);
  await page.getByRole("button", { name: "Sign out" }).click();
  await heading(page, "Vaults");
  await page.goto(base + "/dashboard");
  await heading(page, "Sign in with Ethereum");
}

/** A browser wallet (EIP-1193) that answers with the owner's address and signs with dnavault-wallet. */
async function withBrowserWallet(context) {
  await context.exposeFunction("dnavaultTestSign", (hex) =>
    walletSigns(Buffer.from(hex.slice(2), "hex").toString("utf8")));
  await context.addInitScript((address) => {
    window.ethereum = {
      request: async ({ method, params }) => {
        if (method === "eth_requestAccounts") return [address];
        if (method === "personal_sign") return window.dnavaultTestSign(params[0]);
        throw new Error("unsupported " + method);
      },
    };
  }, owner);
}

async function signInWithABrowserWallet(page, profile) {
  await page.goto(base + "/signin");
  await page.getByRole("button", { name: "Use my browser wallet" }).click();
  await page.waitForURL(/address=/);
  await shot(page, profile, "signin-eip1193", "1-message");
  await page.getByRole("button", { name: "Sign with my browser wallet" }).click();
  await heading(page, "Your vaults");
  await shot(page, profile, "signin-eip1193", "2-dashboard");
}

/** A researcher's browser wallet (EIP-1193): Anvil's unlocked development account sends the transaction. */
async function withResearcherWallet(context) {
  await context.exposeFunction("dnavaultTestSend", async (tx) => {
    const answer = await fetch(process.env.RPC_URL, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_sendTransaction", params: [tx] }),
    }).then((r) => r.json());
    if (answer.error) throw new Error(answer.error.message);
    return answer.result;
  });
  await context.addInitScript((address) => {
    window.ethereum = {
      request: async ({ method, params }) => {
        if (method === "eth_requestAccounts") return [address];
        if (method === "eth_sendTransaction") return window.dnavaultTestSend(params[0]);
        throw new Error("unsupported " + method);
      },
    };
  }, process.env.RESEARCHER);
}

async function fileARequest(page, profile) {
  await page.goto(base + "/vaults/1");
  await page.getByRole("link", { name: "Request access to this vault" }).click();
  await heading(page, "Request access to a vault");
  await page.getByLabel("Analysis", { exact: true }).selectOption("panel:0:counts");
  await page.getByLabel("What the data will be used for").selectOption("6");
  await page.getByLabel(/non-commercial use only/).check();
  await page.getByLabel("For how many days").fill("30");
  await page.getByLabel("Where your research protocol is published").fill("https://protocol.example/brca");
  await page.getByLabel(/Its keccak256/).fill("0x" + "ab".repeat(32));
  await fitsWidth(page, "the request form");
  await shot(page, profile, "request", "1-form");
  await page.getByRole("button", { name: "Review the request" }).click();
  await heading(page, "Your request, in words");
  await page.getByText("non-commercial use only").first().waitFor();
  await fitsWidth(page, "the request's review");
  await shot(page, profile, "request", "2-review");
  await page.getByRole("button", { name: "File with my browser wallet" }).click();
  await page.getByText(/Filed in transaction 0x[0-9a-f]{64}/).waitFor({ timeout: 10000 });
  await shot(page, profile, "request", "3-filed");
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run"],
});
try {
  for (const profile of profiles) {
    const context = await browser.newContext(profile.options);
    const page = await context.newPage();
    await browseVaults(page, profile.name);
    await browseRequests(page, profile.name);
    await signInWithTheCli(page, context, profile.name);
    await context.close();
    const withWallet = await browser.newContext(profile.options);
    await withBrowserWallet(withWallet);
    await signInWithABrowserWallet(await withWallet.newPage(), profile.name);
    await withWallet.close();
    const researching = await browser.newContext(profile.options);
    await withResearcherWallet(researching);
    await fileARequest(await researching.newPage(), profile.name);
    await researching.close();
    console.log(`${profile.name}: every story passed`);
  }
} finally {
  await browser.close();
}
