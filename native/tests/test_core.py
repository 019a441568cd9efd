"""The native core through UniFFI's Python binding, against the CLI (the reference): the same words give the
same identities, the same document the same signature and the same refusals, and keystore seals move
between the two. Environment: NATIVE (script/build-native's output), WALLET (the dnavault-wallet binary).
Run by tests/e2e/native.rs."""

import json
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(os.environ["NATIVE"]) / "python"))
import dnavault_native as core  # noqa: E402

ANVIL_WORDS = "test test test test test test test test test test test junk"
PASSWORD = "correct horse battery staple"
MAIL = (Path(__file__).parents[2] / "wallet/tests/fixtures/eip712-mail.json").read_text()
QUERY_APPROVAL = json.dumps({
    "types": {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                         {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
        "QueryApproval": [{"name": "vaultId", "type": "uint256"}, {"name": "requestHash", "type": "bytes32"},
                          {"name": "deadline", "type": "uint256"}],
    },
    "primaryType": "QueryApproval",
    "domain": {"name": "DNA Vault Registry", "version": "1", "chainId": 31337,
               "verifyingContract": "0x5FbDB2315678afecb367f032d93F642f64180aa3"},
    "message": {"vaultId": "1", "requestHash": "0x" + "11" * 32, "deadline": "1"},
})


class Cli:
    """A CLI wallet home restored from `words`."""

    def __init__(self, words):
        self.dir = Path(tempfile.mkdtemp(prefix="dnavault-native-test-"))
        self.home = self.dir / "home"
        (self.dir / "words.txt").write_text(words)
        self.json("restore", "--words-file", str(self.dir / "words.txt"))

    def run(self, *args, password=PASSWORD):
        env = {**os.environ, "DNAVAULT_PASSWORD": password, "DNAVAULT_KDF_LOG_N": "10"}
        return subprocess.run([os.environ["WALLET"], "--home", str(self.home), "--json", "--yes", *args],
                              env=env, capture_output=True, text=True)

    def json(self, *args, password=PASSWORD):
        done = self.run(*args, password=password)
        assert done.returncode == 0, f"{args}: {done.stderr}"
        return json.loads(done.stdout)


def identity(wallet, index):
    i = wallet.identity(index)
    return {"index": i.index, "address": i.address, "pgpFingerprint": i.pgp_fingerprint,
            "tlsCertificateSha256": i.tls_certificate_sha256, "hpkePublicKey": i.hpke_public_key}


class NativeCore(unittest.TestCase):
    def test_the_same_words_give_the_cli_identities(self):
        fresh = core.Wallet.generate()
        for words in (ANVIL_WORDS, fresh.recovery_words()):
            cli, native = Cli(words), core.Wallet.restore(words, "")
            for index in (0, 1, 7):
                self.assertEqual(identity(native, index), cli.json("show", "--index", str(index)), index)
        self.assertEqual(core.Wallet.restore(ANVIL_WORDS, "").identity(0).address,
                         "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")

    def test_the_same_document_gives_the_cli_signature_and_refusals(self):
        cli, native = Cli(ANVIL_WORDS), core.Wallet.restore(ANVIL_WORDS, "")
        (cli.dir / "mail.json").write_text(MAIL)
        reference = cli.json("sign-typed-data", str(cli.dir / "mail.json"))
        signed = native.sign_typed_data(MAIL, None)
        self.assertEqual((signed.digest, signed.signer.lower(), signed.signature),
                         (reference["digest"], reference["signer"].lower(), reference["signature"]))
        self.assertEqual(signed.signer, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "EIP-55, as shown")
        words = core.explain_typed_data(MAIL, None)
        self.assertTrue(any("not a DNA Vault registry message" in w for w in words.warnings), words)
        with self.assertRaisesRegex(core.NativeError.Refused, "bare QueryApproval"):
            native.sign_typed_data(QUERY_APPROVAL, None)
        (cli.dir / "approval.json").write_text(QUERY_APPROVAL)
        self.assertIn("bare QueryApproval", cli.run("sign-typed-data", str(cli.dir / "approval.json")).stderr)
        with self.assertRaisesRegex(core.NativeError.Refused, "not EIP-712 typed data"):
            core.explain_typed_data("{", None)

    def test_keystores_move_between_the_cli_and_the_native_core(self):
        cli = Cli(ANVIL_WORDS)
        opened = core.Wallet.open_with_passphrase((cli.home / "keystore.age").read_bytes(), PASSWORD)
        self.assertEqual(opened.identity(0).address, "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        with self.assertRaisesRegex(core.NativeError.Refused, "does not unlock"):
            core.Wallet.open_with_passphrase((cli.home / "keystore.age").read_bytes(), "wrong")
        fresh = core.Wallet.generate()
        other = Cli(ANVIL_WORDS)
        (other.home / "keystore.age").write_bytes(fresh.seal_with_passphrase("a phone passphrase", 10))
        self.assertEqual(other.json("show", password="a phone passphrase")["address"], fresh.identity(0).address)
        with self.assertRaisesRegex(core.NativeError.Refused, "between 10 and 30"):
            fresh.seal_with_passphrase("a phone passphrase", 8)

    def test_a_platform_key_seal_refuses_any_other_key_and_any_flipped_byte(self):
        fresh, key = core.Wallet.generate(), os.urandom(32)
        sealed = fresh.seal_with_key(key)
        self.assertEqual(core.Wallet.open_with_key(sealed, key).recovery_words(), fresh.recovery_words())
        with self.assertRaisesRegex(core.NativeError.Refused, "does not unlock"):
            core.Wallet.open_with_key(sealed, os.urandom(32))
        with self.assertRaisesRegex(core.NativeError.Refused, "16 bytes, not 32"):
            core.Wallet.open_with_key(sealed, key[:16])
        for at in (0, len(sealed) // 2, len(sealed) - 1):
            tampered = bytearray(sealed)
            tampered[at] ^= 1
            with self.assertRaises(core.NativeError.Refused, msg=f"a flip at byte {at} opened"):
                core.Wallet.open_with_key(bytes(tampered), key)

    def test_a_wrong_restore_says_what_is_wrong(self):
        with self.assertRaisesRegex(core.NativeError.Refused, "checksum"):
            core.Wallet.restore(ANVIL_WORDS.replace("junk", "zoo"), "")
        with self.assertRaisesRegex(core.NativeError.Refused, "word 3"):
            core.Wallet.restore(ANVIL_WORDS.replace("test test test", "test test tset", 1), "")


if __name__ == "__main__":
    unittest.main(verbosity=2)
