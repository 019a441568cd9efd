//! Access requests: a researcher files one on-chain; the owner grants it as asked, after reading it in words.

use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256, U256, keccak256};
use clap::Args;
use dnavault_wallet::{
    explain::{self, Explanation, RequestTerms},
    inputs::{self, Analysis},
    registry::{Connection, NewRequest},
};
use eyre::{WrapErr, bail};
use serde_json::json;

use super::{
    Session,
    registry::{AnalysisArgs, ChainArgs, Signing},
};

#[derive(Debug, Args)]
pub(crate) struct RequestArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// The DUO purpose, e.g. `HMB+NCU` or `DS/MONDO:0007254`.
    #[arg(long)]
    purpose: String,
    /// How long the access is wanted: 90d, or a date.
    #[arg(long)]
    expiry: String,
    /// The research protocol document (its keccak256 is recorded on-chain).
    #[arg(long, value_name = "FILE")]
    protocol_file: PathBuf,
    /// Where the protocol can be read.
    #[arg(long)]
    protocol_uri: String,
    /// The chain's JSON-RPC URL (else the config's).
    #[arg(long, env = "DNAVAULT_RPC_URL")]
    rpc_url: Option<String>,
    /// The VaultRegistry's address (else the config's).
    #[arg(long)]
    registry: Option<String>,
    /// The Ethereum account index that files the request.
    #[arg(long, default_value_t = 0)]
    index: u32,
    /// Sign the transaction and print it instead of sending it (paste it into the website's request page,
    /// which checks and broadcasts it). The account still pays its gas.
    #[arg(long)]
    sign_only: bool,
}

pub(crate) async fn request_access(session: &Session, args: RequestArgs) -> eyre::Result<()> {
    let config = session.home.config()?;
    let registry: Address = match args.registry.as_deref() {
        Some(text) => inputs::address("--registry", text)?,
        None => config
            .registry
            .ok_or(dnavault_wallet::WalletError::Missing {
                what: "the registry address",
                flag: "--registry",
            })?,
    };
    let Some(url) = args.rpc_url.or(config.rpc_url) else {
        bail!(dnavault_wallet::WalletError::Missing {
            what: "the RPC URL",
            flag: "--rpc-url"
        });
    };
    let signer = session.unlock()?.seed().ethereum_signer(args.index)?;
    let connection = Connection::connect(&url, registry, signer.clone()).await?;
    let now = dnavault_protocol::clock::unix_now()?;
    let protocol_hash = protocol_hash(&args.protocol_file)?;
    let analysis = args.analysis.analysis()?;
    let Some(descriptor) = analysis.descriptor.clone() else {
        bail!("an access request names its analysis by descriptor");
    };
    let purpose = inputs::purpose(&args.purpose)?;
    let expiry = inputs::time("--expiry", &args.expiry, now)?;
    let explanation = Explanation {
        title: format!("Ask the owner of vault {} for access", args.vault),
        facts: vec![
            ("Vault".into(), args.vault.to_string()),
            (
                "Researcher (you)".into(),
                signer.address().to_checksum(None),
            ),
            ("Purpose".into(), purpose.describe()),
            ("Access until".into(), inputs::format_time(expiry)),
            (
                "Protocol".into(),
                format!("{} (keccak256 {protocol_hash})", args.protocol_uri),
            ),
        ],
        warnings: vec![
            "the request, its analysis descriptor, its purpose and protocol link are public on-chain".into(),
        ],
    }
    .analysis(&analysis);
    let request = NewRequest {
        vault: args.vault,
        descriptor,
        purpose: purpose.to_bytes16(),
        requested_expiry: expiry,
        protocol_hash,
        protocol_uri: args.protocol_uri,
    };
    if args.sign_only {
        session.confirm(
            &explanation,
            "Sign the request (it is filed when the transaction is broadcast)?",
        )?;
        let signed = connection.sign_request_access(&request).await?;
        return session.emit(
            &serde_json::to_value(&signed)?,
            &format!(
                "Signed, not sent: transaction {} (nonce {} of {}).\nPaste this into the website's request \
                 page to file it:\n{}",
                signed.hash, signed.nonce, signed.from, signed.transaction
            ),
        );
    }
    session.confirm(&explanation, "File the request?")?;
    let (submitted, request_id) = connection.request_access(&request).await?;
    session.emit(
        &json!({ "requestId": request_id, "transaction": submitted.transaction, "block": submitted.block }),
        &format!("Access request {request_id} filed in transaction {}", submitted.transaction),
    )
}

