//! A researcher's keys, the requests they sign and the answers they open.

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    signers::{SignerSync, local::PrivateKeySigner},
    sol_types::{Eip712Domain, SolStruct},
};
use dnavault_envelope::{Envelope, RecipientKey, context};
use dnavault_protocol::{
    clock::deadline_in,
    descriptor::Descriptor,
    purpose::Purpose,
    query::{
        OwnerApproval, Query, QueryAnswer, QueryRequest, QueryResult, QuerySubmission, SignedQuery,
    },
};
use dnavault_relay::{
    Envelope as RelayEnvelope, Kind, Payload, RelayError, Seen, SignedAck, SignedRegistration,
};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::ResearchError;

/// The label the HPKE key is derived under.
const HPKE_LABEL: &[u8] = b"dnavault/v1/researcher-hpke";

/// A researcher: an Ethereum key that signs requests and the HPKE key derived from it.
pub struct Researcher {
    signer: PrivateKeySigner,
    hpke: RecipientKey,
}

/// What a request asks under: the grant's analysis descriptor and the purpose the researcher declares
/// (which the grant's purpose must cover).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms {
    /// The descriptor whose hash is the grant's scope.
    pub descriptor: Descriptor,
    /// The DUO purpose declared for the query.
    pub purpose: Purpose,
}

/// A signed request, ready to send.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// What is posted to the vault.
    pub submission: QuerySubmission,
    /// The request's EIP-712 hash (receipts name it).
    pub request_hash: B256,
}

impl Researcher {
    /// The researcher's relay inbox: its HPKE key under its Ethereum key.
    pub fn relay_inbox(
        &self,
        domain: &Eip712Domain,
        now: u64,
    ) -> Result<SignedRegistration, RelayError> {
        SignedRegistration::sign(&self.signer, domain, &self.hpke.public_key(), now)
    }

    /// The researcher's signed request to list its inbox `topic` at `now`.
    pub fn relay_read(
        &self,
        domain: &Eip712Domain,
        topic: alloy::primitives::B256,
        now: u64,
    ) -> Result<dnavault_relay::SignedRead, RelayError> {
        dnavault_relay::SignedRead::sign(&self.signer, domain, topic, now)
    }

    /// `prepared`, sealed to the owner's inbox as a request for the owner's approval, for `lifetime` s.
    pub fn ask_approval(
        &self,
        domain: &Eip712Domain,
        owner_inbox: &SignedRegistration,
        prepared: &Prepared,
        now: u64,
        lifetime: u64,
    ) -> Result<RelayEnvelope, RelayError> {
        let payload = Payload::QueryApprovalRequest {
            submission: prepared.submission.clone(),
        };
        RelayEnvelope::seal(
            &self.signer,
            domain,
            owner_inbox,
            Kind::QueryApprovalRequest,
            &payload.to_bytes(),
            now,
            lifetime,
        )
    }

    /// A message from the researcher's inbox, opened after every check, with the acknowledgement that
    /// removes it from the relay.
    pub fn open_relayed(
        &self,
        domain: &Eip712Domain,
        inbox: &SignedRegistration,
        envelope: &RelayEnvelope,
        seen: &mut Seen,
        now: u64,
    ) -> Result<(Address, Payload, SignedAck), RelayError> {
        let opened = envelope.open(domain, inbox, &self.hpke, seen, now)?;
        let ack = SignedAck::sign(&self.signer, domain, inbox.topic(), opened.nonce)?;
        let payload = Payload::from_bytes(opened.kind, &opened.payload)?;
        Ok((opened.sender, payload, ack))
    }
}

impl Prepared {
    /// A submission prepared earlier (`dnavault-researcher query --prepare-only`), for the registry in
    /// `domain`.
    pub fn from_submission(submission: QuerySubmission, domain: &Eip712Domain) -> Self {
        let request_hash = submission.signed.request.eip712_signing_hash(domain);
        Self {
            submission,
            request_hash,
        }
    }

