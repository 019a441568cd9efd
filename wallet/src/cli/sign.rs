//! Generic signing: typed-data documents and EIP-191 messages.

use std::path::PathBuf;

use clap::Args;
use dnavault_wallet::{explain, inputs::Analysis, typed};
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
    let ours = data.domain.name.as_deref() == Some(dnavault_protocol::eip712::DOMAIN_NAME);
    if ours && data.primary_type == "QueryApproval" {
        eyre::bail!(
            "refusing to sign a bare QueryApproval: it names a request by hash only. Approve the query with \
             `dnavault-wallet approve-query --submission FILE`, which checks the request and shows it in words"
        );
    }
    if ours && data.primary_type == "BootApproval" {
        eyre::bail!(
            "refusing to sign a bare BootApproval: it names the vault's chain view by hash only. Answer the \
             vault with `dnavault-wallet boot`, which verifies its attestation and shows what it will trust"
        );
    }
    let given = args
        .descriptor
        .as_deref()
        .map(Analysis::from_file)
        .transpose()?;
    let analysis = explain::scope_of(&data, given.as_ref())?;
    if let Some(unreadable) = analysis.as_ref().filter(|a| a.descriptor.is_none()) {
        eyre::bail!(
            "refusing to sign a {} for scope {}: this wallet cannot say what it allows. Give the analysis \
             descriptor it is the hash of with --descriptor FILE",
            data.primary_type,
            unreadable.scope
        );
    }
    let explanation = explain::typed_data(
        &data,
        configured_deployment(session).ok(),
        analysis.as_ref(),
    );
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
