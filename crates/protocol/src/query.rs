//! A researcher's query on a vault: the request the researcher signs (EIP-712, the registry's domain), the
//! query it commits to, what the vault answers (the result sealed to the researcher and a signed receipt),
//! the query kinds, and a query in words for the owner who approves it.
//!
//! The vault checks a request against the registry's grant for (vault, researcher, scope) and, when the grant
//! asks for it, the owner's [`QueryApproval`] of the request's hash.

pub mod chromosome;
mod kind;
mod params;
mod receipt;
mod result;
mod words;

use alloy::primitives::{B256, Bytes, keccak256};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub use kind::QueryKind;
pub use params::{
    AlleleCounts, BeaconAllele, BeaconAlleleParameters, BeaconQuery, BeaconRequest, GenotypeLookup,
    Granularity, MAX_ITEMS, PolygenicScore, Position, Query, QueryError, Region, RunTool,
};
pub use receipt::{QueryAnswer, ReceiptError};
pub use result::{
    AlleleCountsResult, BeaconResponse, BeaconResponseMeta, BeaconSummary, Call,
    GenotypeLookupResult, QueryResult, ScoreResult, Site, ToolOutput, ToolResult, Variant,
};

pub use crate::{QueryApproval, QueryReceipt, QueryRequest};

/// A query request with its signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedQuery {
    /// The request.
    pub request: QueryRequest,
    /// The researcher's signature over its EIP-712 hash.
    pub signature: Bytes,
    /// The owner's approval of this request, for grants that ask for one.
    #[serde(default)]
    pub owner_approval: Option<OwnerApproval>,
}

/// The largest query body a vault reads from a sender its consent gate has not let through yet: any query
/// but one with a large scoring file. A larger body needs its signed request sent ahead, in the
/// [`SignedQuery`] header.
pub const OPEN_QUERY_BYTES: usize = 256 << 10;

/// The signed request may go ahead of its body, in this header: the vault checks it at the consent gate
/// before it reads the body (required for a body over [`OPEN_QUERY_BYTES`]).
impl crate::header::SignedHeader for SignedQuery {
    const HEADER: &'static str = "x-dnavault-query";
}

/// The owner's approval of one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerApproval {
    /// The approval.
    pub approval: QueryApproval,
    /// The owner's signature (EOA or EIP-1271, checked by the registry).
    pub signature: Bytes,
}

/// What a researcher posts to `POST /v1/queries`: the signed request and the query whose JSON text, byte for
/// byte, hashes to the request's `queryHash`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QuerySubmission {
    /// The signed request.
    pub signed: SignedQuery,
    /// The query, kept as sent.
    pub query: Box<RawValue>,
    /// The analysis descriptor whose hash is the request's scope: what the grant allows.
    pub descriptor: crate::descriptor::Descriptor,
}

impl QuerySubmission {
    /// A submission of `query` (serialized once: the hash covers exactly the text sent).
    pub fn query_text(query: &Query) -> Result<Box<RawValue>, serde_json::Error> {
        RawValue::from_string(serde_json::to_string(query)?)
    }

    /// keccak256 of the query's text as sent.
    pub fn query_hash(&self) -> B256 {
        keccak256(self.query.get().as_bytes())
    }

    /// The query, once it is shown to be the one the request commits to and well formed, and the
    /// descriptor to be valid and the one the request's scope is the hash of. (Whether the query lies
    /// inside the descriptor is [`Descriptor::allows`](crate::descriptor::Descriptor::allows).)
    pub fn read(&self) -> Result<Query, SubmissionError> {
        let request = &self.signed.request;
        if self.query_hash() != request.queryHash {
            return Err(SubmissionError::QueryHash {
                found: self.query_hash(),
                committed: request.queryHash,
            });
        }
        let query: Query = serde_json::from_str(self.query.get())
            .map_err(|e| SubmissionError::Query(e.to_string()))?;
        query
            .check()
            .map_err(|e| SubmissionError::Query(e.to_string()))?;
        self.descriptor
            .check()
            .map_err(SubmissionError::Descriptor)?;
        if self.descriptor.scope() != request.scope {
            return Err(SubmissionError::Scope {
                descriptor: self.descriptor.scope(),
                request: request.scope,
            });
        }
        Ok(query)
    }
}

/// Why a submission is not what its signed request says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmissionError {
    /// The query sent is not the one signed.
    #[error("the query's keccak256 is {found}, the signed request commits to {committed}")]
    QueryHash {
        /// The hash of the text sent.
        found: B256,
        /// The hash the request commits to.
        committed: B256,
    },
    /// The query does not parse or fails its checks.
    #[error("the query is not valid: {0}")]
    Query(String),
    /// The descriptor fails its checks.
    #[error("the analysis descriptor is not valid: {0}")]
    Descriptor(crate::descriptor::PanelError),
    /// The descriptor is not the one the request's scope is the hash of.
    #[error(
        "the analysis descriptor hashes to scope {descriptor}, the signed request names {request}"
    )]
    Scope {
        /// The descriptor's scope.
        descriptor: B256,
        /// The request's scope.
        request: B256,
    },
}