    /// The same request with the owner's approval attached; an approval of another request is refused.
    pub fn approved(mut self, approval: OwnerApproval) -> Result<Self, ResearchError> {
        if approval.approval.requestHash != self.request_hash
            || approval.approval.vaultId != self.submission.signed.request.vaultId
        {
            return Err(ResearchError::Query(format!(
                "the owner's approval is for request {} on vault {}, not this one ({} on vault {})",
                approval.approval.requestHash,
                approval.approval.vaultId,
                self.request_hash,
                self.submission.signed.request.vaultId
            )));
        }
        self.submission.signed.owner_approval = Some(approval);
        Ok(self)
    }
}

/// An opened answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    /// The result.
    pub result: QueryResult,
    /// The key that signed the receipt (must be the vault's active key on-chain).
    pub vault_key: Address,
    /// The receipt's hash, which the vault anchors on-chain.
    pub receipt_hash: B256,
}

impl Researcher {
    /// A researcher with `signer`'s key; the HPKE key is derived from it.
    pub fn new(signer: PrivateKeySigner) -> Self {
        let mut ikm = Zeroizing::new([0u8; 32]);
        let secret: Zeroizing<[u8; 32]> = Zeroizing::new(signer.credential().to_bytes().into());
        let mut hasher = Sha256::new();
        hasher.update(HPKE_LABEL);
        hasher.update(secret.as_slice());
        ikm.copy_from_slice(&hasher.finalize());
        let hpke = RecipientKey::derive(ikm.as_slice()).expect("32 bytes of key material");
        Self { signer, hpke }
    }

    /// The researcher's address (the grantee grants name).
    pub fn address(&self) -> Address {
        self.signer.address()
    }

    /// The HPKE public key results are sealed to.
    pub fn recipient_key(&self) -> B256 {
        B256::from(self.hpke.public_key().to_bytes())
    }

