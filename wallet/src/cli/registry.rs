//! Registry messages: each is explained, confirmed, signed, then submitted (`--send`) or printed for a relayer.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    signers::local::PrivateKeySigner,
    sol_types::SolStruct,
};
use clap::Args;
use dnavault_protocol::{
    ApproveMeasurement, BindVaultKey, BootApproval, Grant, QueryApproval, Revoke,
    RevokeMeasurement, eip712::registry_domain,
};
use dnavault_wallet::{
    explain::{self, Deployment, Explanation},
    inputs::{self, Analysis},
    registry::Connection,
    typed::{self, SignedTypedData},
};
use eyre::{WrapErr, bail};
use serde::Serialize;
use serde_json::json;

use super::Session;

/// Where and how a registry message is signed and sent.
/// What a grant, revocation or access request is for.
#[derive(Debug, Args)]
pub(crate) struct AnalysisArgs {
    /// The analysis descriptor (a JSON file: a panel lookup, allele counts, Beacon or one scoring file;
    /// see crates/protocol/descriptors): the grant allows exactly what it describes.
    #[arg(long, value_name = "FILE")]
    descriptor: std::path::PathBuf,
}

impl AnalysisArgs {
    fn analysis(&self) -> eyre::Result<Analysis> {
        Ok(Analysis::from_file(&self.descriptor)?)
    }
}

#[derive(Debug, Args)]
pub(crate) struct ChainArgs {
    /// The chain's JSON-RPC URL (else the config's). Needed for --send; without it, give --chain-id,
    /// --registry and --nonce.
    #[arg(long, env = "DNAVAULT_RPC_URL")]
    rpc_url: Option<String>,
    /// The VaultRegistry's address (else the config's).
    #[arg(long)]
    registry: Option<String>,
    /// The chain id (else read from the chain, else the config's).
    #[arg(long)]
    chain_id: Option<u64>,
    /// The owner's signature nonce (else read from the chain).
    #[arg(long)]
    nonce: Option<U256>,
    /// How long the signature may wait to be submitted: 1h, 2d, or a time.
    #[arg(long, default_value = "1h")]
    deadline: String,
    /// The Ethereum account index that signs.
    #[arg(long, default_value_t = 0)]
    index: u32,
    /// Submit the transaction (this wallet pays the gas) instead of printing the signed payload.
    #[arg(long)]
    send: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GrantArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The researcher's address.
    #[arg(long)]
    grantee: String,
    #[command(flatten)]
    analysis: AnalysisArgs,
    /// The DUO purpose: a permission, then the modifiers researchers must accept, e.g. `HMB+NCU`,
    /// `DS/MONDO:0007254` (disease-specific research names the disease) or `DUO:0000042`.
    #[arg(long)]
    purpose: String,
    /// Until when: 30d, 2027-01-01, or an RFC 3339 time.
    #[arg(long)]
    expiry: String,
    /// Ask me to approve every single query.
    #[arg(long)]
    per_query_approval: bool,
    /// How many queries the grant allows in its life (the vault counts them); without it, no limit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_queries: Option<u32>,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct RevokeArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The researcher's address.
    #[arg(long)]
    grantee: String,
    #[command(flatten)]
    analysis: AnalysisArgs,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct MeasurementArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The 48-byte SNP launch measurement, 96 hex digits.
    #[arg(long)]
    measurement: String,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct BindArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The vault's attested signing key (an address).
    #[arg(long)]
    vault_key: String,
    /// The measurement the vault booted with.
    #[arg(long)]
    measurement: String,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct BootArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The vault's attested signing key.
    #[arg(long)]
    vault_key: String,
    /// The measurement it asks to boot with.
    #[arg(long)]
    measurement: String,
    /// The boot request's nonce (32 bytes hex).
    #[arg(long)]
    boot_nonce: String,
    /// keccak256 of the wrapped data key sent with the approval (32 bytes hex).
    #[arg(long)]
    wrapped_key_hash: String,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The EIP-712 hash of the researcher's query request (32 bytes hex).
    #[arg(long)]
    request_hash: String,
    #[command(flatten)]
    chain: ChainArgs,
}

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
}

/// The chain and registry from the config, for explaining documents.
pub(crate) fn configured_deployment(session: &Session) -> eyre::Result<Deployment> {
    let config = session.home.config()?;
    match (config.chain_id, config.registry) {
        (Some(chain_id), Some(registry)) => Ok(Deployment { chain_id, registry }),
        _ => bail!("no chain configured"),
    }
}

