//! Inboxes: an account's HPKE key for relay messages, published under the account's EIP-712 signature
//! (the registry's domain, so one deployment's inbox is not another's). Its topic, what the relay files
//! messages under, is derived from the account and the key: a new key is a new inbox.

use alloy::{
    primitives::{Address, B256, Bytes, keccak256},
    signers::{Signer, SignerSync},
    sol,
    sol_types::{Eip712Domain, SolStruct, SolValue},
};
use dnavault_envelope::PublicKey;
use serde::{Deserialize, Serialize};

use crate::{RelayError, Result};

sol! {
    /// An account's relay inbox: messages for the account are sealed to `hpkeKey`.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct InboxRegistration {
        address account;
        bytes32 hpkeKey;
        uint64 issuedAt;
    }
}

/// What a topic is derived with.
const TOPIC_CONTEXT: &str = "dnavault/v1/relay-topic";

/// The topic of `account`'s inbox with X25519 key `hpke_key`.
pub fn topic(account: Address, hpke_key: B256) -> B256 {
    keccak256((TOPIC_CONTEXT, account, hpke_key).abi_encode())
}

/// An inbox registration and its account's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRegistration {
    /// The registration.
    pub registration: InboxRegistration,
    /// The account's signature over its EIP-712 hash.
    pub signature: Bytes,
}

impl SignedRegistration {
    /// `signer`'s inbox for HPKE key `key`, registered at `now`.
    pub fn sign(
        signer: &(impl SignerSync + Signer),
        domain: &Eip712Domain,
        key: &PublicKey,
        now: u64,
    ) -> Result<Self> {
        let registration = InboxRegistration {
            account: signer.address(),
            hpkeKey: B256::from(key.to_bytes()),
            issuedAt: now,
        };
        let signature = signer
            .sign_hash_sync(&registration.eip712_signing_hash(domain))
            .map_err(|e| RelayError::Sealing(e.to_string()))?;
        Ok(Self {
            registration,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// Checks that the account the registration names signed it.
    pub fn verify(&self, domain: &Eip712Domain) -> Result<()> {
        let digest = self.registration.eip712_signing_hash(domain);
        let recovered = crate::message::recover(&self.signature, &digest);
        if recovered != Some(self.registration.account) {
            return Err(RelayError::Signature {
                claimed: self.registration.account,
                recovered,
            });
        }
        Ok(())
    }

    /// The inbox's topic.
    pub fn topic(&self) -> B256 {
        topic(self.registration.account, self.registration.hpkeKey)
    }

    /// The inbox's HPKE public key.
    pub fn public_key(&self) -> Result<PublicKey> {
        PublicKey::from_bytes(self.registration.hpkeKey.as_slice())
            .map_err(|e| RelayError::Sealing(e.to_string()))
    }
}