    /// Signs a request for `query` on vault `vault_id` under `terms` (its scope is the descriptor's, and
    /// the descriptor travels with the query so the vault can hold the query to it), valid for
    /// `lifetime_secs`, with a fresh nonce. A query outside the descriptor is refused here, before it is sent.
    pub fn prepare(
        &self,
        vault_id: u64,
        query: &Query,
        terms: &Terms,
        domain: &Eip712Domain,
        lifetime_secs: u64,
    ) -> Result<Prepared, ResearchError> {
        query
            .check()
            .map_err(|e| ResearchError::Query(e.to_string()))?;
        terms
            .descriptor
            .allows(query)
            .map_err(|e| ResearchError::Query(format!("outside the grant: {e}")))?;
        let text =
            QuerySubmission::query_text(query).map_err(|e| ResearchError::Query(e.to_string()))?;
        let mut nonce = B256::ZERO;
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, nonce.as_mut_slice());
        let request = QueryRequest {
            vaultId: U256::from(vault_id),
            researcher: self.address(),
            scope: terms.descriptor.scope(),
            purpose: terms.purpose.to_bytes16(),
            queryHash: keccak256(text.get().as_bytes()),
            recipientKey: self.recipient_key(),
            nonce,
            deadline: U256::from(
                deadline_in(lifetime_secs).map_err(|e| ResearchError::Query(e.to_string()))?,
            ),
        };
        Ok(self.sign(request, text, &terms.descriptor, domain))
    }

    /// Signs `request` as it is, with `query` as the text it commits to and `descriptor` beside it (tests
    /// use this to build requests a vault must refuse).
    pub fn sign(
        &self,
        request: QueryRequest,
        query: Box<serde_json::value::RawValue>,
        descriptor: &Descriptor,
        domain: &Eip712Domain,
    ) -> Prepared {
        let request_hash = request.eip712_signing_hash(domain);
        let signature = self
            .signer
            .sign_hash_sync(&request_hash)
            .expect("signing a hash with a local key");
        Prepared {
            submission: QuerySubmission {
                signed: SignedQuery {
                    request,
                    signature: signature.as_bytes().to_vec().into(),
                    owner_approval: None,
                },
                query,
                descriptor: descriptor.clone(),
            },
            request_hash,
        }
    }

    /// Checks `answer` against `prepared` (receipt for this request and this result, signed) and opens the
    /// sealed result. The caller checks on-chain that [`Opened::vault_key`] is the vault's active key.
    pub fn open(
        &self,
        prepared: &Prepared,
        answer: &QueryAnswer,
        domain: &Eip712Domain,
    ) -> Result<Opened, ResearchError> {
        let vault_key = answer
            .check(domain, prepared.request_hash)
            .map_err(|e| ResearchError::Answer(e.to_string()))?;
        if answer.receipt.vaultId != prepared.submission.signed.request.vaultId {
            return Err(ResearchError::Answer(
                "the receipt is for another vault".into(),
            ));
        }
        let envelope = Envelope::from_bytes(&answer.result)
            .map_err(|e| ResearchError::Answer(format!("the sealed result: {e}")))?;
        let plaintext = dnavault_envelope::open(
            &self.hpke,
            &envelope,
            context::QUERY_RESULT,
            prepared.request_hash.as_slice(),
        )
        .map_err(|e| ResearchError::Answer(format!("the sealed result does not open: {e}")))?;
        let result = QueryResult::from_json(answer.kind, &plaintext).map_err(|e| {
            ResearchError::Answer(format!("the result is not a {} result: {e}", answer.kind))
        })?;
        Ok(Opened {
            result,
            vault_key,
            receipt_hash: answer.receipt_hash,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloy::{
        primitives::{Signature, address},
        sol_types::SolStruct,
    };
    use dnavault_protocol::{
        descriptor::Panel,
        eip712::registry_domain,
        query::{AlleleCounts, Position},
    };

    use super::*;

    fn signer(byte: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap()
    }

    #[test]
    fn the_hpke_key_follows_from_the_ethereum_key() {
        assert_eq!(
            Researcher::new(signer(7)).recipient_key(),
            Researcher::new(signer(7)).recipient_key()
        );
        assert_ne!(
            Researcher::new(signer(7)).recipient_key(),
            Researcher::new(signer(8)).recipient_key()
        );
    }

    #[test]
    fn a_prepared_request_commits_to_the_query_text_and_is_signed() {
        let researcher = Researcher::new(signer(7));
        let domain = registry_domain(
            31337,
            address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
        );
        let query = Query::AlleleCounts(AlleleCounts {
            positions: vec![Position {
                chrom: "22".into(),
                pos: 16_050_075,
            }],
        });
        let panel: Panel = serde_json::from_value(serde_json::json!({
            "name": "chr22 16.05 Mb", "assembly": "GRCh37",
            "regions": [{"chrom": "22", "start": 16_050_000, "end": 16_060_000, "gene": ""}],
            "rsids": [],
        }))
        .unwrap();
        let terms = Terms {
            descriptor: Descriptor::AlleleCounts { panel },
            purpose: Purpose::parse("HMB+NCU").unwrap(),
        };
        let prepared = researcher.prepare(3, &query, &terms, &domain, 60).unwrap();
        let request = &prepared.submission.signed.request;
        assert_eq!(request.vaultId, U256::from(3));
        assert_eq!(request.scope, terms.descriptor.scope());
        assert_eq!(request.purpose, terms.purpose.to_bytes16());
        assert_eq!(prepared.submission.descriptor, terms.descriptor);
        assert_eq!(request.queryHash, prepared.submission.query_hash());
        assert_eq!(request.recipientKey, researcher.recipient_key());
        assert_eq!(prepared.request_hash, request.eip712_signing_hash(&domain));
        let signature = Signature::try_from(prepared.submission.signed.signature.as_ref()).unwrap();
        assert_eq!(
            signature
                .recover_address_from_prehash(&prepared.request_hash)
                .unwrap(),
            researcher.address()
        );
        // Two requests for the same query differ in their nonce.
        let again = researcher.prepare(3, &query, &terms, &domain, 60).unwrap();
        assert_ne!(again.submission.signed.request.nonce, request.nonce);
        // A query that does not pass its checks, or lies outside the grant, is not signed.
        let empty = Query::AlleleCounts(AlleleCounts { positions: vec![] });
        assert!(researcher.prepare(3, &empty, &terms, &domain, 60).is_err());
        let outside = Query::AlleleCounts(AlleleCounts {
            positions: vec![Position {
                chrom: "22".into(),
                pos: 16_060_001,
            }],
        });
        let refused = researcher
            .prepare(3, &outside, &terms, &domain, 60)
            .unwrap_err();
        assert!(
            refused.to_string().contains("outside the grant"),
            "{refused}"
        );
    }
}
