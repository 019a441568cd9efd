//! Commands about the keys themselves: new, restore, show, export, config, TLS and OpenPGP export.

use std::{
    io::{IsTerminal, Read},
    os::unix::fs::OpenOptionsExt,
    path::PathBuf,
};

use clap::{Args, Subcommand};
use dnavault_keys::{SeedPhrase, keystore::read_secret_file, pgp};
use eyre::{WrapErr, bail};
use serde_json::json;
use zeroize::Zeroizing;

use dnavault_wallet::identity::Identity;

use super::Session;

const BACKUP_WARNING: &str = "\
Write these 12 words down, in order, on paper, and keep them somewhere safe and offline.
They are the only way to restore this wallet and every key it holds, including the keys to your genome.
Anyone who has them controls your vaults. They will not be shown again (see `dnavault-wallet export`).";

#[derive(Debug, Args)]
pub(crate) struct NewArgs {}

#[derive(Debug, Args)]
pub(crate) struct RestoreArgs {
    /// A file holding the words (else standard input).
    #[arg(long, value_name = "FILE")]
    words_file: Option<PathBuf>,
    /// A file holding the optional BIP39 passphrase (the "25th word").
    #[arg(long, value_name = "FILE")]
    bip39_passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// The Ethereum account index (m/44'/60'/0'/0/INDEX).
    #[arg(long, default_value_t = 0)]
    index: u32,
}

