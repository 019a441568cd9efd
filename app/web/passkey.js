// Passkeys with WebAuthn's PRF extension: the authenticator returns 32 bytes for a salt only after the
// person's verification, and the wasm core derives the keystore's key from them. The bytes are handed to
// the core and wiped here at once.

const RP_NAME = "DNA Vault authenticator";

/** Whether this browser offers a platform authenticator at all (PRF support shows only on creation). */
export async function available() {
  return Boolean(window.PublicKeyCredential) &&
    (await PublicKeyCredential.isUserVerifyingPlatformAuthenticatorAvailable?.().catch(() => false));
}

function random(length) {
  return crypto.getRandomValues(new Uint8Array(length));
}

/**
 * Creates a passkey for `address` and returns {credentialId, prfSalt, prf} (prf: 32 bytes), or throws
 * an Error whose message says what to do (no PRF support: use a passphrase).
 */
export async function create(address) {
  const prfSalt = random(32);
  const credential = await navigator.credentials.create({
    publicKey: {
      rp: { name: RP_NAME },
      user: { id: random(16), name: address, displayName: `DNA Vault owner ${address.slice(0, 10)}…` },
      challenge: random(32),
      pubKeyCredParams: [{ type: "public-key", alg: -7 }, { type: "public-key", alg: -257 }],
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      extensions: { prf: { eval: { first: prfSalt } } },
    },
  });
  const results = credential.getClientExtensionResults().prf;
  if (!results?.enabled) {
    throw new Error("This passkey cannot protect the wallet (it has no PRF support): choose a passphrase instead.");
  }
  const credentialId = new Uint8Array(credential.rawId);
  const first = results.results?.first;
  const prf = first ? new Uint8Array(first) : await evaluate(credentialId, prfSalt);
  return { credentialId, prfSalt, prf };
}

/** Asks the passkey `credentialId` for its PRF output on `prfSalt` (32 bytes), after the person's verification. */
export async function evaluate(credentialId, prfSalt) {
  const assertion = await navigator.credentials.get({
    publicKey: {
      challenge: random(32),
      allowCredentials: [{ type: "public-key", id: credentialId }],
      userVerification: "required",
      extensions: { prf: { eval: { first: prfSalt } } },
    },
  });
  const first = assertion.getClientExtensionResults().prf?.results?.first;
  if (!first) throw new Error("The passkey gave no key: unlock with your recovery words instead.");
  return new Uint8Array(first);
}
