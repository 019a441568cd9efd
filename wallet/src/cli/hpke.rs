//! HPKE: opening results a vault sealed to this wallet. (A data key is only ever wrapped by `boot`, to a
//! key whose attestation verified.)

use std::path::PathBuf;

use clap::{Args, Subcommand};
use dnavault_envelope::{Envelope, context};
use eyre::{WrapErr, eyre};
use serde_json::json;

use super::Session;

#[derive(Debug, Subcommand)]
pub(crate) enum HpkeCommand {
    /// Open a result a vault sealed to this wallet's HPKE key.
    Open(OpenArgs),
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
        HpkeCommand::Open(args) => open(session, &args),
    }
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
