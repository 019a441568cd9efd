//! What a message means, in words, shown before anything is signed: which vault, which researcher, which
//! analysis, the purpose spelled out, until when, on which chain and registry.

use std::fmt;

use alloy::{
    dyn_abi::TypedData,
    primitives::{Address, B256, U256},
};
use dnavault_protocol::{
    ApproveMeasurement, ApproveTool, BindVaultKey, BootApproval, Grant, GrantRequest,
    QueryApproval, Revoke, RevokeMeasurement, RevokeTool, chain_view::ChainView, purpose::Purpose,
    tool::ToolManifest,
};

use crate::inputs::{Analysis, format_time};

/// A titled list of facts, and any warnings that deserve a second look.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Explanation {
    /// One line saying what signing does.
    pub title: String,
    /// Label and value pairs.
    pub facts: Vec<(String, String)>,
    /// Things the signer should notice.
    pub warnings: Vec<String>,
}

/// Where a message is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// Chain id.
    pub chain_id: u64,
    /// VaultRegistry address.
    pub registry: Address,
}

impl Explanation {
    fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            facts: Vec::new(),
            warnings: Vec::new(),
        }
    }

    fn fact(mut self, label: &str, value: impl Into<String>) -> Self {
        self.facts.push((label.to_owned(), value.into()));
        self
    }

    /// The chain view a vault follows, a line each, with a warning when nothing authenticates it.
    pub fn chain_view(mut self, view: &ChainView) -> Self {
        for (line, words) in view.words().into_iter().enumerate() {
            self = self.fact(if line == 0 { "Chain view" } else { "" }, words);
        }
        if view.is_unverified() {
            self.warnings.push(
                "UNVERIFIED CHAIN: the vault reads the chain over plain HTTP; whoever runs its machine decides which grants it sees".into(),
            );
        }
        self
    }

    /// What `analysis` allows, in words, then its scope id; a scope without its descriptor is UNKNOWN.
    pub fn analysis(mut self, analysis: &Analysis) -> Self {
        match &analysis.descriptor {
            Some(descriptor) => {
                let words = descriptor.words();
                for (label, value) in words.facts {
                    self = self.fact(label, value);
                }
                self.warnings.extend(words.warnings);
            }
            None => {
                self = self.fact(
                    "Analysis",
                    "UNKNOWN: this wallet cannot say what this scope allows",
                );
                self.warnings.push(
                    "do not sign a grant whose analysis you cannot read: ask for its analysis descriptor"
                        .into(),
                );
            }
        }
        self.fact("Scope", analysis.scope.to_string())
    }

    fn signature_terms(self, deployment: Deployment, nonce: Option<U256>, deadline: U256) -> Self {
        let with_nonce = match nonce {
            Some(nonce) => self.fact("Signature nonce", nonce.to_string()),
            None => self,
        };
        with_nonce
            .fact(
                "Signature valid until",
                format_time(deadline.saturating_to()),
            )
            .fact("Chain", chain_name(deployment.chain_id))
            .fact("Registry", deployment.registry.to_checksum(None))
    }
}

fn chain_name(chain_id: u64) -> String {
    match chain_id {
        1 => "Ethereum mainnet (1)".into(),
        11_155_111 => "Sepolia testnet (11155111)".into(),
        31_337 => "local development chain (31337)".into(),
        other => format!("chain {other}"),
    }
}

fn purpose_words(packed: alloy::primitives::FixedBytes<16>) -> String {
    Purpose::from_bytes16(packed)
        .map(|p| p.describe())
        .unwrap_or_else(|e| format!("invalid purpose ({e})"))
}

