// The native core through UniFFI's Kotlin binding on the JVM (with JNA), as an Android app would call it,
// against the CLI: the same words give the same identities, the same document the same signature, the same
// refusals; a platform-key seal refuses any other key. Environment: WALLET (the dnavault-wallet binary),
// MAIL (wallet/tests/fixtures/eip712-mail.json).
// Run by tests/e2e/native.rs (kotlinc from the npm package kotlin-compiler; JNA from Debian's libjna-java).

import java.io.File
import java.nio.file.Files
import java.security.SecureRandom
import uniffi.dnavault_native.NativeException
import uniffi.dnavault_native.Wallet
import uniffi.dnavault_native.explainTypedData

const val ANVIL_WORDS = "test test test test test test test test test test test junk"
const val PASSWORD = "correct horse battery staple"

/** `dnavault-wallet --json --yes ARGS` in a home restored from `words`: its stdout. */
class Cli(words: String) {
    val dir: File = Files.createTempDirectory("dnavault-native-kotlin-").toFile()
    private val home = File(dir, "home")

    init {
        File(dir, "words.txt").writeText(words)
        run("restore", "--words-file", File(dir, "words.txt").path)
    }

    fun run(vararg args: String): String {
        val wallet = System.getenv("WALLET") ?: error("set WALLET to the dnavault-wallet binary")
        val process = ProcessBuilder(listOf(wallet, "--home", home.path, "--json", "--yes") + args)
            .apply { environment()["DNAVAULT_PASSWORD"] = PASSWORD; environment()["DNAVAULT_KDF_LOG_N"] = "10" }
            .redirectErrorStream(false)
            .start()
        val out = process.inputStream.bufferedReader().readText()
        val err = process.errorStream.bufferedReader().readText()
        check(process.waitFor() == 0) { "dnavault-wallet ${args.joinToString(" ")}: $err" }
        return out
    }
}

/** The string value of `"key": "..."` in the CLI's JSON (its JSON is flat where read here). */
fun field(json: String, key: String): String =
    Regex("\"$key\"\\s*:\\s*\"([^\"]*)\"").find(json)?.groupValues?.get(1) ?: error("no $key in $json")

fun refused(what: String, expected: String, call: () -> Unit) {
    try {
        call()
    } catch (e: NativeException.Refused) {
        check(e.reason.contains(expected)) { "$what: refused with \"${e.reason}\", not \"$expected\"" }
        return
    }
    error("$what was not refused")
}

fun identities(words: String) {
    val cli = Cli(words)
    Wallet.restore(words, "").use { wallet ->
        for (index in listOf(0u, 1u, 7u)) {
            val shown = cli.run("show", "--index", index.toString())
            val id = wallet.identity(index)
            check(id.address == field(shown, "address")) { "account $index: ${id.address} vs $shown" }
            check(id.pgpFingerprint == field(shown, "pgpFingerprint")) { "account $index: PGP" }
            check(id.tlsCertificateSha256 == field(shown, "tlsCertificateSha256")) { "account $index: TLS" }
            check(id.hpkePublicKey == field(shown, "hpkePublicKey")) { "account $index: HPKE" }
        }
    }
}

fun main() {
    val fresh = Wallet.generate()
    identities(ANVIL_WORDS)
    identities(fresh.recoveryWords())
    println("identities: the CLI's, for Anvil's words and new ones, at accounts 0, 1 and 7")

    val mail = File(System.getenv("MAIL") ?: error("set MAIL to the EIP-712 Mail fixture")).readText()
    val cli = Cli(ANVIL_WORDS)
    File(cli.dir, "mail.json").writeText(mail)
    val reference = cli.run("sign-typed-data", File(cli.dir, "mail.json").path)
    Wallet.restore(ANVIL_WORDS, "").use { wallet ->
        val signed = wallet.signTypedData(mail, null)
        check(signed.digest == field(reference, "digest")) { "digest ${signed.digest} vs $reference" }
        check(signed.signature == field(reference, "signature")) { "signature ${signed.signature} vs $reference" }
        check(signed.signer == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266") { "signer ${signed.signer}" }
    }
    check(explainTypedData(mail, null).warnings.any { it.contains("not a DNA Vault registry message") })
    refused("a document that is not JSON", "not EIP-712 typed data") { explainTypedData("{", null) }
    println("signatures: the CLI's for the EIP-712 Mail document, with its warning")

    val key = ByteArray(32).also { SecureRandom().nextBytes(it) }
    val sealed = fresh.sealWithKey(key)
    Wallet.openWithKey(sealed, key).use { check(it.recoveryWords() == fresh.recoveryWords()) }
    refused("another platform key", "does not unlock") { Wallet.openWithKey(sealed, ByteArray(32)) }
    refused("a 16-byte key", "16 bytes, not 32") { Wallet.openWithKey(sealed, key.copyOf(16)) }
    val tampered = sealed.copyOf().also { it[it.size / 2] = (it[it.size / 2].toInt() xor 1).toByte() }
    refused("a flipped byte", "keystore") { Wallet.openWithKey(tampered, key) }
    refused("a wrong checksum", "checksum") { Wallet.restore(ANVIL_WORDS.replace("junk", "zoo"), "") }
    fresh.close()
    println("seals: a platform-key seal opens with its key only; a bad restore says why")
    println("kotlin tests passed")
}
