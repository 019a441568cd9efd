//! Generic signing: typed-data documents and EIP-191 messages.

use std::path::PathBuf;

use clap::Args;
use dnavault_wallet::{explain, typed};
use eyre::WrapErr;
use serde_json::json;

use super::{Session, registry::configured_deployment};

#[derive(Debug, Args)]
pub(crate) struct SignTypedDataArgs {
    /// The eth_signTypedData_v4 JSON document.
    file: PathBuf,
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
    if let Some(scope) = explain::unreadable_scope(&data) {
        eyre::bail!(
            "refusing to sign a {} for scope {scope}: this wallet cannot say what it allows. Sign it with \
             `dnavault-wallet {} --descriptor FILE`, which shows the analysis in words",
            data.primary_type,
            data.primary_type.to_lowercase()
        );
    }
    let explanation = explain::typed_data(&data, configured_deployment(session).ok());
    let signer = session.unlock()?.seed().ethereum_signer(args.index)?;
    session.confirm(&explanation, "Sign?")?;
    let signed = typed::sign(&signer, data).await?;
    debug_assert_eq!(signed.digest, digest);
    session.emit(
        &serde_json::to_value(&signed)?,
        &signed.signature.to_string(),
    )
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
    let signature = typed::sign_message(&signer, &message).await?;
    session.emit(
        &json!({ "signer": signer.address().to_checksum(None), "signature": signature }),
        &signature.to_string(),
    )
}
