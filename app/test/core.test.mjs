// The wasm core under Node.js: it agrees with the native CLI (the same words give the same address, PGP and
// TLS fingerprints and HPKE key; the same document gives the same signature, and the same refusals), and
// its seals hold (a wrong passkey or passphrase, a flipped byte, a short key are refused; the CLI's keystore
// opens here and the app's passphrase seal opens in the CLI).
//
// Environment: APP_BUNDLE (script/build-app's output) and WALLET (the dnavault-wallet binary). Run by
// tests/e2e/app.rs: `node --test app/test/`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const bundle = process.env.APP_BUNDLE;
const walletBinary = process.env.WALLET;
assert.ok(bundle && walletBinary, "set APP_BUNDLE (script/build-app) and WALLET (the dnavault-wallet binary)");
const core = await import(join(bundle, "pkg", "dnavault_app.js"));
core.initSync({ module: readFileSync(join(bundle, "pkg", "dnavault_app_bg.wasm")) });
const { Wallet, explainTypedData } = core;

const ANVIL_WORDS = "test test test test test test test test test test test junk";
const PASSWORD = "correct horse battery staple";
const PANEL = readFileSync(new URL("../../crates/protocol/descriptors/panels/brca1-brca2.grch37.json", import.meta.url), "utf8");
const DESCRIPTOR = `{"analysis": "dnavault/query/genotype-lookup/v2", "panel": ${PANEL}}`;

