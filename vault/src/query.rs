//! `POST /v1/queries`: a researcher's signed query, put through the consent gate, run on the genome, its
//! result sealed to the researcher, with a receipt the vault signs and later anchors on-chain.
//!
//! Order of checks: the query is the one the request commits to; its scope is the hash of the analysis
//! descriptor sent with it; the vault is unsealed; the gate (researcher's signature, live grant from the
//! cache, owner's approval when the grant asks for it); then, audited when refused, the query lies inside the
//! descriptor (`outside-scope`), the purpose the request declares is one the grant's covers (`purpose`), and
//! the grant's query budget is not spent (`budget`); the nonce is unused. The query then runs, and its nonce,
//! its count against the budget, its audit entry and its receipt are recorded in one transaction before the
//! sealed result is released: a request runs for a researcher at most once, and a grant at most its budget.

mod beacon;
mod body;
mod limit;
mod refuse;
mod run;

use alloy::{
    primitives::{B256, U256, keccak256},
    sol_types::SolStruct,
};
use axum::{Json, body::Body, extract::State, http::HeaderMap};
use dnavault_consent::gate;
use dnavault_protocol::{
    clock::unix_now,
    descriptor::Descriptor,
    eip712::registry_domain,
    header::SignedHeader,
    purpose::Purpose,
    query::{
        Query, QueryAnswer, QueryKind, QueryReceipt, QueryResult, QuerySubmission, SignedQuery,
        SubmissionError,
    },
};
use dnavault_store::{Budget, DataKey, QueryRecord, StoreError};
use tracing::Instrument;
use zeroize::Zeroizing;

pub(crate) use body::Budgets;
pub use body::MAX_QUERY_BYTES;
pub(crate) use limit::RefusalLimiter;
pub(crate) use run::GENOTYPES_ENDING;
pub use run::RunError;

use crate::{ApiError, VaultIdentity, VaultService};
use refuse::{Refusal, failed, gate_refused, refused, replayed};

