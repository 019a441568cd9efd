//! Relay messages: a header the sender signs (EIP-712, the registry's domain) and a payload sealed with HPKE
//! to the recipient's inbox key, the header (all but the payload's hash) bound in as the AAD.

use std::collections::HashMap;

use alloy::{
    primitives::{Address, B256, Bytes, Signature, keccak256},
    signers::{Signer, SignerSync},
    sol,
    sol_types::{Eip712Domain, SolStruct},
};
use dnavault_envelope::RecipientKey;
use rand_core::{OsRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{RelayError, Result, SignedRegistration};

sol! {
    /// The header of one relay message, signed by its sender.
    #[derive(Debug, PartialEq, Eq, Serialize, Deserialize)]
    struct RelayMessage {
        bytes32 topic;
        uint8 kind;
        address sender;
        bytes32 nonce;
        uint64 created;
        uint64 expires;
        bytes32 payloadHash;
    }
}

/// The shortest time-to-live the relay carries, in seconds.
pub const MIN_TTL_SECS: u64 = 60;
/// The longest, in seconds: a week.
pub const MAX_TTL_SECS: u64 = 7 * 24 * 60 * 60;
/// How far a message's date may run ahead of the receiver's clock.
pub const CLOCK_SKEW_SECS: u64 = 300;
/// The largest sealed payload carried, in bytes.
pub const MAX_PAYLOAD_BYTES: usize = 48 * 1024;

/// What the HPKE context of a relay payload is.
const SEAL_INFO: &[u8] = b"dnavault/v1/relay-message";

/// What a message asks or answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[repr(u8)]
pub enum Kind {
    /// A sealed vault's boot request, to its owner.
    BootRequest = 1,
    /// A researcher's request for the owner's approval of one query.
    QueryApprovalRequest = 2,
    /// A request to approve new code (a measurement or a tool) for a vault.
    CodeUpdateRequest = 3,
    /// The owner's answer to a boot request.
    BootAnswer = 4,
    /// The owner's answer to a query approval request.
    QueryApprovalAnswer = 5,
    /// The owner's answer to a code update request.
    CodeUpdateAnswer = 6,
}

impl Kind {
    /// Whether it is a request to an owner (else an owner's answer).
    pub fn is_request(self) -> bool {
        matches!(
            self,
            Self::BootRequest | Self::QueryApprovalRequest | Self::CodeUpdateRequest
        )
    }
}

impl TryFrom<u8> for Kind {
    type Error = RelayError;

    fn try_from(value: u8) -> Result<Self> {
        Ok(match value {
            1 => Self::BootRequest,
            2 => Self::QueryApprovalRequest,
            3 => Self::CodeUpdateRequest,
            4 => Self::BootAnswer,
            5 => Self::QueryApprovalAnswer,
            6 => Self::CodeUpdateAnswer,
            other => return Err(RelayError::UnknownKind(other)),
        })
    }
}

/// A relay message as it travels: its signed header, its sealed payload and the sender's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Envelope {
    /// The header.
    pub message: RelayMessage,
    /// The HPKE envelope of the payload.
    pub ciphertext: Bytes,
    /// The sender's signature over the header's EIP-712 hash.
    pub signature: Bytes,
}

/// A message that opened: who sent it, what kind it is, and its payload.
#[derive(Debug)]
pub struct Opened {
    /// Its kind.
    pub kind: Kind,
    /// Its sender, whose signature verified.
    pub sender: Address,
    /// Its nonce (answers name the request they answer by it).
    pub nonce: B256,
    /// The payload, zeroized on drop.
    pub payload: Zeroizing<Vec<u8>>,
}