/** A CLI wallet restored from `words`: run(args) gives {status, stdout, stderr}; json(args) parses stdout. */
function cliWallet(words) {
  const dir = mkdtempSync(join(tmpdir(), "dnavault-app-test-"));
  const home = join(dir, "home");
  const run = (args) => {
    const result = spawnSync(walletBinary, ["--home", home, "--json", "--yes", ...args], {
      env: { ...process.env, DNAVAULT_PASSWORD: PASSWORD, DNAVAULT_KDF_LOG_N: "10" },
      encoding: "utf8",
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };
  const file = (name, text) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const restored = run(["restore", "--words-file", file("words.txt", words)]);
  assert.equal(restored.status, 0, restored.stderr);
  const json = (args) => {
    const result = run(args);
    assert.equal(result.status, 0, `${args.join(" ")}: ${result.stderr}`);
    return JSON.parse(result.stdout);
  };
  return { dir, home, run, json, file };
}

test("the same words give the same identity in the wasm core and the CLI", () => {
  const fresh = Wallet.generate();
  for (const words of [ANVIL_WORDS, fresh.recoveryWords()]) {
    const cli = cliWallet(words);
    const app = Wallet.restore(words, "");
    for (const index of [0, 1, 7]) {
      assert.deepEqual(app.identity(index), cli.json(["show", "--index", String(index)]), `account ${index}`);
    }
    app.free();
  }
  assert.equal(Wallet.restore(ANVIL_WORDS, "").identity(0).address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  fresh.free();
});

test("the same document gives the same digest and signature, and the same refusals", () => {
  const cli = cliWallet(ANVIL_WORDS);
  const app = Wallet.restore(ANVIL_WORDS, "");
  const mail = readFileSync(new URL("../../wallet/tests/fixtures/eip712-mail.json", import.meta.url), "utf8");
  const descriptorFile = cli.file("brca.json", DESCRIPTOR);
  const grant = cli.json([
    "grant", "--vault", "1", "--grantee", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "--purpose", "HMB+NCU",
    "--expiry", "1d", "--registry", "0x5FbDB2315678afecb367f032d93F642f64180aa3", "--chain-id", "31337",
    "--nonce", "0", "--descriptor", descriptorFile, "--max-queries", "5",
  ]).typedData;
  const grantJson = JSON.stringify(grant);
  for (const [name, json, descriptor] of [["mail", mail, undefined], ["grant", grantJson, DESCRIPTOR]]) {
    const args = ["sign-typed-data", cli.file(`${name}.json`, json)];
    if (descriptor) args.push("--descriptor", descriptorFile);
    const native = cli.json(args);
    const wasm = app.signTypedData(json, descriptor);
    assert.equal(wasm.digest, native.digest, `${name}: digest`);
    assert.equal(wasm.signature, native.signature, `${name}: signature`);
    assert.equal(wasm.signer, native.signer, `${name}: signer`);
  }
  const words = explainTypedData(grantJson, DESCRIPTOR, 31337n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  const text = JSON.stringify(words);
  for (const expected of ["BRCA1 17:41196312-41277500", "at most 5 queries in the grant's life", "non-commercial"]) {
    assert.ok(text.includes(expected), `the grant's words lack "${expected}": ${text}`);
  }
  assert.ok(!words.warnings.some((w) => w.includes("different chain")), "a grant for the app's own deployment is flagged");
  const elsewhere = explainTypedData(grantJson, DESCRIPTOR, 1n, "0x5FbDB2315678afecb367f032d93F642f64180aa3");
  assert.ok(elsewhere.warnings.some((w) => w.includes("different chain or registry")), JSON.stringify(elsewhere));

  // A Grant without its descriptor, and bare approvals, are refused by both.
  assert.throws(() => app.signTypedData(grantJson, undefined), /cannot say what it allows/);
  const noDescriptor = cli.run(["sign-typed-data", cli.file("grant-bare.json", grantJson)]);
  assert.notEqual(noDescriptor.status, 0);
  assert.match(noDescriptor.stderr, /cannot say what it allows/);
  const approval = JSON.stringify({ ...grant, primaryType: "QueryApproval", types: { ...grant.types, QueryApproval: [
    { name: "vaultId", type: "uint256" }, { name: "requestHash", type: "bytes32" }, { name: "deadline", type: "uint256" },
  ] }, message: { vaultId: "1", requestHash: `0x${"11".repeat(32)}`, deadline: "1" } });
  assert.throws(() => app.signTypedData(approval, undefined), /bare QueryApproval/);
  const bare = cli.run(["sign-typed-data", cli.file("approval.json", approval)]);
  assert.match(bare.stderr, /bare QueryApproval/);
  const otherDescriptor = DESCRIPTOR.replace("genotype-lookup", "allele-counts");
  assert.throws(() => app.signTypedData(grantJson, otherDescriptor), /does not describe this message|not a valid|not an analysis/);
  assert.throws(() => app.signTypedData("{not json", undefined), /not EIP-712 typed data/);
  app.free();
});

test("a passkey seal opens only with the same PRF output and untouched bytes", () => {
  const wallet = Wallet.restore(ANVIL_WORDS, "");
  const prf = new Uint8Array(32).fill(7);
  const sealed = wallet.sealWithPasskey(prf);
  const text = Buffer.from(sealed).toString("latin1");
  assert.ok(!text.includes("test test"), "the words are in the seal in clear");
  assert.equal(Wallet.openWithPasskey(sealed, prf).identity(0).address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  assert.throws(() => Wallet.openWithPasskey(sealed, new Uint8Array(32).fill(8)), /does not unlock this keystore/);
  assert.throws(() => Wallet.openWithPasskey(sealed, new Uint8Array(16)), /16 bytes, not 32/);
  for (const at of [0, 40, sealed.length - 1]) {
    const tampered = sealed.slice();
    tampered[at] ^= 1;
    assert.throws(() => Wallet.openWithPasskey(tampered, prf), /keystore/, `a flip at byte ${at} opened`);
  }
  assert.throws(() => Wallet.openWithPasskey(sealed.slice(0, 30), prf), /corrupt|not a passkey-sealed/);
  assert.notDeepEqual(wallet.sealWithPasskey(prf), sealed, "two seals of one wallet are equal");
  wallet.free();
});

test("a passphrase seal opens in the CLI, and the CLI's keystore opens in the app", () => {
  const cli = cliWallet(ANVIL_WORDS);
  const fromCli = Wallet.openWithPassphrase(readFileSync(join(cli.home, "keystore.age")), PASSWORD);
  assert.equal(fromCli.identity(0).address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  assert.throws(() => Wallet.openWithPassphrase(readFileSync(join(cli.home, "keystore.age")), "wrong"), /does not unlock/);
  const fresh = Wallet.generate();
  const sealed = fresh.sealWithPassphrase("a passphrase for the app");
  const other = cliWallet(ANVIL_WORDS);
  writeFileSync(join(other.home, "keystore.age"), sealed);
  const shown = spawnSync(walletBinary, ["--home", other.home, "--json", "show"], {
    env: { ...process.env, DNAVAULT_PASSWORD: "a passphrase for the app" },
    encoding: "utf8",
  });
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).address, fresh.identity(0).address);
  assert.throws(() => fresh.sealWithPassphrase(""), /empty/);
  fresh.free();
  fromCli.free();
});

test("new words are confirmed by three of them, and a wrong restore says which word", () => {
  const wallet = Wallet.generate();
  const words = wallet.recoveryWords().split(" ");
  assert.equal(words.length, 12);
  const positions = Array.from(wallet.confirmationPositions());
  assert.equal(positions.length, 3);
  assert.equal(new Set(positions).size, 3);
  assert.deepEqual([...positions].sort((a, b) => a - b), positions);
  assert.ok(positions.every((p) => p >= 1 && p <= 12));
  const right = positions.map((p) => words[p - 1]);
  assert.equal(wallet.confirmWords(Uint32Array.from(positions), right.map((w) => ` ${w.toUpperCase()} `)), true);
  const wrong = [...right];
  wrong[1] = wrong[1] === "abandon" ? "ability" : "abandon";
  assert.equal(wallet.confirmWords(Uint32Array.from(positions), wrong), false);
  assert.equal(wallet.confirmWords(Uint32Array.from(positions.slice(0, 2)), right.slice(0, 2)), false);
  assert.equal(wallet.confirmWords(Uint32Array.from([0, 13, 14]), ["a", "b", "c"]), false);
  wallet.free();
  assert.throws(() => Wallet.restore("test test test test test test test test test test test zzzz", ""), /word 12 /);
  assert.throws(() => Wallet.restore("test test test test test test test test test test test test", ""), /checksum/);
  assert.throws(() => Wallet.restore("test test test", ""), /has 3/);
  // A BIP39 passphrase is a different wallet, as in the CLI.
  const extra = Wallet.restore(ANVIL_WORDS, "extra words");
  assert.notEqual(extra.identity(0).address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
  extra.free();
});

test("pairing signs the phone's inbox and refuses a relay that answers for another", async () => {
  const { createServer } = await import("node:http");
  const registry = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  let answer = () => ({ status: 200, body: { topic: `0x${"00".repeat(32)}` } });
  const received = [];
  const server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk) => { body += chunk; });
    request.on("end", () => {
      received.push({ path: request.url, body: JSON.parse(body || "null") });
      const { status, body: out } = answer(received.at(-1).body);
      response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(out));
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const relay = `http://127.0.0.1:${server.address().port}/`;
  const wallet = Wallet.restore(ANVIL_WORDS, "");
  try {
    const facts = Object.fromEntries(wallet.pairing(31337n, registry).facts());
    assert.equal(facts.Account, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    assert.equal(facts["This phone's inbox key (HPKE)"], `0x${wallet.identity(0).hpkePublicKey}`);
    await assert.rejects(wallet.pairing(31337n, registry).register(relay), /did not register this phone/);
    assert.equal(received[0].path, "/relay/v1/inboxes");
    assert.equal(received[0].body.registration.account.toLowerCase(), "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    answer = () => ({ status: 503, body: { error: "the relay is down", check: "relay-unavailable" } });
    await assert.rejects(wallet.pairing(31337n, registry).register(relay), /relay/);
    answer = () => ({ status: 200, body: { topic: facts.Topic } });
    assert.equal(await wallet.pairing(31337n, registry).register(relay), facts.Topic);
    assert.throws(() => wallet.pairing(31337n, "not an address"), /registry address/);
  } finally {
    wallet.free();
    server.close();
  }
});
