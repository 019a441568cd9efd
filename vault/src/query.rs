//! `POST /v1/queries`: a researcher's signed query, put through the consent gate, run on the genome, its
//! result sealed to the researcher, with a receipt the vault signs and later anchors on-chain.
//!
//! Order of checks: the query is the one the request commits to; its scope is the hash of the analysis
//! descriptor sent with it (or, under a version-1 scope, names the query's kind); the vault is unsealed; the
//! gate (researcher's signature, live grant from the cache, owner's approval when the grant asks for it);
//! the query lies inside the descriptor (audited as `outside-scope` when not); the nonce is unused. The query
//! then runs, and its nonce, audit entry and receipt are recorded in one transaction before the sealed
//! result is released: a request runs for a researcher at most once.

mod beacon;
mod body;
mod run;

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    sol_types::SolStruct,
};
use axum::{
    Json,
    body::Body,
    extract::State,
    http::{HeaderMap, StatusCode},
};
use dnavault_consent::{
    ConsentError,
    gate::{self, GateError},
};
use dnavault_protocol::{
    clock::unix_now,
    descriptor::{Descriptor, OutsideScope},
    eip712::registry_domain,
    query::{Query, QueryAnswer, QueryKind, QueryReceipt, QueryResult, QuerySubmission},
};
use dnavault_store::{DataKey, QueryRecord, StoreError};
use zeroize::Zeroizing;

pub use body::MAX_QUERY_BYTES;
pub(crate) use body::budget as body_budget;
pub use run::RunError;

use crate::{ApiError, VaultIdentity, VaultService};