impl Envelope {
    /// Seals `payload` to `inbox` as `sender`, a `kind` message made at `now` that lives `ttl` seconds.
    pub fn seal(
        sender: &(impl SignerSync + Signer),
        domain: &Eip712Domain,
        inbox: &SignedRegistration,
        kind: Kind,
        payload: &[u8],
        now: u64,
        ttl: u64,
    ) -> Result<Self> {
        if payload.len() > MAX_PAYLOAD_BYTES - 128 {
            return Err(RelayError::TooLarge {
                size: payload.len(),
                max: MAX_PAYLOAD_BYTES - 128,
            });
        }
        let mut nonce = B256::ZERO;
        OsRng.fill_bytes(nonce.as_mut_slice());
        let mut message = RelayMessage {
            topic: inbox.topic(),
            kind: kind as u8,
            sender: sender.address(),
            nonce,
            created: now,
            expires: now.saturating_add(ttl),
            payloadHash: B256::ZERO,
        };
        let sealed = dnavault_envelope::seal(
            &inbox.public_key()?,
            SEAL_INFO,
            &aad(&message, domain),
            payload,
        )
        .map_err(|e| RelayError::Sealing(e.to_string()))?;
        let ciphertext = Bytes::from(sealed.to_bytes());
        message.payloadHash = keccak256(&ciphertext);
        let signature = sender
            .sign_hash_sync(&message.eip712_signing_hash(domain))
            .map_err(|e| RelayError::Sealing(e.to_string()))?;
        Ok(Self {
            message,
            ciphertext,
            signature: Bytes::from(signature.as_bytes().to_vec()),
        })
    }

    /// The checks anyone can make, the relay among them: a known kind, a lifetime it carries, not dated
    /// ahead of `now` nor expired, the payload the header names and within size, signed by its sender.
    /// Returns the kind.
    pub fn verify(&self, domain: &Eip712Domain, now: u64) -> Result<Kind> {
        let m = &self.message;
        let kind = Kind::try_from(m.kind)?;
        let ttl = m.expires.saturating_sub(m.created);
        if !(MIN_TTL_SECS..=MAX_TTL_SECS).contains(&ttl) {
            return Err(RelayError::Lifetime {
                ttl,
                min: MIN_TTL_SECS,
                max: MAX_TTL_SECS,
            });
        }
        if m.created > now.saturating_add(CLOCK_SKEW_SECS) {
            return Err(RelayError::FromTheFuture {
                created: m.created,
                now,
            });
        }
        if m.expires <= now {
            return Err(RelayError::Expired {
                expires: m.expires,
                now,
            });
        }
        if self.ciphertext.len() > MAX_PAYLOAD_BYTES {
            return Err(RelayError::TooLarge {
                size: self.ciphertext.len(),
                max: MAX_PAYLOAD_BYTES,
            });
        }
        if keccak256(&self.ciphertext) != m.payloadHash {
            return Err(RelayError::PayloadAltered);
        }
        let recovered = recover(&self.signature, &m.eip712_signing_hash(domain));
        if recovered != Some(m.sender) {
            return Err(RelayError::Signature {
                claimed: m.sender,
                recovered,
            });
        }
        Ok(kind)
    }

    /// Everything the recipient checks before it acts: [`Self::verify`], that the message is for `inbox`,
    /// not seen before (recorded in `seen` until it expires), and that it opens with the inbox's `key`.
    pub fn open(
        &self,
        domain: &Eip712Domain,
        inbox: &SignedRegistration,
        key: &RecipientKey,
        seen: &mut Seen,
        now: u64,
    ) -> Result<Opened> {
        let kind = self.verify(domain, now)?;
        let m = &self.message;
        if m.topic != inbox.topic() {
            return Err(RelayError::WrongInbox {
                found: m.topic,
                expected: inbox.topic(),
            });
        }
        let sealed = dnavault_envelope::Envelope::from_bytes(&self.ciphertext)
            .map_err(|e| RelayError::Sealing(e.to_string()))?;
        let payload = dnavault_envelope::open(key, &sealed, SEAL_INFO, &aad(m, domain))
            .map_err(|e| RelayError::Sealing(e.to_string()))?;
        seen.record(m.nonce, m.expires, now)?;
        Ok(Opened {
            kind,
            sender: m.sender,
            nonce: m.nonce,
            payload: Zeroizing::new(payload.to_vec()),
        })
    }
}

/// The nonces of the messages a recipient took, until they expire: a message is acted on once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    until: HashMap<B256, u64>,
}

impl Seen {
    /// Records `nonce` (valid until `expires`), refusing one already recorded; forgets the expired.
    pub fn record(&mut self, nonce: B256, expires: u64, now: u64) -> Result<()> {
        self.until.retain(|_, until| *until > now);
        if self.until.contains_key(&nonce) {
            return Err(RelayError::Replayed { nonce });
        }
        self.until.insert(nonce, expires);
        Ok(())
    }
}