/// Everything needed to sign one registry message.
struct Signing {
    signer: PrivateKeySigner,
    deployment: Deployment,
    connection: Option<Connection>,
    now: u64,
}

impl Signing {
    async fn open(session: &Session, args: &ChainArgs) -> eyre::Result<Self> {
        let config = session.home.config()?;
        let signer = session.unlock()?.seed().ethereum_signer(args.index)?;
        let registry = match args.registry.as_deref() {
            Some(text) => Some(inputs::address("--registry", text)?),
            None => config.registry,
        };
        let Some(registry) = registry else {
            bail!(dnavault_wallet::WalletError::Missing {
                what: "the registry address",
                flag: "--registry"
            });
        };
        let rpc_url = args.rpc_url.clone().or(config.rpc_url);
        let connection = match &rpc_url {
            Some(url) => Some(Connection::connect(url, registry, signer.clone()).await?),
            None => None,
        };
        let chain_id = match (&connection, args.chain_id.or(config.chain_id)) {
            (Some(c), Some(given)) if c.deployment().chain_id != given => {
                bail!(
                    "--chain-id {given} does not match the chain at the RPC URL ({})",
                    c.deployment().chain_id
                )
            }
            (Some(c), _) => c.deployment().chain_id,
            (None, Some(given)) => given,
            (None, None) => bail!(dnavault_wallet::WalletError::Missing {
                what: "the chain id",
                flag: "--chain-id"
            }),
        };
        if args.send && connection.is_none() {
            bail!(dnavault_wallet::WalletError::Missing {
                what: "the RPC URL (needed for --send)",
                flag: "--rpc-url"
            });
        }
        let now = dnavault_protocol::clock::unix_now()?;
        Ok(Self {
            signer,
            deployment: Deployment { chain_id, registry },
            connection,
            now,
        })
    }

    fn deadline(&self, args: &ChainArgs) -> eyre::Result<U256> {
        Ok(U256::from(inputs::time(
            "--deadline",
            &args.deadline,
            self.now,
        )?))
    }

    /// The vault owner's next nonce: --nonce, else read from the chain.
    async fn nonce(&self, args: &ChainArgs, vault: U256) -> eyre::Result<U256> {
        if let Some(nonce) = args.nonce {
            return Ok(nonce);
        }
        let Some(connection) = &self.connection else {
            bail!(dnavault_wallet::WalletError::Missing {
                what: "the signature nonce (or an RPC URL)",
                flag: "--nonce"
            });
        };
        let owner = connection.owner_of(vault).await?;
        if owner != self.signer.address() {
            eprintln!(
                "note: vault {vault} is owned by {owner}, not this account ({}); the registry accepts the signature only if {owner} is a contract wallet that does",
                self.signer.address()
            );
        }
        Ok(connection.nonce(owner).await?)
    }

    /// Explains (with `explain`), confirms, signs, then submits (`--send`) or prints the signed message.
    async fn finish<S: SolStruct + Serialize>(
        &self,
        session: &Session,
        args: &ChainArgs,
        message: &S,
        explain: impl FnOnce(&S, Deployment) -> Explanation,
    ) -> eyre::Result<()> {
        let signed = self
            .sign(session, message, &explain(message, self.deployment))
            .await?;
        if !args.send {
            let value = serde_json::to_value(&signed)?;
            // The payload is meant to be passed on: it is JSON either way.
            return session.emit(&value, &serde_json::to_string_pretty(&value)?);
        }
        let connection = self
            .connection
            .as_ref()
            .ok_or_else(|| eyre::eyre!("--send needs an RPC URL"))?;
        let submitted = connection.submit(&signed).await?;
        session.emit(
            &serde_json::to_value(&submitted)?,
            &format!(
                "Submitted: transaction {} in block {} ({} gas)",
                submitted.transaction, submitted.block, submitted.gas_used
            ),
        )
    }

    /// Explains, confirms and signs `message`.
    async fn sign<S: SolStruct + Serialize>(
        &self,
        session: &Session,
        message: &S,
        explanation: &Explanation,
    ) -> eyre::Result<SignedTypedData> {
        session.confirm(explanation, "Sign?")?;
        let domain = registry_domain(self.deployment.chain_id, self.deployment.registry);
        let signed = typed::sign(&self.signer, typed::document(message, &domain)).await?;
        debug_assert_eq!(signed.digest, message.eip712_signing_hash(&domain));
        Ok(signed)
    }
}

