//! The consent gate: a signed query request passes only with the researcher's signature, a live grant from
//! the cache, and, when the grant asks for it, the owner's approval of this very request.

use alloy::{
    primitives::{Address, B256, Signature, U256},
    providers::Provider,
    sol_types::{Eip712Domain, SolStruct},
};
use dnavault_protocol::VaultRegistry::VaultRegistryInstance;
pub use dnavault_protocol::query::{OwnerApproval, SignedQuery};

use crate::{
    Consent, ConsentCache, ConsentError,
    owner::{OwnerSignatureError, require_owner_signature_at},
};

/// A request that may run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Authorized {
    /// The request's EIP-712 hash: what receipts and the audit log name.
    pub request_hash: B256,
    /// The researcher.
    pub researcher: Address,
    /// The grant it runs under.
    pub consent: Consent,
}

/// The furthest ahead a request's deadline may be: its nonce is remembered in memory until then.
pub const MAX_REQUEST_LIFETIME_SECS: u64 = 3_600;

/// Why a request may not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GateError {
    /// The request is for another vault.
    #[error("the request is for vault {requested}, this is vault {this}")]
    WrongVault {
        /// The vault it names.
        requested: U256,
        /// This vault.
        this: u64,
    },
    /// The request's deadline passed.
    #[error("the request expired at Unix time {deadline}")]
    Expired {
        /// Its deadline.
        deadline: U256,
    },
    /// The request's deadline is further ahead than a vault remembers nonces.
    #[error(
        "the request is valid until Unix time {deadline}, more than {MAX_REQUEST_LIFETIME_SECS} s ahead: sign \
         it with a nearer deadline"
    )]
    TooFarAhead {
        /// Its deadline.
        deadline: U256,
    },
    /// The signature is not the named researcher's for this chain and registry.
    #[error("the request is not signed by {researcher} for this chain and registry")]
    BadSignature {
        /// The researcher it names.
        researcher: Address,
    },
    /// No live grant.
    #[error(transparent)]
    Consent(#[from] ConsentError),
    /// The grant needs the owner's approval of each query, and there is none.
    #[error("the grant asks for the owner's approval of each query; this request has none")]
    ApprovalNeeded,
    /// The approval is not the owner's, or not for this request, or expired.
    #[error("the owner's approval does not hold: {0}")]
    BadApproval(String),
}

/// Checks `signed` for vault `vault_id` under `domain`, with grants from `cache` and the owner's signature
/// checked by `registry` (fails closed if it cannot be read).
pub async fn authorize<P: Provider>(
    signed: &SignedQuery,
    vault_id: u64,
    domain: &Eip712Domain,
    cache: &ConsentCache,
    registry: &VaultRegistryInstance<P>,
    now: u64,
) -> Result<Authorized, GateError> {
    let request = &signed.request;
    if request.vaultId != U256::from(vault_id) {
        return Err(GateError::WrongVault {
            requested: request.vaultId,
            this: vault_id,
        });
    }
    if request.deadline < U256::from(now) {
        return Err(GateError::Expired {
            deadline: request.deadline,
        });
    }
    if request.deadline > U256::from(now.saturating_add(MAX_REQUEST_LIFETIME_SECS)) {
        return Err(GateError::TooFarAhead {
            deadline: request.deadline,
        });
    }
    let request_hash = request.eip712_signing_hash(domain);
    let signer = Signature::try_from(signed.signature.as_ref())
        .ok()
        .and_then(|signature| signature.recover_address_from_prehash(&request_hash).ok());
    if signer != Some(request.researcher) {
        return Err(GateError::BadSignature {
            researcher: request.researcher,
        });
    }
    let consent = cache.check(request.researcher, request.scope)?;
    cache
        .confirm(registry, request.researcher, request.scope, &consent)
        .await?;
    if consent.per_query_approval {
        let Some(owner) = &signed.owner_approval else {
            return Err(GateError::ApprovalNeeded);
        };
        let approval = &owner.approval;
        if approval.vaultId != request.vaultId || approval.requestHash != request_hash {
            return Err(GateError::BadApproval("it approves another request".into()));
        }
        if approval.deadline < U256::from(now) {
            return Err(GateError::BadApproval(format!(
                "it expired at Unix time {}",
                approval.deadline
            )));
        }
        require_owner_signature_at(
            registry,
            domain,
            request.vaultId,
            approval,
            &owner.signature,
            consent.block,
        )
        .await
        .map_err(|error| match error {
            OwnerSignatureError::Chain(reason) => GateError::Consent(ConsentError::Chain(reason)),
            not_owner => GateError::BadApproval(not_owner.to_string()),
        })?;
    }
    Ok(Authorized {
        request_hash,
        researcher: request.researcher,
        consent,
    })
}
