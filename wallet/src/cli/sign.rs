//! Generic signing: typed-data documents and EIP-191 messages.

use std::path::PathBuf;

use clap::Args;
use dnavault_wallet::{
    WalletError, explain,
    inputs::Analysis,
    typed::{self, Unsignable},
};
use eyre::WrapErr;
use serde_json::json;

use super::{Session, registry::configured_deployment};

#[derive(Debug, Args)]
pub(crate) struct SignTypedDataArgs {
    /// The eth_signTypedData_v4 JSON document.
    file: PathBuf,
    /// For a registry Grant or Revoke: the analysis descriptor its scope is the hash of (JSON), so the
    /// wallet can say what it allows. Without it such a document is not signed.
    #[arg(long, value_name = "FILE")]
    descriptor: Option<PathBuf>,
    /// The Ethereum account index that signs.
    #[arg(long, default_value_t = 0)]
    index: u32,
}

#[derive(Debug, Args)]
pub(crate) struct TypedDataHashArgs {
    /// The eth_signTypedData_v4 JSON document.
    file: PathBuf,
}

#[derive(Debug, Args)]
pub(crate) struct SignMessageArgs {
    /// The message text (else --file, else standard input).
    #[arg(long, conflicts_with = "file")]
    message: Option<String>,
    /// A file whose bytes are the message.
    #[arg(long, value_name = "FILE")]
    file: Option<PathBuf>,
    /// The Ethereum account index that signs.
    #[arg(long, default_value_t = 0)]
    index: u32,
}

pub(crate) async fn sign_typed_data(
    session: &Session,
    args: SignTypedDataArgs,
) -> eyre::Result<()> {
    let data = typed::load(&args.file)?;
    let digest = typed::digest(&data)?;
    let given = args
        .descriptor
        .as_deref()
        .map(Analysis::from_file)
        .transpose()?;
    let explanation = typed::review(&data, given.as_ref(), configured_deployment(session).ok())
        .map_err(|e| match e {
            WalletError::Unsignable(refusal) => eyre::eyre!("{refusal}. {}", cli_hint(&refusal)),
            other => other.into(),
        })?;
    let signer = session.unlock()?.seed().ethereum_signer(args.index)?;
    session.confirm(&explanation, "Sign?")?;
    let signed = typed::sign(&signer, data)?;
    debug_assert_eq!(signed.digest, digest);
    session.emit(
        &serde_json::to_value(&signed)?,
        &signed.signature.to_string(),
    )
}

/// Where the CLI does what a refused document asked for.
fn cli_hint(refusal: &Unsignable) -> &'static str {
    match refusal {
        Unsignable::BareQueryApproval => "Use `dnavault-wallet approve-query --submission FILE`",
        Unsignable::BareBootApproval => "Use `dnavault-wallet boot`",
        Unsignable::UnreadableScope { .. } => "Give it with --descriptor FILE",
    }
}

pub(crate) fn typed_data_hash(session: &Session, args: &TypedDataHashArgs) -> eyre::Result<()> {
    let digest = typed::digest(&typed::load(&args.file)?)?;
    session.emit(&json!({ "digest": digest }), &digest.to_string())
}

pub(crate) async fn sign_message(session: &Session, args: SignMessageArgs) -> eyre::Result<()> {
    let message = match (args.message, &args.file) {
        (Some(text), _) => text.into_bytes(),
        (None, Some(path)) => std::fs::read(path).wrap_err_with(|| path.display().to_string())?,
        (None, None) => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
                .wrap_err("reading standard input")?;
            bytes
        }
    };
    let signer = session.unlock()?.seed().ethereum_signer(args.index)?;
    let shown = String::from_utf8(message.clone())
        .unwrap_or_else(|_| format!("({} bytes of binary data)", message.len()));
    let explanation = explain::Explanation {
        title: "Sign a personal message (EIP-191)".into(),
        facts: vec![
            ("Message".into(), shown),
            ("Signer".into(), signer.address().to_checksum(None)),
        ],
        warnings: vec![],
    };
    session.confirm(&explanation, "Sign?")?;
    let signature = typed::sign_message(&signer, &message)?;
    session.emit(
        &json!({ "signer": signer.address().to_checksum(None), "signature": signature }),
        &signature.to_string(),
    )
}
