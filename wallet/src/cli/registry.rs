//! Registry messages: each is explained, confirmed, signed, then submitted (`--send`) or printed for a relayer.

use std::path::PathBuf;

use alloy::{primitives::U256, signers::local::PrivateKeySigner, sol_types::SolStruct};
use clap::Args;
use dnavault_protocol::{
    ApproveMeasurement, ApproveTool, BindVaultKey, BootApproval, Grant, QueryApproval, Revoke,
    RevokeMeasurement, RevokeTool, eip712::registry_domain, tool::ToolManifest,
};
use dnavault_wallet::{
    approval::ToApprove,
    explain::{self, Deployment, Explanation},
    inputs::{self, Analysis},
    registry::Connection,
    typed::{self, SignedTypedData},
};
use eyre::bail;
use serde::Serialize;

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
    pub(super) fn analysis(&self) -> eyre::Result<Analysis> {
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
    pub(super) send: bool,
}

#[derive(Debug, Args)]
pub(crate) struct GrantArgs {
    /// Grant a researcher's on-chain access request as asked: its vault, researcher, analysis and purpose
    /// come from the request (give the descriptor it names with --descriptor).
    #[arg(long, value_name = "ID", conflicts_with_all = ["vault", "grantee", "purpose"])]
    from_request: Option<U256>,
    /// The vault id.
    #[arg(long, required_unless_present = "from_request")]
    vault: Option<U256>,
    /// The researcher's address.
    #[arg(long, required_unless_present = "from_request")]
    grantee: Option<String>,
    /// The analysis descriptor (a JSON file: a panel lookup, allele counts, Beacon or one scoring file;
    /// see crates/protocol/descriptors): the grant allows exactly what it describes. With --from-request,
    /// a copy of the one the request published, checked against it.
    #[arg(long, value_name = "FILE", required_unless_present = "from_request")]
    descriptor: Option<PathBuf>,
    /// The DUO purpose: a permission, then the modifiers researchers must accept, e.g. `HMB+NCU`,
    /// `DS/MONDO:0007254` (disease-specific research names the disease) or `DUO:0000042`.
    #[arg(long, required_unless_present = "from_request")]
    purpose: Option<String>,
    /// Until when: 30d, 2027-01-01, or an RFC 3339 time (with --from-request, at most and by default the
    /// requested expiry).
    #[arg(long, required_unless_present = "from_request")]
    expiry: Option<String>,
    /// Ask me to approve every single query.
    #[arg(long)]
    per_query_approval: bool,
    /// How many queries the grant allows in its life (the vault counts them); without it, no limit.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    max_queries: Option<u32>,
    /// With --from-request: your copy of the research protocol, checked against the hash the request
    /// published.
    #[arg(long, value_name = "FILE", requires = "from_request")]
    protocol_file: Option<PathBuf>,
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

/// Which tool, in which vault.
#[derive(Debug, Args)]
pub(crate) struct ToolArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// The tool's manifest (JSON): the wallet hashes it and shows what it says.
    #[arg(long, value_name = "FILE", required_unless_present = "tool")]
    manifest: Option<PathBuf>,
    /// The tool's identity (its manifest's hash), when you have no manifest to show: removing only.
    #[arg(long, conflicts_with = "manifest")]
    tool: Option<String>,
    #[command(flatten)]
    chain: ChainArgs,
}

