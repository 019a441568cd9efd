//! What only an inbox's account may ask of the relay, under its EIP-712 signature: to list what waits in the
//! inbox ([`SignedRead`], so nobody else learns who gets messages when) and to forget a message it took
//! ([`SignedAck`], so nobody else can make the relay drop a message before its recipient has it).

use alloy::{
    primitives::{B256, Bytes},
    signers::SignerSync,
    sol,
    sol_types::{Eip712Domain, SolStruct},
};
use serde::{Deserialize, Serialize};

use crate::{RelayError, Result, SignedRegistration};

sol! {
    /// The recipient took message `nonce` from inbox `topic`.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct RelayAck {
        bytes32 topic;
        bytes32 nonce;
    }

    /// The recipient asks, at `at` (Unix seconds), what waits in inbox `topic`.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct RelayRead {
        bytes32 topic;
        uint64 at;
    }
}

/// An acknowledgement and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedAck {
    /// What is acknowledged.
    pub ack: RelayAck,
    /// The inbox account's signature over its EIP-712 hash.
    pub signature: Bytes,
}

impl SignedAck {
    /// `signer`'s acknowledgement of message `nonce` in inbox `topic`.
    pub fn sign(
        signer: &impl SignerSync,
        domain: &Eip712Domain,
        topic: B256,
        nonce: B256,
    ) -> Result<Self> {
        let ack = RelayAck { topic, nonce };
        let signature = signer
            .sign_hash_sync(&ack.eip712_signing_hash(domain))
            .map_err(|e| RelayError::Sealing(e.to_string()))?;
        Ok(Self {
            ack,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// Checks that `inbox`'s account signed it, for that inbox.
    pub fn verify(&self, domain: &Eip712Domain, inbox: &SignedRegistration) -> Result<()> {
        if self.ack.topic != inbox.topic() {
            return Err(RelayError::WrongInbox {
                found: self.ack.topic,
                expected: inbox.topic(),
            });
        }
        let recovered =
            crate::message::recover(&self.signature, &self.ack.eip712_signing_hash(domain));
        if recovered != Some(inbox.registration.account) {
            return Err(RelayError::Signature {
                claimed: inbox.registration.account,
                recovered,
            });
        }
        Ok(())
    }
}

/// A request to list an inbox, and its signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRead {
    /// What is asked.
    pub read: RelayRead,
    /// The inbox account's signature over its EIP-712 hash.
    pub signature: Bytes,
}

impl SignedRead {
    /// `signer`'s request, at `now`, to list inbox `topic`.
    pub fn sign(
        signer: &impl SignerSync,
        domain: &Eip712Domain,
        topic: B256,
        now: u64,
    ) -> Result<Self> {
        let read = RelayRead { topic, at: now };
        let signature = signer
            .sign_hash_sync(&read.eip712_signing_hash(domain))
            .map_err(|e| RelayError::Sealing(e.to_string()))?;
        Ok(Self {
            read,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// Checks that `inbox`'s account signed it, for that inbox, within CLOCK_SKEW_SECS of `now`.
    pub fn verify(
        &self,
        domain: &Eip712Domain,
        inbox: &SignedRegistration,
        now: u64,
    ) -> Result<()> {
        if self.read.topic != inbox.topic() {
            return Err(RelayError::WrongInbox {
                found: self.read.topic,
                expected: inbox.topic(),
            });
        }
        if self.read.at.abs_diff(now) > crate::CLOCK_SKEW_SECS {
            return Err(RelayError::Expired {
                expires: self.read.at + crate::CLOCK_SKEW_SECS,
                now,
            });
        }
        let recovered =
            crate::message::recover(&self.signature, &self.read.eip712_signing_hash(domain));
        if recovered != Some(inbox.registration.account) {
            return Err(RelayError::Signature {
                claimed: inbox.registration.account,
                recovered,
            });
        }
        Ok(())
    }
}