pub(crate) async fn post_query(
    State(service): State<VaultService>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<QueryAnswer>, ApiError> {
    // Held until the answer is sent: the submission stays in memory that long.
    let (submission, _budget) = body::receive(
        service.query_body_budget(),
        &headers,
        body,
        body::BODY_DEADLINE,
    )
    .await?;
    let allowed = authorise(&service, &submission).await?;
    let result = execute(&service, &allowed).await?;
    seal_and_record(&service, &allowed, &result).await
}

/// A query that passed every check and may run once.
struct Allowed {
    query: Query,
    /// The grant's analysis descriptor (`None` under a version-1 scope).
    descriptor: Option<Descriptor>,
    kind: QueryKind,
    recipient: dnavault_envelope::PublicKey,
    key: DataKey,
    identity: VaultIdentity,
    authorized: gate::Authorized,
    /// The nonce's key in the store: nonces are per researcher, apart from the owner's upload nonces.
    nonce: String,
}

/// Checks that the query is the one the request commits to and of the kind its scope names, that the vault
/// is unsealed, then the consent gate and the nonce.
async fn authorise(
    service: &VaultService,
    submission: &QuerySubmission,
) -> Result<Allowed, ApiError> {
    let request = &submission.signed.request;
    if submission.query_hash() != request.queryHash {
        return Err(ApiError::bad_request(
            "query-hash",
            format!(
                "the query's keccak256 is {}, the signed request commits to {}",
                submission.query_hash(),
                request.queryHash
            ),
        ));
    }
    let query: Query = serde_json::from_str(submission.query.get())
        .map_err(|e| ApiError::bad_request("query", format!("the query is not valid: {e}")))?;
    query
        .check()
        .map_err(|e| ApiError::bad_request("query", format!("the query is not valid: {e}")))?;
    let kind = query.kind();
    let descriptor = descriptor_of(submission, kind)?;
    let recipient = dnavault_envelope::PublicKey::from_bytes(request.recipientKey.as_slice())
        .map_err(|e| ApiError::bad_request("recipient-key", e.to_string()))?;
    let (key, identity) = service
        .with_unsealed(|vault| (vault.data_key().clone(), vault.identity()))
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
    .await
    {
        Ok(authorized) => authorized,
        Err(error) => return Err(gate_refused(service, request.researcher, kind, &error).await),
    };
    // Signed and granted: what falls outside the grant's descriptor is refused in the owner's log.
    if let Some(descriptor) = &descriptor
        && let Err(outside) = descriptor.allows(&query)
    {
        return Err(outside_scope(service, request.researcher, kind, &outside).await);
    }
    let nonce = format!(
        "query:{}:{}",
        request.researcher,
        alloy::hex::encode(request.nonce)
    );
    if service
        .store()
        .nonce_used(&nonce)
        .await
        .map_err(ApiError::internal)?
    {
        return Err(replayed(&nonce));
    }
    Ok(Allowed {
        query,
        descriptor,
        kind,
        recipient,
        key,
        identity,
        authorized,
        nonce,
    })
}

/// Runs the query on the genome, one query per core at a time.
async fn execute(service: &VaultService, allowed: &Allowed) -> Result<QueryResult, ApiError> {
    // Queries share the cores; more wait their turn rather than starve each other and the API.
    let _turn = service.query_turn().await.map_err(|_| ApiError::sealed())?;
    let running = allowed.query.clone();
    let descriptor = allowed.descriptor.clone();
    let ran = match run::open_genome(service.store(), &allowed.key).await {
        Ok(genome) => {
            tokio::task::spawn_blocking(move || run::run(&running, genome, descriptor.as_ref()))
                .await
                .map_err(ApiError::internal)?
        }
        Err(error) => Err(error),
    };
    match ran {
        Ok(result) => Ok(result),
        Err(error) => {
            Err(failed(service, allowed.authorized.researcher, allowed.kind, error).await)
        }
    }
}

/// Seals the result to the researcher, signs the receipt, and records nonce, audit entry and receipt in one
/// transaction before the answer leaves.
async fn seal_and_record(
    service: &VaultService,
    allowed: &Allowed,
    result: &QueryResult,
) -> Result<Json<QueryAnswer>, ApiError> {
    let authorized = &allowed.authorized;
    let plaintext = Zeroizing::new(serde_json::to_vec(result).map_err(ApiError::internal)?);
    let sealed = dnavault_envelope::seal(
        &allowed.recipient,
        dnavault_envelope::context::QUERY_RESULT,
        authorized.request_hash.as_slice(),
        &plaintext,
    )
    .map_err(ApiError::internal)?
    .to_bytes();
    let receipt = QueryReceipt {
        vaultId: U256::from(allowed.identity.vault_id),
        requestHash: authorized.request_hash,
        resultHash: keccak256(&sealed),
        consentBlock: U256::from(authorized.consent.block),
        issuedAt: unix_now().map_err(ApiError::internal)?,
    };
    let domain = registry_domain(allowed.identity.chain_id, allowed.identity.registry);
    let receipt_hash = receipt.eip712_signing_hash(&domain);
    let signature = service
        .with_unsealed(|vault| vault.sign_hash(&receipt_hash))
        .await?
        .map_err(ApiError::internal)?;
    record(
        service,
        &allowed.nonce,
        authorized,
        allowed.kind,
        receipt_hash,
    )
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

/// The descriptor the request's scope is the hash of, well formed; `None` under a version-1 scope, which
/// names the query's kind and nothing more.
fn descriptor_of(
    submission: &QuerySubmission,
    kind: QueryKind,
) -> Result<Option<Descriptor>, ApiError> {
    let scope = submission.signed.request.scope;
    let Some(descriptor) = &submission.descriptor else {
        if scope == kind.scope() {
            return Ok(None);
        }
        return Err(refused(
            "scope",
            format!(
                "the request's scope {scope} is not the scope of a {kind} query ({}) and comes with no \
                 analysis descriptor: send the grant's descriptor with the query",
                kind.scope()
            ),
        ));
    };
    descriptor.check().map_err(|e| {
        ApiError::bad_request(
            "descriptor",
            format!("the analysis descriptor is not valid: {e}"),
        )
    })?;
    if descriptor.scope() != scope {
        return Err(refused(
            "scope",
            format!(
                "the analysis descriptor hashes to scope {}, the signed request names {scope}",
                descriptor.scope()
            ),
        ));
    }
    Ok(Some(descriptor.clone()))
}

/// The refusal of a signed, granted request that asks for more than its grant's descriptor allows; the
/// owner's audit log records it.
async fn outside_scope(
    service: &VaultService,
    researcher: Address,
    kind: QueryKind,
    outside: &OutsideScope,
) -> ApiError {
    let detail = format!("{kind}: outside the grant: {outside}");
    for_the_owner(service, researcher, "query-refused", &detail).await;
    tracing::info!(%researcher, %kind, check = "outside-scope", "query refused");
    refused(
        "outside-scope",
        format!("{kind}: outside the grant: {outside}"),
    )
}

/// The refusal of a request the gate turned down. Refusals of requests the researcher did sign go to the
/// owner's audit log (the gate checks the vault and the deadline before the signature: those refusals may
/// name anyone).
async fn gate_refused(
    service: &VaultService,
    researcher: Address,
    kind: QueryKind,
    error: &GateError,
) -> ApiError {
    let mut refusal = gate_refusal(error);
    refusal.error = format!("{kind}: {}", refusal.error);
    let signed = !matches!(
        error,
        GateError::BadSignature { .. } | GateError::WrongVault { .. } | GateError::Expired { .. }
    );
    if signed {
        for_the_owner(
            service,
            researcher,
            "query-refused",
            &format!("{kind}: {error}"),
        )
        .await;
    }
    tracing::info!(%researcher, %kind, check = refusal.check, "query refused");
    refusal
}

/// Writes what happened to `researcher`'s request in the owner's audit log (a failure to is logged: the
/// answer to the researcher does not wait on it).
async fn for_the_owner(service: &VaultService, researcher: Address, action: &str, detail: &str) {
    if let Err(e) = service
        .store()
        .audit(&researcher.to_string(), action, None, detail)
        .await
    {
        tracing::error!(%e, "cannot write the audit log");
    }
}

async fn record(
    service: &VaultService,
    nonce: &str,
    authorized: &gate::Authorized,
    kind: QueryKind,
    receipt_hash: B256,
) -> Result<(), ApiError> {
    let detail = format!(
        "{kind}, request {}, consent checked at block {}",
        authorized.request_hash, authorized.consent.block
    );
    let actor = authorized.researcher.to_string();
    let receipt = receipt_hash.to_string();
    service
        .store()
        .record_query(QueryRecord {
            nonce,
            actor: &actor,
            detail: &detail,
            receipt_hash: &receipt,
        })
        .await
        .map_err(|e| match e {
            StoreError::Replayed { nonce } => replayed(&nonce),
            other => ApiError::internal(other),
        })
}

fn refused(check: &'static str, error: String) -> ApiError {
    ApiError {
        status: StatusCode::FORBIDDEN,
        error,
        check,
    }
}

fn replayed(nonce: &str) -> ApiError {
    ApiError {
        status: StatusCode::CONFLICT,
        error: format!("the request with nonce {nonce} already ran (replayed request)"),
        check: "replayed",
    }
}

fn gate_refusal(error: &GateError) -> ApiError {
    let check = match error {
        GateError::WrongVault { .. } => "wrong-vault",
        GateError::Expired { .. } => "expired",
        GateError::BadSignature { .. } => "signature",
        GateError::ApprovalNeeded | GateError::BadApproval(_) => "owner-approval",
        GateError::Consent(ConsentError::NoGrant { .. }) => "no-grant",
        GateError::Consent(ConsentError::Revoked { .. }) => "revoked",
        GateError::Consent(ConsentError::Expired { .. }) => "grant-expired",
        GateError::Consent(ConsentError::Stale { .. } | ConsentError::Chain(_)) => {
            return ApiError {
                status: StatusCode::SERVICE_UNAVAILABLE,
                error: error.to_string(),
                check: "chain-unreadable",
            };
        }
    };
    refused(check, error.to_string())
}

/// A query that could not run. The researcher learns why when it is their input or the vault's state; a
/// failure reading the genome is described only in the owner's audit log (it could quote the file).
async fn failed(
    service: &VaultService,
    researcher: Address,
    kind: QueryKind,
    error: RunError,
) -> ApiError {
    for_the_owner(
        service,
        researcher,
        "query-failed",
        &format!("{kind}: {error}"),
    )
    .await;
    match error {
        RunError::NoGenome
        | RunError::RawOnly
        | RunError::SeveralGenomes(_)
        | RunError::SeveralSamples { .. } => ApiError {
            status: StatusCode::CONFLICT,
            error: error.to_string(),
            check: "genome",
        },
        RunError::Undescribed(_) => refused("outside-scope", error.to_string()),
        RunError::Scoring(e) => ApiError::bad_request("query", e.to_string()),
        RunError::Genome(_) | RunError::Store(_) => {
            tracing::error!(%kind, "a query failed reading the genome (described in the audit log)");
            ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                error: "the vault could not read its genome; its owner's audit log says why".into(),
                check: "genome",
            }
        }
    }
}