pub(crate) async fn post_query(
    State(service): State<VaultService>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<QueryAnswer>, ApiError> {
    let ahead = vouch(&service, &headers).await?;
    // Held until the answer is sent: the submission stays in memory that long.
    let (submission, _budget) = body::receive(
        service.query_body_budgets(),
        &headers,
        body,
        ahead.as_ref().map(|signed| signed.request.researcher),
        body::BODY_DEADLINE,
    )
    .await?;
    if ahead
        .as_ref()
        .is_some_and(|ahead| *ahead != submission.signed)
    {
        return Err(ApiError::bad_request(
            "query-header",
            format!(
                "the body's signed request is not the one sent ahead in the `{}` header",
                SignedQuery::HEADER
            ),
        ));
    }
    let allowed = authorise(&service, &submission).await?;
    let result = execute(&service, &allowed).await?;
    seal_and_record(&service, &allowed, &result).await
}

/// A span around one stage of a query (`gate`, `nonce`, `turn`, `open`, `analysis`, `seal`, `receipt`,
/// `record`), at debug level under the target `dnavault_vault::stage`: with `DNAVAULT_LOG_SPAN_TIMES=1` the
/// log shows each one's time when it closes (the load test adds them up).
fn stage_span(name: &'static str) -> tracing::Span {
    tracing::debug_span!(target: "dnavault_vault::stage", "stage", name)
}

/// `POST /v1/queries/ahead`: the signed request alone, in its header, put through the consent gate, so a
/// researcher learns of a refusal before sending a large body; answers whom the gate let through.
pub(crate) async fn post_ahead(
    State(service): State<VaultService>,
    headers: HeaderMap,
) -> Result<Json<serde_json::Value>, ApiError> {
    match vouch(&service, &headers).await? {
        Some(signed) => Ok(Json(serde_json::json!({
            "researcher": signed.request.researcher,
            "scope": signed.request.scope,
        }))),
        None => Err(ApiError::bad_request(
            "query-header",
            format!(
                "send the signed query request in the `{}` header",
                SignedQuery::HEADER
            ),
        )),
    }
}

/// The signed request sent ahead of its body, if any, put through the consent gate before a byte of the body
/// is read: a refusal comes before the upload, and only a researcher the gate vouches for may send a large
/// body.
async fn vouch(
    service: &VaultService,
    headers: &HeaderMap,
) -> Result<Option<SignedQuery>, ApiError> {
    if !headers.contains_key(SignedQuery::HEADER) {
        return Ok(None);
    }
    let signed: SignedQuery = crate::api::signed_header(headers, "query-header", |header| {
        format!("the `{header}` header does not hold a signed query request")
    })?;
    let identity = service.with_unsealed(|vault| vault.identity()).await?;
    let domain = registry_domain(identity.chain_id, identity.registry);
    let now = unix_now().map_err(ApiError::internal)?;
    let researcher = signed.request.researcher;
    match gate::authorize(
        &signed,
        identity.vault_id,
        &domain,
        service.consent(),
        service.registry(),
        now,
    )
    .await
    {
        Ok(_) => Ok(Some(signed)),
        Err(error) => Err(gate_refused(
            service,
            researcher,
            "the request, checked before its body",
            &error,
        )
        .await),
    }
}

/// A query that passed every check and may run once.
struct Allowed {
    query: Query,
    /// The grant's analysis descriptor.
    descriptor: Descriptor,
    kind: QueryKind,
    /// The purpose the request declares, which the grant's covers.
    purpose: Purpose,
    recipient: dnavault_envelope::PublicKey,
    key: DataKey,
    identity: VaultIdentity,
    authorized: gate::Authorized,
    /// The nonce's key in the store: nonces are per researcher, apart from the owner's upload nonces.
    nonce: String,
    /// The grant's query count's key and its budget, when it has one.
    budget: Option<(String, u32)>,
    /// When the request expires (Unix seconds): how long its nonce is remembered.
    expires: u64,
}

/// Checks that the query is the one the request commits to and lies inside the descriptor its scope is the
/// hash of, that the vault is unsealed, then the consent gate, the purpose, the budget and the nonce.
async fn authorise(
    service: &VaultService,
    submission: &QuerySubmission,
) -> Result<Allowed, ApiError> {
    let request = &submission.signed.request;
    let (query, descriptor) = read(submission)?;
    let kind = query.kind();
    let declared = Purpose::from_bytes16(request.purpose)
        .map_err(|e| ApiError::bad_request("purpose", format!("the request's purpose: {e}")))?;
    let recipient = dnavault_envelope::PublicKey::from_bytes(request.recipientKey.as_slice())
        .map_err(|e| ApiError::bad_request("recipient-key", e.to_string()))?;
    let (key, identity, vault_key) = service
        .with_unsealed(|vault| {
            (
                vault.data_key().clone(),
                vault.identity(),
                vault.vault_key(),
            )
        })
        .await?;
    let domain = registry_domain(identity.chain_id, identity.registry);
    let authorized = match gate::authorize(
        &submission.signed,
        identity.vault_id,
        &domain,
        service.consent(),
        service.registry(),
        unix_now().map_err(ApiError::internal)?,
    )
    .instrument(stage_span("gate"))
    .await
    {
        Ok(authorized) => authorized,
        Err(error) => {
            return Err(gate_refused(service, request.researcher, kind.name(), &error).await);
        }
    };
    crate::record::key_active_at(service, vault_key, authorized.consent.block).await?;
    let refusal = Refusal {
        service,
        researcher: request.researcher,
        kind,
    };
    let budget = within_grant(&refusal, &query, &descriptor, &declared, &authorized).await?;
    if let Query::RunTool(tool_run) = &query {
        // Installed by the owner, as the chain's state proves it at the consent block: not a flag the host
        // could set, nor an endpoint's word.
        let confirmed = service
            .consent()
            .confirm_tool(service.registry(), tool_run.tool, &authorized.consent)
            .await;
        if let Err(error) = confirmed {
            let error = gate::GateError::Consent(error);
            return Err(gate_refused(service, request.researcher, kind.name(), &error).await);
        }
    }
    let nonce = format!(
        "query:{}:{}",
        request.researcher,
        alloy::hex::encode(request.nonce)
    );
    if service
        .store()
        .nonce_used(&nonce)
        .instrument(stage_span("nonce"))
        .await
        .map_err(ApiError::store)?
    {
        return Err(replayed(&nonce));
    }
    Ok(Allowed {
        query,
        descriptor,
        kind,
        purpose: declared,
        recipient,
        key,
        identity,
        authorized,
        nonce,
        budget,
        expires: request.deadline.saturating_to(),
    })
}

/// Checks, for a signed and granted request, what the grant does not allow (refused in the owner's log):
/// a query outside the descriptor, a purpose the grant's does not cover, a spent budget. Returns the
/// grant's budget, when it has one.
async fn within_grant(
    refusal: &Refusal<'_>,
    query: &Query,
    descriptor: &Descriptor,
    declared: &Purpose,
    authorized: &gate::Authorized,
) -> Result<Option<(String, u32)>, ApiError> {
    if let Err(outside) = descriptor.allows(query) {
        let why = format!("outside the grant: {outside}");
        return Err(refusal.audited("outside-scope", &why).await);
    }
    if let Err(why) = purpose_covered(authorized.consent.purpose, declared) {
        return Err(refusal.audited("purpose", &why).await);
    }
    let budget = budget_of(authorized);
    if let Some((grant, limit)) = &budget {
        let used = refusal
            .service
            .store()
            .queries_counted(grant)
            .await
            .map_err(ApiError::store)?;
        if used >= u64::from(*limit) {
            let spent = StoreError::BudgetSpent { limit: *limit };
            return Err(refusal.audited("budget", &spent.to_string()).await);
        }
    }
    Ok(budget)
}

/// The query and the descriptor it is asked under, each checked against the signed request.
fn read(submission: &QuerySubmission) -> Result<(Query, Descriptor), ApiError> {
    let query = submission.read().map_err(|error| match &error {
        SubmissionError::QueryHash { .. } => ApiError::bad_request("query-hash", error.to_string()),
        SubmissionError::Query(_) => ApiError::bad_request("query", error.to_string()),
        SubmissionError::Descriptor(_) => ApiError::bad_request("descriptor", error.to_string()),
        SubmissionError::Scope { .. } => refused("scope", error.to_string()),
    })?;
    Ok((query, submission.descriptor.clone()))
}

/// Whether the grant's purpose covers the one the request declares, in words when not.
fn purpose_covered(
    granted: alloy::primitives::FixedBytes<16>,
    declared: &Purpose,
) -> Result<(), String> {
    let granted = Purpose::from_bytes16(granted)
        .map_err(|e| format!("the grant's purpose cannot be read ({e}): nothing runs under it"))?;
    granted.covers(declared).map_err(|e| e.to_string())
}

/// The grant's query count's key (the event that made it) and budget; `None` when it has no limit.
fn budget_of(authorized: &gate::Authorized) -> Option<(String, u32)> {
    let consent = &authorized.consent;
    (consent.max_queries > 0).then(|| {
        (
            format!("{}:{}", authorized.researcher, consent.granted_in),
            consent.max_queries,
        )
    })
}

/// Opens the genome and runs the query on it, one query per core at a time.
async fn execute(service: &VaultService, allowed: &Allowed) -> Result<QueryResult, ApiError> {
    // Queries share the cores; more wait their turn rather than starve each other and the API.
    let running = allowed.query.clone();
    let descriptor = allowed.descriptor.clone();
    let scoring = matches!(running, Query::PolygenicScore(_));
    let genome = run::open_genome(service.store(), &allowed.key, scoring)
        .instrument(stage_span("open"))
        .await;
    let _turn = service
        .query_turn()
        .instrument(stage_span("turn"))
        .await
        .map_err(|_| ApiError::sealed())?;
    let ran = match (genome, &running) {
        (Ok(genome), Query::RunTool(tool_run)) => {
            run_tool(service, tool_run, &descriptor, genome)
                .instrument(stage_span("analysis"))
                .await
        }
        (Ok(genome), _) => {
            let analysis = stage_span("analysis");
            tokio::task::spawn_blocking(move || {
                analysis.in_scope(|| run::run(&running, genome, &descriptor))
            })
            .await
            .map_err(ApiError::internal)?
        }
        (Err(error), _) => Err(error),
    };
    match ran {
        Ok(result) => Ok(result),
        Err(error) => {
            Err(failed(service, allowed.authorized.researcher, allowed.kind, error).await)
        }
    }
}

/// Runs an approved tool (the grant named it, its approval was proved at the consent block) confined.
async fn run_tool(
    service: &VaultService,
    tool_run: &dnavault_protocol::query::RunTool,
    descriptor: &Descriptor,
    genome: Vec<run::GenomeObject>,
) -> Result<QueryResult, RunError> {
    let Descriptor::RunTool { tool, score, .. } = descriptor else {
        return Err(run::tool::ToolError::NotHere.into());
    };
    let sandbox = service
        .sandbox()
        .await
        .map_err(run::tool::ToolError::Unavailable)?;
    run::tool::run(&sandbox, tool_run, tool, score.as_deref(), genome)
        .await
        .map(QueryResult::RunTool)
}

/// Seals the result to the researcher, signs the receipt, and records nonce, budget count, audit entry and
/// receipt in one transaction before the answer leaves.
async fn seal_and_record(
    service: &VaultService,
    allowed: &Allowed,
    result: &QueryResult,
) -> Result<Json<QueryAnswer>, ApiError> {
    let authorized = &allowed.authorized;
    let sealing = stage_span("seal").entered();
    let plaintext = Zeroizing::new(serde_json::to_vec(result).map_err(ApiError::internal)?);
    let sealed = dnavault_envelope::seal(
        &allowed.recipient,
        dnavault_envelope::context::QUERY_RESULT,
        authorized.request_hash.as_slice(),
        &plaintext,
    )
    .map_err(ApiError::internal)?
    .to_bytes();
    drop(sealing);
    let signing = stage_span("receipt");
    let receipt = QueryReceipt {
        vaultId: U256::from(allowed.identity.vault_id),
        requestHash: authorized.request_hash,
        resultHash: keccak256(&sealed),
        purpose: allowed.purpose.to_bytes16(),
        consentBlock: U256::from(authorized.consent.block),
        issuedAt: unix_now().map_err(ApiError::internal)?,
    };
    let domain = registry_domain(allowed.identity.chain_id, allowed.identity.registry);
    let receipt_hash = receipt.eip712_signing_hash(&domain);
    let signature = service
        .with_unsealed(|vault| vault.sign_hash(&receipt_hash))
        .instrument(signing)
        .await?
        .map_err(ApiError::internal)?;
    record(service, allowed, receipt_hash)
        .instrument(stage_span("record"))
        .await?;
    tracing::info!(researcher = %authorized.researcher, kind = %allowed.kind, receipt = %receipt_hash, "query ran");
    service.receipt_issued();
    Ok(Json(QueryAnswer {
        kind: allowed.kind,
        result: sealed.into(),
        receipt,
        receipt_signature: signature.as_bytes().to_vec().into(),
        receipt_hash,
    }))
}

async fn record(
    service: &VaultService,
    allowed: &Allowed,
    receipt_hash: B256,
) -> Result<(), ApiError> {
    let authorized = &allowed.authorized;
    // A tool run names the tool: what ran on the owner's genome is in the record its receipt is beside.
    let ran = match &allowed.descriptor {
        Descriptor::RunTool { tool, .. } => {
            format!(" ({} {}, tool {})", tool.name, tool.version, tool.id())
        }
        _ => String::new(),
    };
    let detail = format!(
        "{}{ran}, request {}, purpose {}, consent checked at block {}",
        allowed.kind, authorized.request_hash, allowed.purpose, authorized.consent.block
    );
    let actor = authorized.researcher.to_string();
    let receipt = receipt_hash.to_string();
    service
        .store()
        .record_query(QueryRecord {
            nonce: &allowed.nonce,
            expires: allowed.expires,
            actor: &actor,
            detail: &detail,
            receipt_hash: &receipt,
            budget: allowed.budget.as_ref().map(|(grant, limit)| Budget {
                grant,
                limit: *limit,
            }),
        })
        .await
        .map_err(|e| match e {
            StoreError::Replayed { nonce } => replayed(&nonce),
            spent @ StoreError::BudgetSpent { .. } => refused("budget", spent.to_string()),
            other => ApiError::store(other),
        })
}
