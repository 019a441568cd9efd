//! HPKE: wrapping a vault's data key to the vault's public key, and opening results sealed to this wallet.

use std::path::PathBuf;

use alloy::primitives::{U256, keccak256};
use clap::{Args, Subcommand};
use dnavault_envelope::{Envelope, PublicKey, context, data_key_aad};
use dnavault_wallet::explain::Explanation;
use eyre::{WrapErr, eyre};
use serde_json::json;

use super::{Session, registry::configured_deployment};

#[derive(Debug, Subcommand)]
pub(crate) enum HpkeCommand {
    /// Wrap a vault's data key to the vault's X25519 public key (prints the envelope and its keccak256).
    WrapDataKey(WrapArgs),
    /// Open a result a vault sealed to this wallet's HPKE key.
    Open(OpenArgs),
}

#[derive(Debug, Args)]
pub(crate) struct WrapArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The vault's X25519 public key, 64 hex digits.
    #[arg(long, value_name = "HEX")]
    to: String,
}

#[derive(Debug, Args)]
pub(crate) struct OpenArgs {
    /// The envelope, hex (default: standard input).
    #[arg(long = "in", value_name = "FILE")]
    input: Option<PathBuf>,
    /// The associated data the vault bound the result to, hex (e.g. the query request hash).
    #[arg(long, value_name = "HEX", default_value = "")]
    aad: String,
}

pub(crate) fn run(session: &Session, command: HpkeCommand) -> eyre::Result<()> {
    match command {
        HpkeCommand::WrapDataKey(args) => wrap(session, &args),
        HpkeCommand::Open(args) => open(session, &args),
    }
}

fn wrap(session: &Session, args: &WrapArgs) -> eyre::Result<()> {
    let deployment = configured_deployment(session)
        .wrap_err("set the chain and registry with `dnavault-wallet config`")?;
    let vault: u64 = args
        .vault
        .try_into()
        .map_err(|_| eyre!("--vault {} is out of range", args.vault))?;
    let recipient = PublicKey::from_bytes(&hex(&args.to).wrap_err("--to")?)?;
    let explanation = Explanation {
        title: format!("Give vault {vault} the key to your genome"),
        facts: vec![
            ("Vault".into(), vault.to_string()),
            ("Vault public key".into(), args.to.trim_start_matches("0x").to_owned()),
            ("Registry".into(), deployment.registry.to_checksum(None)),
        ],
        warnings: vec![
            "whoever holds this public key's secret can read your genome: continue only for a vault whose attestation you verified".into(),
        ],
    };
    session.confirm(&explanation, "Wrap the data key?")?;
    let seed = session.unlock()?.seed();
    let key = seed.data_key(deployment.chain_id, deployment.registry, vault)?;
    let aad = data_key_aad(
        deployment.chain_id,
        &deployment.registry.into_array(),
        vault,
    );
    let envelope =
        dnavault_envelope::seal(&recipient, context::DATA_KEY, &aad, key.expose())?.to_bytes();
    let envelope_hex = to_hex(&envelope);
    session.emit(
        &json!({ "envelope": envelope_hex, "wrappedKeyHash": keccak256(&envelope) }),
        &format!("{envelope_hex}\nwrappedKeyHash: {}", keccak256(&envelope)),
    )
}

fn open(session: &Session, args: &OpenArgs) -> eyre::Result<()> {
    use std::io::{Read, Write};
    let text = match &args.input {
        Some(path) => std::fs::read_to_string(path).wrap_err_with(|| path.display().to_string())?,
        None => {
            let mut text = String::new();
            std::io::stdin().read_to_string(&mut text)?;
            text
        }
    };
    let envelope = Envelope::from_bytes(&hex(text.trim()).wrap_err("the envelope")?)?;
    let aad = hex(&args.aad).wrap_err("--aad")?;
    let key = session.unlock()?.seed().hpke_key()?;
    let plaintext = dnavault_envelope::open(&key, &envelope, context::QUERY_RESULT, &aad)?;
    match std::str::from_utf8(&plaintext) {
        Ok(text) if session.json => session.emit(&json!({ "plaintext": text }), text),
        _ => Ok(std::io::stdout().write_all(&plaintext)?),
    }
}

fn hex(text: &str) -> eyre::Result<Vec<u8>> {
    alloy::hex::decode(text.trim()).map_err(|e| eyre!("not hexadecimal: {e}"))
}

fn to_hex(bytes: &[u8]) -> String {
    alloy::hex::encode(bytes)
}