/// What `grant --from-request` takes besides the request's own terms.
#[derive(Debug, Clone)]
pub(crate) struct FromRequest {
    /// The request.
    pub(crate) id: U256,
    /// A copy of the descriptor the request names, checked against it (else the one it published).
    pub(crate) descriptor: Option<PathBuf>,
    /// The grant's expiry (else the requested one).
    pub(crate) expiry: Option<String>,
    /// Whether each query also needs the owner's approval.
    pub(crate) per_query_approval: bool,
    /// The query budget.
    pub(crate) max_queries: Option<u32>,
    /// The owner's copy of the research protocol, checked against the published hash.
    pub(crate) protocol_file: Option<PathBuf>,
}

/// Grants access request `from.id` as the researcher asked (vault, researcher, analysis, purpose), once the
/// owner has read it in words: the descriptor must be the one the request's scope is the hash of.
pub(crate) async fn grant_from_request(
    session: &Session,
    from: FromRequest,
    chain: &ChainArgs,
) -> eyre::Result<()> {
    if !chain.send {
        bail!("granting an access request is the owner's own transaction: add --send");
    }
    let s = Signing::open(session, chain).await?;
    let connection = s.connection()?;
    let filed = connection.access_request(from.id).await?;
    let request = &filed.request;
    if request.status != 1 {
        bail!(
            "access request {} is {}, not pending: nothing to grant",
            from.id,
            filed.status_words()
        );
    }
    let analysis = match &from.descriptor {
        Some(path) => Analysis::of_scope(request.scope, Some(&Analysis::from_file(path)?))?,
        None => filed.published()?,
    };
    let expiry = match &from.expiry {
        Some(text) => inputs::time("--expiry", text, s.now)?,
        None => request.requestedExpiry,
    };
    if expiry > request.requestedExpiry {
        bail!(
            "--expiry {} is later than the researcher asked for ({})",
            inputs::format_time(expiry),
            inputs::format_time(request.requestedExpiry)
        );
    }
    let protocol_read = match &from.protocol_file {
        Some(path) => Some(protocol_hash(path)? == filed.protocol_hash),
        None => None,
    };
    let terms = RequestTerms {
        expiry,
        per_query_approval: from.per_query_approval,
        max_queries: from.max_queries.unwrap_or(0),
        protocol_read,
    };
    let explanation = explain::grant_request(&filed, &analysis, terms, s.deployment);
    if protocol_read == Some(false) {
        eprint!("{explanation}");
        bail!(
            "the protocol file is not the one access request {} published",
            from.id
        );
    }
    session.confirm(&explanation, "Grant it?")?;
    let submitted = connection
        .grant_request(from.id, expiry, terms.per_query_approval, terms.max_queries)
        .await?;
    session.emit(
        &serde_json::to_value(&submitted)?,
        &format!(
            "Access request {} granted: transaction {} in block {}",
            from.id, submitted.transaction, submitted.block
        ),
    )
}

/// keccak256 of the protocol document at `path`.
fn protocol_hash(path: &Path) -> eyre::Result<B256> {
    let protocol = std::fs::read(path).wrap_err_with(|| path.display().to_string())?;
    Ok(keccak256(&protocol))
}

#[derive(Debug, Args)]
pub(crate) struct DenyArgs {
    /// The access request's id.
    #[arg(long)]
    request: U256,
    #[command(flatten)]
    chain: ChainArgs,
}

/// Denies a researcher's pending access request: the owner's own transaction (`--send`).
pub(crate) async fn deny_request(session: &Session, args: DenyArgs) -> eyre::Result<()> {
    if !args.chain.send {
        bail!("denying a request is the owner's own transaction: add --send");
    }
    let s = Signing::open(session, &args.chain).await?;
    let connection = s.connection()?;
    let filed = connection.access_request(args.request).await?;
    let r = &filed.request;
    let explanation = Explanation {
        title: format!("Deny access request {} to vault {}", filed.id, r.vaultId),
        facts: vec![
            ("Researcher".into(), r.researcher.to_checksum(None)),
            (
                "Protocol".into(),
                format!("{} (keccak256 {})", filed.protocol_uri, filed.protocol_hash),
            ),
            ("Scope".into(), r.scope.to_string()),
        ],
        warnings: vec![
            "the denial is public on-chain; the researcher can file a new request".into(),
        ],
    };
    session.confirm(&explanation, "Deny it?")?;
    let submitted = connection.deny_request(args.request).await?;
    session.emit(
        &serde_json::to_value(&submitted)?,
        &format!(
            "Access request {} denied: transaction {} in block {}",
            args.request, submitted.transaction, submitted.block
        ),
    )
}