/// What the payload's sealing binds: the header's EIP-712 hash without the payload's own hash.
fn aad(message: &RelayMessage, domain: &Eip712Domain) -> Vec<u8> {
    let header = RelayMessage {
        payloadHash: B256::ZERO,
        ..message.clone()
    };
    header.eip712_signing_hash(domain).to_vec()
}

/// The address that signed `digest`, if `signature` is a well-formed one.
pub(crate) fn recover(signature: &[u8], digest: &B256) -> Option<Address> {
    Signature::try_from(signature)
        .ok()?
        .recover_address_from_prehash(digest)
        .ok()
}

#[cfg(test)]
mod tests {
    use alloy::signers::local::PrivateKeySigner;

    use super::*;

    const NOW: u64 = 1_800_000_000;

    struct Parties {
        domain: Eip712Domain,
        owner_key: RecipientKey,
        inbox: SignedRegistration,
        vault: PrivateKeySigner,
    }

    fn parties() -> Parties {
        let domain = dnavault_protocol::eip712::registry_domain(31337, Address::repeat_byte(7));
        let owner = PrivateKeySigner::random();
        let owner_key = RecipientKey::generate();
        let inbox =
            SignedRegistration::sign(&owner, &domain, &owner_key.public_key(), NOW).unwrap();
        Parties {
            domain,
            owner_key,
            inbox,
            vault: PrivateKeySigner::random(),
        }
    }

    fn sent(p: &Parties) -> Envelope {
        Envelope::seal(
            &p.vault,
            &p.domain,
            &p.inbox,
            Kind::BootRequest,
            b"payload",
            NOW,
            600,
        )
        .unwrap()
    }

    fn open(p: &Parties, envelope: &Envelope, now: u64) -> Result<Opened> {
        envelope.open(&p.domain, &p.inbox, &p.owner_key, &mut Seen::default(), now)
    }

    /// `envelope` with its header changed by `change` and re-signed by `signer`.
    fn resigned(
        p: &Parties,
        envelope: &Envelope,
        signer: &PrivateKeySigner,
        change: impl FnOnce(&mut RelayMessage),
    ) -> Envelope {
        let mut forged = envelope.clone();
        change(&mut forged.message);
        let signature = signer
            .sign_hash_sync(&forged.message.eip712_signing_hash(&p.domain))
            .unwrap();
        forged.signature = Bytes::from(signature.as_bytes().to_vec());
        forged
    }