pub(crate) async fn grant(session: &Session, args: GrantArgs) -> eyre::Result<()> {
    let s = Signing::open(session, &args.chain).await?;
    let analysis = args.analysis.analysis()?;
    let message = Grant {
        vaultId: args.vault,
        grantee: inputs::address("--grantee", &args.grantee)?,
        scope: analysis.scope,
        purpose: inputs::purpose(&args.purpose)?.to_bytes16(),
        expiry: inputs::time("--expiry", &args.expiry, s.now)?,
        perQueryApproval: args.per_query_approval,
        maxQueries: args.max_queries.unwrap_or(0),
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    if message.expiry <= s.now {
        bail!(
            "--expiry {} is not in the future",
            inputs::format_time(message.expiry)
        );
    }
    s.finish(session, &args.chain, &message, |m, d| {
        explain::grant(m, d, &analysis)
    })
    .await
}

pub(crate) async fn revoke(session: &Session, args: RevokeArgs) -> eyre::Result<()> {
    let s = Signing::open(session, &args.chain).await?;
    let analysis = args.analysis.analysis()?;
    let message = Revoke {
        vaultId: args.vault,
        grantee: inputs::address("--grantee", &args.grantee)?,
        scope: analysis.scope,
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, |m, d| {
        explain::revoke(m, d, &analysis)
    })
    .await
}

pub(crate) async fn approve_measurement(
    session: &Session,
    args: MeasurementArgs,
) -> eyre::Result<()> {
    let s = Signing::open(session, &args.chain).await?;
    let message = ApproveMeasurement {
        vaultId: args.vault,
        measurement: inputs::measurement(&args.measurement)?,
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, explain::approve_measurement)
        .await
}

pub(crate) async fn revoke_measurement(
    session: &Session,
    args: MeasurementArgs,
) -> eyre::Result<()> {
    let s = Signing::open(session, &args.chain).await?;
    let message = RevokeMeasurement {
        vaultId: args.vault,
        measurement: inputs::measurement(&args.measurement)?,
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, explain::revoke_measurement)
        .await
}

pub(crate) async fn bind_vault_key(session: &Session, args: BindArgs) -> eyre::Result<()> {
    let s = Signing::open(session, &args.chain).await?;
    let message = BindVaultKey {
        vaultId: args.vault,
        vaultKey: inputs::address("--vault-key", &args.vault_key)?,
        measurement: inputs::measurement(&args.measurement)?,
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, explain::bind_vault_key)
        .await
}

pub(crate) async fn approve_boot(session: &Session, args: BootArgs) -> eyre::Result<()> {
    refuse_send(&args.chain, "a boot approval")?;
    let s = Signing::open(session, &args.chain).await?;
    let message = BootApproval {
        vaultId: args.vault,
        vaultKey: inputs::address("--vault-key", &args.vault_key)?,
        measurement: inputs::measurement(&args.measurement)?,
        bootNonce: inputs::bytes32("--boot-nonce", &args.boot_nonce)?,
        wrappedKeyHash: inputs::bytes32("--wrapped-key-hash", &args.wrapped_key_hash)?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, explain::boot_approval)
        .await
}

pub(crate) async fn approve_query(session: &Session, args: QueryArgs) -> eyre::Result<()> {
    refuse_send(&args.chain, "a query approval")?;
    let s = Signing::open(session, &args.chain).await?;
    let message = QueryApproval {
        vaultId: args.vault,
        requestHash: inputs::bytes32("--request-hash", &args.request_hash)?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, explain::query_approval)
        .await
}

fn refuse_send(args: &ChainArgs, what: &str) -> eyre::Result<()> {
    if args.send {
        bail!("{what} is checked by the vault, not submitted on-chain: drop --send");
    }
    Ok(())
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
    let protocol = std::fs::read(&args.protocol_file)
        .wrap_err_with(|| args.protocol_file.display().to_string())?;
    let protocol_hash: B256 = keccak256(&protocol);
    let analysis = args.analysis.analysis()?;
    let scope = analysis.scope;
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
        warnings: vec!["the request, its purpose and protocol link are public on-chain".into()],
    }
    .analysis(&analysis);
    session.confirm(&explanation, "File the request?")?;
    let (submitted, request_id) = connection
        .request_access(
            args.vault,
            scope,
            purpose.to_bytes16(),
            expiry,
            protocol_hash,
            args.protocol_uri,
        )
        .await?;
    session.emit(
        &json!({ "requestId": request_id, "transaction": submitted.transaction, "block": submitted.block }),
        &format!("Access request {request_id} filed in transaction {}", submitted.transaction),
    )
}
