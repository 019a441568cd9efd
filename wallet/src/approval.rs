//! What an owner approves when a grant asks for each query: the researcher's signed request with its query
//! and descriptor, checked (the query is the one signed, inside the descriptor the scope is the hash of,
//! signed by the researcher it names on this chain's registry) and put in words before the owner signs.

use alloy::{
    primitives::{B256, Signature, U256},
    sol_types::{Eip712Domain, SolStruct},
};
use dnavault_protocol::{
    QueryApproval,
    query::{Query, QuerySubmission},
};

use crate::{Result, WalletError, inputs::Analysis};

/// A researcher's request, checked, that the owner may approve.
#[derive(Debug, Clone)]
pub struct ToApprove {
    /// The submission as the researcher prepared it.
    pub submission: QuerySubmission,
    /// Its query.
    pub query: Query,
    /// Its request's EIP-712 hash: what the approval names.
    pub request_hash: B256,
}

impl ToApprove {
    /// Checks the submission in `path` against `domain` (the registry it will be asked on).
    pub fn read(path: &std::path::Path, domain: &Eip712Domain) -> Result<Self> {
        let refuse = |reason: String| WalletError::File {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| refuse(e.to_string()))?;
        let submission: QuerySubmission = serde_json::from_str(&text)
            .map_err(|e| refuse(format!("not a prepared query submission: {e}")))?;
        Self::from_submission(submission, domain).map_err(|e| match e {
            WalletError::Input { reason, .. } => refuse(reason),
            other => other,
        })
    }

    /// Checks `submission` (a researcher's, e.g. from the relay) against `domain`: its query inside the
    /// grant it names, its request signed by the researcher it names.
    pub fn from_submission(submission: QuerySubmission, domain: &Eip712Domain) -> Result<Self> {
        let refuse = |reason: String| WalletError::input("the submission", reason);
        let query = submission.read().map_err(|e| refuse(e.to_string()))?;
        submission
            .descriptor
            .allows(&query)
            .map_err(|e| refuse(format!("the query is outside the grant it names: {e}")))?;
        let request = &submission.signed.request;
        let request_hash = request.eip712_signing_hash(domain);
        let signer = Signature::try_from(submission.signed.signature.as_ref())
            .ok()
            .and_then(|signature| signature.recover_address_from_prehash(&request_hash).ok());
        if signer != Some(request.researcher) {
            return Err(refuse(format!(
                "the request is not signed by {} for this chain and registry",
                request.researcher
            )));
        }
        Ok(Self {
            submission,
            query,
            request_hash,
        })
    }

    /// The approval of this request, valid until `deadline` (no later than the request's own).
    pub fn approval(&self, deadline: U256) -> QueryApproval {
        let request = &self.submission.signed.request;
        QueryApproval {
            vaultId: request.vaultId,
            requestHash: self.request_hash,
            deadline: deadline.min(request.deadline),
        }
    }

    /// The analysis the request is asked under.
    pub fn analysis(&self) -> Analysis {
        Analysis {
            scope: self.submission.descriptor.scope(),
            descriptor: Some(self.submission.descriptor.clone()),
        }
    }
}