    #[test]
    fn a_message_opens_once_for_its_inbox_and_says_who_sent_it() {
        let p = parties();
        let envelope = sent(&p);
        let mut seen = Seen::default();
        let opened = envelope
            .open(&p.domain, &p.inbox, &p.owner_key, &mut seen, NOW + 1)
            .unwrap();
        assert_eq!(
            (opened.kind, opened.sender),
            (Kind::BootRequest, p.vault.address())
        );
        assert_eq!(&opened.payload[..], b"payload");
        let replay = envelope.open(&p.domain, &p.inbox, &p.owner_key, &mut seen, NOW + 2);
        assert_eq!(
            replay.unwrap_err(),
            RelayError::Replayed {
                nonce: envelope.message.nonce
            }
        );
        // The JSON it travels as reads back the same.
        let json = serde_json::to_string(&envelope).unwrap();
        assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), envelope);
    }

    #[test]
    fn a_tampered_header_or_payload_is_refused() {
        let p = parties();
        let envelope = sent(&p);
        // A longer life, without the sender's signature.
        let mut longer = envelope.clone();
        longer.message.expires += 3600;
        assert!(matches!(
            open(&p, &longer, NOW),
            Err(RelayError::Signature { .. })
        ));
        // One byte of the payload.
        let mut flipped = envelope.clone();
        let mut bytes = flipped.ciphertext.to_vec();
        bytes[40] ^= 1;
        flipped.ciphertext = bytes.into();
        assert_eq!(
            open(&p, &flipped, NOW).unwrap_err(),
            RelayError::PayloadAltered
        );
        // The relay signs the message as its own: the payload was sealed to the real sender's header.
        let relay = PrivateKeySigner::random();
        let taken = resigned(&p, &envelope, &relay, |m| m.sender = relay.address());
        assert!(matches!(open(&p, &taken, NOW), Err(RelayError::Sealing(_))));
        // Someone else's payload under the sender's own header: its hash no longer matches.
        let other = sent(&p);
        let mut swapped = envelope.clone();
        swapped.ciphertext = other.ciphertext;
        assert_eq!(
            open(&p, &swapped, NOW).unwrap_err(),
            RelayError::PayloadAltered
        );
        // An unknown kind.
        let strange = resigned(&p, &envelope, &p.vault, |m| m.kind = 9);
        assert_eq!(
            open(&p, &strange, NOW).unwrap_err(),
            RelayError::UnknownKind(9)
        );
    }

    #[test]
    fn a_message_for_another_inbox_or_deployment_does_not_open() {
        let p = parties();
        let envelope = sent(&p);
        let other = parties();
        let refused = envelope.open(
            &p.domain,
            &other.inbox,
            &other.owner_key,
            &mut Seen::default(),
            NOW,
        );
        assert!(matches!(refused, Err(RelayError::WrongInbox { .. })));
        // Pointed at the other inbox by a re-signing sender, it still opens only with the first key.
        let moved = resigned(&p, &envelope, &p.vault, |m| m.topic = other.inbox.topic());
        let refused = moved.open(
            &p.domain,
            &other.inbox,
            &other.owner_key,
            &mut Seen::default(),
            NOW,
        );
        assert!(matches!(refused, Err(RelayError::Sealing(_))));
        // Another chain's domain: the signature is not for it.
        let elsewhere = dnavault_protocol::eip712::registry_domain(1, Address::repeat_byte(7));
        assert!(matches!(
            envelope.verify(&elsewhere, NOW),
            Err(RelayError::Signature { .. })
        ));
    }

    #[test]
    fn lifetimes_dates_and_sizes_are_held_to_the_limits() {
        let p = parties();
        let envelope = sent(&p);
        assert!(matches!(
            open(&p, &envelope, NOW + 600),
            Err(RelayError::Expired { .. })
        ));
        assert!(matches!(
            open(&p, &envelope, NOW - CLOCK_SKEW_SECS - 1),
            Err(RelayError::FromTheFuture { .. })
        ));
        for ttl in [MIN_TTL_SECS - 1, MAX_TTL_SECS + 1] {
            let made = Envelope::seal(
                &p.vault,
                &p.domain,
                &p.inbox,
                Kind::BootRequest,
                b"x",
                NOW,
                ttl,
            )
            .unwrap();
            assert!(
                matches!(
                    made.verify(&p.domain, NOW),
                    Err(RelayError::Lifetime { .. })
                ),
                "{ttl}"
            );
        }
        let big = vec![0u8; MAX_PAYLOAD_BYTES];
        assert!(matches!(
            Envelope::seal(
                &p.vault,
                &p.domain,
                &p.inbox,
                Kind::BootRequest,
                &big,
                NOW,
                600
            ),
            Err(RelayError::TooLarge { .. })
        ));
    }

    #[test]
    fn an_inbox_is_its_accounts_only_and_its_topic_names_account_and_key() {
        let p = parties();
        p.inbox.verify(&p.domain).unwrap();
        let mut stolen = p.inbox.clone();
        stolen.registration.account = p.vault.address();
        assert!(matches!(
            stolen.verify(&p.domain),
            Err(RelayError::Signature { .. })
        ));
        let elsewhere = dnavault_protocol::eip712::registry_domain(1, Address::repeat_byte(7));
        assert!(p.inbox.verify(&elsewhere).is_err());
        let account = p.inbox.registration.account;
        assert_ne!(
            crate::topic(account, B256::repeat_byte(1)),
            crate::topic(account, B256::repeat_byte(2))
        );
        assert_eq!(
            p.inbox.topic(),
            crate::topic(account, p.inbox.registration.hpkeKey)
        );
    }

    #[test]
    fn the_signed_types_are_locked() {
        assert_eq!(
            RelayMessage::eip712_encode_type(),
            "RelayMessage(bytes32 topic,uint8 kind,address sender,bytes32 nonce,uint64 created,\
             uint64 expires,bytes32 payloadHash)"
        );
        assert_eq!(
            crate::InboxRegistration::eip712_encode_type(),
            "InboxRegistration(address account,bytes32 hpkeKey,uint64 issuedAt)"
        );
    }
}