#[derive(Debug, Args)]
pub(crate) struct ConfigArgs {
    /// The chain's JSON-RPC URL.
    #[arg(long)]
    rpc_url: Option<String>,
    /// The VaultRegistry's address.
    #[arg(long)]
    registry: Option<String>,
    /// The chain id (read from the chain when --rpc-url is given).
    #[arg(long)]
    chain_id: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct TlsCertArgs {
    /// Also write the certificate's private key (PKCS#8 PEM) to this new file, mode 0600.
    #[arg(long, value_name = "FILE")]
    key_out: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PgpCommand {
    /// Print the OpenPGP public key, ASCII-armored.
    Export,
    /// Make a detached, armored signature of a file (standard input by default).
    Sign(PgpIo),
    /// Check a detached signature (against your own key, or --key).
    Verify {
        /// The armored signature.
        #[arg(long, value_name = "FILE")]
        signature: PathBuf,
        /// The signer's armored public key (default: your own).
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        #[command(flatten)]
        io: PgpIo,
    },
    /// Encrypt a message or file to a recipient's public key (default: yourself).
    Encrypt {
        /// The recipient's armored public key.
        #[arg(long, value_name = "FILE")]
        recipient: Option<PathBuf>,
        #[command(flatten)]
        io: PgpIo,
    },
    /// Decrypt a message or file encrypted to your key.
    Decrypt(PgpIo),
}

/// Where OpenPGP data comes from and goes to.
#[derive(Debug, Args)]
pub(crate) struct PgpIo {
    /// Input file (default: standard input).
    #[arg(long = "in", value_name = "FILE")]
    input: Option<PathBuf>,
    /// Output file, created new (default: standard output).
    #[arg(long = "out", value_name = "FILE")]
    output: Option<PathBuf>,
}

impl PgpIo {
    fn read(&self) -> eyre::Result<Vec<u8>> {
        match &self.input {
            Some(path) => std::fs::read(path).wrap_err_with(|| path.display().to_string()),
            None => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .wrap_err("reading standard input")?;
                Ok(bytes)
            }
        }
    }

    /// Writes armored text to --out, or prints it (as `{field: text}` with --json).
    fn emit(&self, session: &Session, field: &str, text: &str) -> eyre::Result<()> {
        if self.output.is_none() && session.json {
            return session.emit(&json!({ field: text }), text);
        }
        self.write(text.as_bytes())
    }

    fn write(&self, bytes: &[u8]) -> eyre::Result<()> {
        use std::io::Write;
        match &self.output {
            Some(path) => write_new_private(path, bytes)?,
            None => std::io::stdout().write_all(bytes)?,
        }
        Ok(())
    }
}

/// Writes `bytes` to a new file only its owner can read (refusing to replace one), synced to disk.
fn write_new_private(path: &std::path::Path, bytes: &[u8]) -> eyre::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .wrap_err_with(|| format!("{} (it must not exist yet)", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

pub(crate) fn new(session: &Session, _args: NewArgs) -> eyre::Result<()> {
    ensure_no_wallet(session)?;
    let phrase = SeedPhrase::generate();
    let passphrase = session.passphrase(true)?;
    session
        .home
        .create(&phrase, "", &passphrase, session.strength)?;
    let address = phrase.to_seed("").ethereum_address(0)?;
    eprintln!("{BACKUP_WARNING}\n");
    let words = phrase.words();
    session.emit(
        &json!({ "words": words.as_str(), "address": address.to_checksum(None), "home": session.home.dir() }),
        &format!("{}\n\nAddress: {}", words.as_str(), address.to_checksum(None)),
    )
}

pub(crate) fn restore(session: &Session, args: RestoreArgs) -> eyre::Result<()> {
    ensure_no_wallet(session)?;
    let words = match &args.words_file {
        Some(path) => read_secret_file(path)?,
        None => read_words_from_stdin()?,
    };
    let phrase = SeedPhrase::parse(&words)?;
    let bip39 = match &args.bip39_passphrase_file {
        Some(path) => read_secret_file(path)?,
        None => Zeroizing::new(String::new()),
    };
    let passphrase = session.passphrase(true)?;
    session
        .home
        .create(&phrase, &bip39, &passphrase, session.strength)?;
    let address = phrase.to_seed(&bip39).ethereum_address(0)?;
    session.emit(
        &json!({ "address": address.to_checksum(None), "home": session.home.dir() }),
        &format!("Restored. Address: {}", address.to_checksum(None)),
    )
}

fn read_words_from_stdin() -> eyre::Result<Zeroizing<String>> {
    let mut words = Zeroizing::new(String::new());
    if std::io::stdin().is_terminal() {
        *words = rpassword::prompt_password("Recovery words (hidden): ")?;
    } else {
        std::io::stdin()
            .read_to_string(&mut words)
            .wrap_err("reading the words from standard input")?;
    }
    Ok(words)
}

fn ensure_no_wallet(session: &Session) -> eyre::Result<()> {
    if session.home.has_keystore() {
        bail!(
            "a wallet already exists at {}; choose another --home (this wallet is never overwritten)",
            session.home.dir().display()
        );
    }
    Ok(())
}

pub(crate) fn show(session: &Session, args: &ShowArgs) -> eyre::Result<()> {
    let identity = Identity::of(&session.unlock()?.seed(), args.index)?;
    session.emit(
        &serde_json::to_value(&identity)?,
        &format!(
            "Address (account {}):    {}\nOpenPGP fingerprint:     {}\nTLS certificate SHA-256: {}\nHPKE public key:         {}",
            identity.index,
            identity.address.to_checksum(None),
            identity.pgp_fingerprint,
            identity.tls_certificate_sha256,
            identity.hpke_public_key
        ),
    )
}

pub(crate) fn export(session: &Session) -> eyre::Result<()> {
    let unlocked = session.unlock()?;
    let explanation = dnavault_wallet::explain::Explanation {
        title: "Show the recovery words on this screen".into(),
        facts: vec![],
        warnings: vec!["anyone who sees them controls your vaults".into()],
    };
    session.confirm(&explanation, "Show them?")?;
    let words = unlocked.phrase.words();
    session.emit(&json!({ "words": words.as_str() }), words.as_str())
}

pub(crate) async fn config(session: &Session, args: ConfigArgs) -> eyre::Result<()> {
    let mut config = session.home.config()?;
    let changed = args.rpc_url.is_some() || args.registry.is_some() || args.chain_id.is_some();
    if let Some(registry) = &args.registry {
        config.registry = Some(dnavault_wallet::inputs::address("--registry", registry)?);
    }
    if let Some(chain_id) = args.chain_id {
        config.chain_id = Some(chain_id);
    }
    if let Some(url) = args.rpc_url {
        config.chain_id = Some(chain_id_of(&url).await?);
        config.rpc_url = Some(url);
    }
    if changed {
        session.home.save_config(&config)?;
    }
    let text = format!(
        "rpc-url:  {}\nregistry: {}\nchain-id: {}",
        config.rpc_url.as_deref().unwrap_or("(not set)"),
        config
            .registry
            .map(|a| a.to_checksum(None))
            .unwrap_or_else(|| "(not set)".into()),
        config
            .chain_id
            .map(|c| c.to_string())
            .unwrap_or_else(|| "(not set)".into())
    );
    session.emit(&serde_json::to_value(&config)?, &text)
}

async fn chain_id_of(url: &str) -> eyre::Result<u64> {
    use alloy::providers::{Provider, ProviderBuilder};
    let provider =
        ProviderBuilder::new().connect_http(url.parse().wrap_err("--rpc-url is not a URL")?);
    provider
        .get_chain_id()
        .await
        .wrap_err_with(|| format!("cannot reach {url}"))
}

pub(crate) fn tls_cert(session: &Session, args: &TlsCertArgs) -> eyre::Result<()> {
    let tls = session.unlock()?.seed().tls_identity()?;
    if let Some(path) = &args.key_out {
        write_new_private(path, tls.private_key_pem().as_bytes())?;
    }
    session.emit(
        &json!({ "certificatePem": tls.certificate_pem(), "sha256": tls.sha256_hex() }),
        tls.certificate_pem().trim_end(),
    )
}

pub(crate) fn pgp(session: &Session, command: PgpCommand) -> eyre::Result<()> {
    let seed = session.unlock()?.seed();
    let key = dnavault_wallet::identity::pgp_key(&seed)?;
    match command {
        PgpCommand::Export => {
            let armored = key.public_key_armored()?;
            session.emit(
                &json!({ "fingerprint": key.fingerprint(), "publicKey": armored }),
                armored.trim_end(),
            )
        }
        PgpCommand::Sign(io) => {
            let data = io.read()?;
            let explanation = dnavault_wallet::explain::Explanation {
                title: "Sign data with your OpenPGP key".into(),
                facts: vec![
                    (
                        "Data".into(),
                        format!("{} bytes from {}", data.len(), describe_input(&io)),
                    ),
                    ("Key".into(), key.fingerprint()),
                ],
                warnings: vec![],
            };
            session.confirm(&explanation, "Sign?")?;
            let signature = key.sign_detached(&data)?;
            io.emit(session, "signature", &signature)
        }
        PgpCommand::Verify {
            signature,
            key: signer,
            io,
        } => {
            let public = match &signer {
                Some(path) => pgp::read_public_key(&read_text(path)?)?,
                None => key.public_key(),
            };
            pgp::verify_detached(&public, &io.read()?, &read_text(&signature)?)?;
            let fingerprint = pgp::fingerprint(&public);
            session.emit(
                &json!({ "valid": true, "fingerprint": fingerprint }),
                &format!("Good signature from {fingerprint}"),
            )
        }
        PgpCommand::Encrypt { recipient, io } => {
            let public = match &recipient {
                Some(path) => pgp::read_public_key(&read_text(path)?)?,
                None => key.public_key(),
            };
            let message = pgp::encrypt_to(&public, &io.read()?)?;
            io.emit(session, "message", &message)
        }
        PgpCommand::Decrypt(io) => {
            let armored =
                String::from_utf8(io.read()?).wrap_err("the message is not ASCII-armored")?;
            io.write(&key.decrypt(&armored)?)
        }
    }
}

fn read_text(path: &std::path::Path) -> eyre::Result<String> {
    std::fs::read_to_string(path).wrap_err_with(|| path.display().to_string())
}

fn describe_input(io: &PgpIo) -> String {
    io.input
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "standard input".into())
}