fn measurement_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A consent grant for `analysis` (whose scope the message names).
pub fn grant(m: &Grant, deployment: Deployment, analysis: &Analysis) -> Explanation {
    let mut e = Explanation::new(format!(
        "Allow researcher {} to run an analysis on vault {}",
        m.grantee.to_checksum(None),
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Researcher", m.grantee.to_checksum(None))
    .analysis(analysis)
    .fact("Purpose", purpose_words(m.purpose))
    .fact("Allowed until", format_time(m.expiry))
    .fact("Queries allowed", budget_words(m.maxQueries))
    .fact("Each query", each_query(m.perQueryApproval))
    .signature_terms(deployment, Some(m.nonce), m.deadline);
    if !m.perQueryApproval {
        e.warnings.push(NO_ASKING.into());
    }
    e
}

/// `analysis` when it is the one `scope` names, else the bare scope.
fn described(scope: alloy::primitives::B256, analysis: Option<&Analysis>) -> Analysis {
    Analysis::of_scope(scope, analysis).unwrap_or(Analysis {
        scope,
        descriptor: None,
    })
}

fn budget_words(max_queries: u32) -> String {
    match max_queries {
        0 => "no limit until the grant ends".into(),
        1 => "one query in the grant's life".into(),
        n => format!("at most {n} queries in the grant's life"),
    }
}

/// What granting a researcher's access request does, with the terms the owner chose.
#[derive(Debug, Clone, Copy)]
pub struct RequestTerms {
    /// Until when the grant allows anything (at most what was requested).
    pub expiry: u64,
    /// Whether each query also needs the owner's approval.
    pub per_query_approval: bool,
    /// How many queries (0: no limit).
    pub max_queries: u32,
    /// Whether the owner's copy of the protocol has the hash the request published (`None`: not given).
    pub protocol_read: Option<bool>,
}

/// Granting `filed`, whose scope `analysis` describes, on `terms`.
pub fn grant_request(
    filed: &crate::registry::FiledRequest,
    analysis: &Analysis,
    terms: RequestTerms,
    deployment: Deployment,
) -> Explanation {
    let r = &filed.request;
    let mut e = granting(
        filed.id,
        U256::from(r.vaultId),
        r.researcher,
        analysis,
        r.purpose,
    )
    .filed(filed)
    .fact("Allowed until", format_time(terms.expiry))
    .fact("Queries allowed", budget_words(terms.max_queries))
    .fact("Each query", each_query(terms.per_query_approval))
    .fact("Chain", chain_name(deployment.chain_id))
    .fact("Registry", deployment.registry.to_checksum(None));
    match terms.protocol_read {
        Some(true) => e = e.fact("Protocol you read", "the same document (its hash matches)"),
        Some(false) => e.warnings.push(
            "the protocol file you gave is NOT the document this request published: do not grant"
                .into(),
        ),
        None => e.warnings.push(format!(
            "read the research protocol at {} before granting (give it with --protocol-file to check its hash)",
            filed.protocol_uri
        )),
    }
    if !terms.per_query_approval {
        e.warnings.push(NO_ASKING.into());
    }
    e
}

/// The head of a grant of access request `id`: who, which vault, what analysis, for what purpose.
fn granting(
    id: U256,
    vault: U256,
    researcher: Address,
    analysis: &Analysis,
    purpose: alloy::primitives::FixedBytes<16>,
) -> Explanation {
    let researcher = researcher.to_checksum(None);
    Explanation::new(format!(
        "Grant access request {id} from researcher {researcher} on vault {vault}"
    ))
    .fact("Access request", id.to_string())
    .fact("Vault", vault.to_string())
    .fact("Researcher", researcher)
    .analysis(analysis)
    .fact("Purpose", purpose_words(purpose))
}

impl Explanation {
    /// The research protocol and requested expiry `filed` published.
    fn filed(self, filed: &crate::registry::FiledRequest) -> Self {
        self.fact(
            "Research protocol",
            format!("{} (keccak256 {})", filed.protocol_uri, filed.protocol_hash),
        )
        .fact(
            "Requested until",
            format_time(filed.request.requestedExpiry),
        )
    }
}

/// A signed grant of access request `m.requestId` (a registry `GrantRequest`, which the relayer submits),
/// whose scope `analysis` describes; `filed` is the request as the chain holds it, when read (its protocol
/// and requested expiry are shown).
pub fn grant_request_message(
    m: &GrantRequest,
    deployment: Deployment,
    analysis: &Analysis,
    filed: Option<&crate::registry::FiledRequest>,
) -> Explanation {
    let mut e = granting(m.requestId, m.vaultId, m.researcher, analysis, m.purpose);
    if let Some(filed) = filed {
        e = e.filed(filed);
        e.warnings.push(format!(
            "read the research protocol at {} before granting",
            filed.protocol_uri
        ));
    }
    e = e
        .fact("Allowed until", format_time(m.expiry))
        .fact("Queries allowed", budget_words(m.maxQueries))
        .fact("Each query", each_query(m.perQueryApproval))
        .signature_terms(deployment, Some(m.nonce), m.deadline);
    if !m.perQueryApproval {
        e.warnings.push(NO_ASKING.into());
    }
    e
}

const NO_ASKING: &str =
    "queries under this grant will run without asking you; you can revoke it at any time";

fn each_query(per_query_approval: bool) -> &'static str {
    match per_query_approval {
        true => "needs your approval every time",
        false => "runs without asking you again",
    }
}

/// A revocation of `analysis` (whose scope the message names).
pub fn revoke(m: &Revoke, deployment: Deployment, analysis: &Analysis) -> Explanation {
    Explanation::new(format!(
        "Withdraw researcher {}'s access to vault {}",
        m.grantee.to_checksum(None),
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Researcher", m.grantee.to_checksum(None))
    .analysis(analysis)
    .signature_terms(deployment, Some(m.nonce), m.deadline)
}

/// Voiding the unused messages signed for `vault` with nonces `next..below`.
pub fn cancel_signatures(
    vault: U256,
    next: U256,
    below: U256,
    deployment: Deployment,
) -> Explanation {
    let last = below - U256::from(1);
    let voided = match last == next {
        true => format!("the message signed with nonce {next}, if any"),
        false => format!("every message signed with nonces {next} to {last}"),
    };
    let mut e = Explanation::new(format!(
        "Void signatures for vault {vault} that have not been used"
    ))
    .fact("Vault", vault.to_string())
    .fact("Voids", voided)
    .fact("Next nonce after", below.to_string())
    .fact("Chain", chain_name(deployment.chain_id))
    .fact("Registry", deployment.registry.to_checksum(None));
    e.warnings.push(
        "a grant or approval you signed and handed over but that is not on-chain yet will never apply; sign it again if you still want it"
            .into(),
    );
    e
}

/// Registering a new vault at `uri`, owned by `owner`: the owner's own transaction.
pub fn register_vault(owner: Address, uri: &str, deployment: Deployment) -> Explanation {
    let mut e = Explanation::new("Register a new vault on the registry, owned by this account")
        .fact("Owner", owner.to_checksum(None))
        .fact("Vault address (public)", uri)
        .fact("Chain", chain_name(deployment.chain_id))
        .fact("Registry", deployment.registry.to_checksum(None));
    e.warnings.extend([
        "the vault's address and owner are public on-chain; nothing of the genome is".into(),
        "it runs no code and holds no data until you approve its code and boot it".into(),
    ]);
    e
}

/// A code update: a new approved launch measurement.
pub fn approve_measurement(m: &ApproveMeasurement, deployment: Deployment) -> Explanation {
    let mut e = Explanation::new(format!(
        "Approve new vault code (a launch measurement) for vault {}",
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Launch measurement", measurement_hex(&m.measurement))
    .signature_terms(deployment, Some(m.nonce), m.deadline);
    e.warnings
        .push("code with this measurement will be able to boot with your data key".into());
    e
}

/// Approving new code a running vault asked for through the relay: the approval, with who asked, the
/// operator's note (their words, unchecked) and whether the code is approved already.
pub fn code_update(
    m: &ApproveMeasurement,
    deployment: Deployment,
    asked_by: Address,
    note: &str,
) -> Explanation {
    let mut e = approve_measurement(m, deployment)
        .fact("Asked by", format!("the vault's bound key {asked_by}"))
        .fact("Operator's note", format!("{note:?}"));
    e.warnings.push(
        "the note is the vault operator's words, checked by no one: approve only a measurement you \
         reproduced (dnavault-vault measure) or that the release you trust publishes"
            .into(),
    );
    e
}

/// Withdrawing an approved launch measurement.
pub fn revoke_measurement(m: &RevokeMeasurement, deployment: Deployment) -> Explanation {
    Explanation::new(format!(
        "Stop vault {} from booting the code with this measurement",
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Launch measurement", measurement_hex(&m.measurement))
    .signature_terms(deployment, Some(m.nonce), m.deadline)
}

/// Installing an analysis tool: its manifest in words when the wallet has it (the tool's identity is its
/// hash, recomputed here), its hash alone otherwise, with a warning saying so.
pub fn approve_tool(
    m: &ApproveTool,
    deployment: Deployment,
    manifest: Option<&ToolManifest>,
) -> Explanation {
    let e = Explanation::new(format!("Install an analysis tool in vault {}", m.vaultId))
        .fact("Vault", m.vaultId.to_string());
    let mut e =
        tool_facts(e, m.tool, manifest).signature_terms(deployment, Some(m.nonce), m.deadline);
    e.warnings.push(
        "the tool runs inside your vault only for a researcher whose grant names it; it reads your whole genome \
         file there, and only the results its manifest names leave, sealed to that researcher"
            .into(),
    );
    e
}

/// Installing an analysis tool its vault asked for through the relay: the manifest in words, then who
/// asked and the operator's note, marked as theirs.
pub fn tool_install(
    m: &ApproveTool,
    deployment: Deployment,
    manifest: &ToolManifest,
    asked_by: Address,
    note: &str,
) -> Explanation {
    let mut e = approve_tool(m, deployment, Some(manifest))
        .fact("Asked by", format!("the vault's bound key {asked_by}"))
        .fact("Operator's note", format!("{note:?}"));
    e.warnings.push(
        "the note is the vault operator's words, checked by no one: approve only a tool whose manifest you \
         trust, the program and the libraries it names by their hashes"
            .into(),
    );
    e
}

/// Removing an installed analysis tool: grants that name it stop running from the block this lands in.
pub fn revoke_tool(
    m: &RevokeTool,
    deployment: Deployment,
    manifest: Option<&ToolManifest>,
) -> Explanation {
    let e = Explanation::new(format!("Remove an analysis tool from vault {}", m.vaultId))
        .fact("Vault", m.vaultId.to_string());
    tool_facts(e, m.tool, manifest).signature_terms(deployment, Some(m.nonce), m.deadline)
}

/// The tool's facts: what its manifest says, or that only its hash is known.
fn tool_facts(e: Explanation, tool: B256, manifest: Option<&ToolManifest>) -> Explanation {
    let Some(manifest) = manifest.filter(|manifest| manifest.id() == tool) else {
        let mut e = e.fact("Tool (manifest hash)", tool.to_string());
        e.warnings.push(
            "this message names the tool only by its manifest's hash: sign only if you computed that hash \
             yourself from a manifest you trust (dnavault-wallet tool-id --manifest FILE)"
                .into(),
        );
        return e;
    };
    manifest
        .words()
        .into_iter()
        .fold(e, |e, (label, value)| e.fact(label, value))
}

/// Binding a booted vault's attested key.
pub fn bind_vault_key(m: &BindVaultKey, deployment: Deployment) -> Explanation {
    Explanation::new(format!(
        "Let the running vault {} sign access receipts with its attested key",
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Vault key", m.vaultKey.to_checksum(None))
    .fact("Booted measurement", measurement_hex(&m.measurement))
    .signature_terms(deployment, Some(m.nonce), m.deadline)
}

/// Letting a sealed vault boot.
///
/// `view` is the chain view the approval's hash names, when known: its words are shown; without it the
/// approval names the view by hash only, and says so.
pub fn boot_approval(
    m: &BootApproval,
    deployment: Deployment,
    view: Option<&ChainView>,
) -> Explanation {
    let mut e = Explanation::new(format!(
        "Let vault {} boot and unlock your genome",
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Vault key", m.vaultKey.to_checksum(None))
    .fact("Launch measurement", measurement_hex(&m.measurement));
    match view.filter(|view| view.hash() == m.chainView) {
        Some(view) => e = e.chain_view(view),
        None => {
            e = e.fact("Chain view", m.chainView.to_string());
            e.warnings.push(
                "the chain view (which RPC endpoints the vault trusts, and its limits) is named by hash only".into(),
            );
        }
    }
    e.fact("Boot request", m.bootNonce.to_string())
        .fact("Wrapped data key", m.wrappedKeyHash.to_string())
        .signature_terms(deployment, None, m.deadline)
}

/// Approving one query: the researcher's request `to`, in words.
pub fn query_approval(
    m: &QueryApproval,
    deployment: Deployment,
    to: &crate::approval::ToApprove,
) -> Explanation {
    let request = &to.submission.signed.request;
    let researcher = request.researcher.to_checksum(None);
    let mut e = Explanation::new(format!(
        "Let researcher {researcher} run this one query on vault {}",
        m.vaultId
    ))
    .fact("Vault", m.vaultId.to_string())
    .fact("Researcher", researcher)
    .analysis(&to.analysis());
    for (label, value) in to.query.words() {
        e = e.fact(label, value);
    }
    e.fact("Declared purpose", purpose_words(request.purpose))
        .fact("Query request", m.requestHash.to_string())
        .signature_terms(deployment, None, m.deadline)
}

/// The scope a registry Grant, GrantRequest or Revoke in `data` names, and what the wallet can say of it given the
/// `descriptor` the signer supplied; `None` for any other document. A descriptor that is not the scope's is
/// refused.
pub fn scope_of(
    data: &TypedData,
    descriptor: Option<&Analysis>,
) -> crate::Result<Option<Analysis>> {
    if data.domain.name.as_deref() != Some(dnavault_protocol::eip712::DOMAIN_NAME)
        || !matches!(
            data.primary_type.as_str(),
            "Grant" | "GrantRequest" | "Revoke"
        )
    {
        return Ok(None);
    }
    let scope: Option<alloy::primitives::B256> =
        serde_json::from_value(data.message["scope"].clone()).ok();
    scope
        .map(|scope| Analysis::of_scope(scope, descriptor))
        .transpose()
}

/// Any typed-data document: a registry message is explained in words (a Grant's or Revoke's analysis from
/// `analysis`, see [`scope_of`]); anything else is shown field by field.
pub fn typed_data(
    data: &TypedData,
    known: Option<Deployment>,
    analysis: Option<&Analysis>,
) -> Explanation {
    let domain = &data.domain;
    let deployment = domain
        .chain_id
        .zip(domain.verifying_contract)
        .map(|(chain, registry)| Deployment {
            chain_id: chain.saturating_to(),
            registry,
        });
    let ours = deployment
        .filter(|_| domain.name.as_deref() == Some(dnavault_protocol::eip712::DOMAIN_NAME));
    if let Some(d) = ours {
        let message = data.message.clone();
        let explained = match data.primary_type.as_str() {
            "Grant" => serde_json::from_value(message)
                .ok()
                .map(|m: Grant| grant(&m, d, &described(m.scope, analysis))),
            "GrantRequest" => serde_json::from_value(message).ok().map(|m: GrantRequest| {
                grant_request_message(&m, d, &described(m.scope, analysis), None)
            }),
            "Revoke" => serde_json::from_value(message)
                .ok()
                .map(|m: Revoke| revoke(&m, d, &described(m.scope, analysis))),
            "ApproveMeasurement" => serde_json::from_value(message)
                .ok()
                .map(|m| approve_measurement(&m, d)),
            "RevokeMeasurement" => serde_json::from_value(message)
                .ok()
                .map(|m| revoke_measurement(&m, d)),
            "ApproveTool" => serde_json::from_value(message)
                .ok()
                .map(|m| approve_tool(&m, d, None)),
            "RevokeTool" => serde_json::from_value(message)
                .ok()
                .map(|m| revoke_tool(&m, d, None)),
            "BindVaultKey" => serde_json::from_value(message)
                .ok()
                .map(|m| bind_vault_key(&m, d)),
            "BootApproval" => serde_json::from_value(message)
                .ok()
                .map(|m| boot_approval(&m, d, None)),
            _ => None,
        };
        if let Some(mut e) = explained {
            if known.is_some_and(|k| k != d) {
                e.warnings.push("this message is for a different chain or registry than your wallet is set up for".into());
            }
            return e;
        }
    }
    let mut e = Explanation::new(format!("Sign a \"{}\" message", data.primary_type))
        .fact(
            "Application",
            domain.name.clone().unwrap_or_else(|| "(unnamed)".into()),
        )
        .fact(
            "Chain",
            domain
                .chain_id
                .map(|c| chain_name(c.saturating_to()))
                .unwrap_or_else(|| "(any)".into()),
        )
        .fact(
            "Contract",
            domain
                .verifying_contract
                .map(|a| a.to_checksum(None))
                .unwrap_or_else(|| "(none)".into()),
        )
        .fact(
            "Message",
            serde_json::to_string_pretty(&data.message).unwrap_or_default(),
        );
    e.warnings.push(
        "this is not a DNA Vault registry message: read the fields above before signing".into(),
    );
    e
}

impl fmt::Display for Explanation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.title)?;
        let width = self
            .facts
            .iter()
            .map(|(label, _)| label.len())
            .max()
            .unwrap_or(0);
        for (label, value) in &self.facts {
            writeln!(f, "  {label:width$}  {value}")?;
        }
        for warning in &self.warnings {
            writeln!(f, "  ! {warning}")?;
        }
        Ok(())
    }
}