impl ToolArgs {
    /// The tool's identity, and its manifest when given.
    fn tool(&self) -> eyre::Result<(alloy::primitives::B256, Option<ToolManifest>)> {
        match (&self.manifest, &self.tool) {
            (Some(path), _) => {
                let manifest = inputs::tool_manifest(path)?;
                Ok((manifest.id(), Some(manifest)))
            }
            (None, Some(tool)) => Ok((inputs::bytes32("--tool", tool)?, None)),
            (None, None) => {
                bail!("name the tool with --manifest FILE (or --tool HASH to remove it)")
            }
        }
    }
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
    /// The vault's chain view (the `chain` of its boot request, JSON): shown in words, signed by hash.
    #[arg(long, value_name = "FILE")]
    chain_view: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The researcher's prepared query (`dnavault-researcher query --prepare-only FILE` writes it): the
    /// signed request, the query and the grant's descriptor. The wallet checks them and shows the query in
    /// words; it signs no bare request hash.
    #[arg(long, value_name = "FILE")]
    submission: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CancelArgs {
    /// The vault id.
    #[arg(long)]
    vault: U256,
    /// Void every unused message signed with a nonce below this (else only the next one: the nonce the
    /// registry expects now).
    #[arg(long)]
    below: Option<U256>,
    #[command(flatten)]
    chain: ChainArgs,
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
pub(super) struct Signing {
    signer: PrivateKeySigner,
    pub(super) deployment: Deployment,
    connection: Option<Connection>,
    pub(super) now: u64,
}

impl Signing {
    /// The signing account.
    pub(super) fn address(&self) -> alloy::primitives::Address {
        self.signer.address()
    }

    /// The connection to the chain (there is one whenever `--send` was given).
    pub(super) fn connection(&self) -> eyre::Result<&Connection> {
        self.connection
            .as_ref()
            .ok_or_else(|| eyre::eyre!("--send needs an RPC URL"))
    }

    pub(super) async fn open(session: &Session, args: &ChainArgs) -> eyre::Result<Self> {
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
        Ok(connection.nonce(vault).await?)
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
        let submitted = self.connection()?.submit(&signed).await?;
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
        let signed = typed::sign(&self.signer, typed::document(message, &domain))?;
        debug_assert_eq!(signed.digest, message.eip712_signing_hash(&domain));
        Ok(signed)
    }
}

pub(crate) async fn grant(session: &Session, args: GrantArgs) -> eyre::Result<()> {
    if let Some(id) = args.from_request {
        let from = super::request::FromRequest {
            id,
            descriptor: args.descriptor,
            expiry: args.expiry,
            per_query_approval: args.per_query_approval,
            max_queries: args.max_queries,
            protocol_file: args.protocol_file,
        };
        return super::request::grant_from_request(session, from, &args.chain).await;
    }
    let (Some(vault), Some(grantee), Some(purpose), Some(expiry)) =
        (args.vault, &args.grantee, &args.purpose, &args.expiry)
    else {
        bail!("a grant names --vault, --grantee, --purpose and --expiry (or --from-request)");
    };
    let Some(descriptor) = &args.descriptor else {
        bail!("a grant names its analysis: --descriptor FILE");
    };
    let analysis = Analysis::from_file(descriptor)?;
    let s = Signing::open(session, &args.chain).await?;
    let message = Grant {
        vaultId: vault,
        grantee: inputs::address("--grantee", grantee)?,
        scope: analysis.scope,
        purpose: inputs::purpose(purpose)?.to_bytes16(),
        expiry: inputs::time("--expiry", expiry, s.now)?,
        perQueryApproval: args.per_query_approval,
        maxQueries: args.max_queries.unwrap_or(0),
        nonce: s.nonce(&args.chain, vault).await?,
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

pub(crate) async fn approve_tool(session: &Session, args: ToolArgs) -> eyre::Result<()> {
    let (tool, manifest) = args.tool()?;
    if manifest.is_none() {
        bail!("installing a tool needs its manifest (--manifest FILE), so you can read what it is");
    }
    let s = Signing::open(session, &args.chain).await?;
    let message = ApproveTool {
        vaultId: args.vault,
        tool,
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, |m, d| {
        explain::approve_tool(m, d, manifest.as_ref())
    })
    .await
}

pub(crate) async fn revoke_tool(session: &Session, args: ToolArgs) -> eyre::Result<()> {
    let (tool, manifest) = args.tool()?;
    let s = Signing::open(session, &args.chain).await?;
    let message = RevokeTool {
        vaultId: args.vault,
        tool,
        nonce: s.nonce(&args.chain, args.vault).await?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, |m, d| {
        explain::revoke_tool(m, d, manifest.as_ref())
    })
    .await
}

/// Prints a manifest's identity, the hash an owner approves and a grant names.
pub(crate) fn tool_id(session: &Session, args: &ToolIdArgs) -> eyre::Result<()> {
    let manifest = inputs::tool_manifest(&args.manifest)?;
    let id = manifest.id();
    session.emit(
        &serde_json::json!({ "tool": id, "name": manifest.name, "version": manifest.version }),
        &format!("{id}  {} {}", manifest.name, manifest.version),
    )
}

/// A manifest to hash.
#[derive(Debug, Args)]
pub(crate) struct ToolIdArgs {
    /// The tool's manifest (JSON).
    #[arg(long, value_name = "FILE")]
    manifest: PathBuf,
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
    let view = inputs::chain_view(&args.chain_view)?;
    let s = Signing::open(session, &args.chain).await?;
    let message = BootApproval {
        vaultId: args.vault,
        vaultKey: inputs::address("--vault-key", &args.vault_key)?,
        measurement: inputs::measurement(&args.measurement)?,
        chainView: view.hash(),
        bootNonce: inputs::bytes32("--boot-nonce", &args.boot_nonce)?,
        wrappedKeyHash: inputs::bytes32("--wrapped-key-hash", &args.wrapped_key_hash)?,
        deadline: s.deadline(&args.chain)?,
    };
    s.finish(session, &args.chain, &message, |m, d| {
        explain::boot_approval(m, d, Some(&view))
    })
    .await
}

pub(crate) async fn approve_query(session: &Session, args: QueryArgs) -> eyre::Result<()> {
    refuse_send(&args.chain, "a query approval")?;
    let s = Signing::open(session, &args.chain).await?;
    let domain = registry_domain(s.deployment.chain_id, s.deployment.registry);
    let to = ToApprove::read(&args.submission, &domain)?;
    let message: QueryApproval = to.approval(s.deadline(&args.chain)?);
    s.finish(session, &args.chain, &message, |m, d| {
        explain::query_approval(m, d, &to)
    })
    .await
}

fn refuse_send(args: &ChainArgs, what: &str) -> eyre::Result<()> {
    if args.send {
        bail!("{what} is checked by the vault, not submitted on-chain: drop --send");
    }
    Ok(())
}

pub(crate) async fn cancel_signatures(session: &Session, args: CancelArgs) -> eyre::Result<()> {
    if !args.chain.send {
        bail!("cancelling signatures is the owner's own transaction: add --send");
    }
    let s = Signing::open(session, &args.chain).await?;
    let connection = s.connection()?;
    let next = connection.nonce(args.vault).await?;
    let below = args.below.unwrap_or(next.saturating_add(U256::from(1)));
    if below <= next {
        bail!(
            "--below {below} voids nothing: vault {}'s next nonce is {next}",
            args.vault
        );
    }
    let explanation = explain::cancel_signatures(args.vault, next, below, s.deployment);
    session.confirm(&explanation, "Void them?")?;
    let submitted = connection.cancel_nonces(args.vault, below).await?;
    session.emit(
        &serde_json::to_value(&submitted)?,
        &format!(
            "Signatures with nonces {next} to {} voided: transaction {} in block {}",
            below - U256::from(1),
            submitted.transaction,
            submitted.block
        ),
    )
}
