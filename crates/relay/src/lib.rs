//! The relay's message format. The relay is the mailbox between vaults and researchers on one side and
//! owners' authenticators on the other; it is untrusted, so everything that matters is checked by the
//! receiver:
//!
//! - an account publishes an **inbox** ([`SignedRegistration`]): an X25519 HPKE key, signed (EIP-712, the
//!   registry's domain) by the account's Ethereum key; its **topic** ([`topic`]) is derived from both;
//! - a **message** ([`Envelope`]) is sealed with HPKE to the inbox's key, its header bound in as the AAD,
//!   and its header signed by the sender: the relay sees the topic, the sender, sizes and times, never the
//!   payload; a tampered header or payload, another recipient's key, an expired or replayed message
//!   ([`Seen`]) is refused by [`Envelope::open`];
//! - only the recipient lists its inbox ([`SignedRead`]) and acknowledges what it took ([`SignedAck`]), under
//!   its account's signature.
//!
//! ```
//! use alloy::signers::local::PrivateKeySigner;
//! use dnavault_envelope::RecipientKey;
//! use dnavault_relay::{Envelope, Kind, Seen, SignedRegistration};
//!
//! let domain = dnavault_protocol::eip712::registry_domain(31337, Default::default());
//! let (owner, vault) = (PrivateKeySigner::random(), PrivateKeySigner::random());
//! let inbox_key = RecipientKey::generate();
//! let inbox = SignedRegistration::sign(&owner, &domain, &inbox_key.public_key(), 1_000)?;
//! let sent = Envelope::seal(&vault, &domain, &inbox, Kind::BootRequest, b"boot me", 1_000, 600)?;
//! let opened = sent.open(&domain, &inbox, &inbox_key, &mut Seen::default(), 1_010)?;
//! assert_eq!((opened.sender, &opened.payload[..]), (vault.address(), &b"boot me"[..]));
//! # Ok::<(), dnavault_relay::RelayError>(())
//! ```

mod ack;
mod client;
mod error;
mod inbox;
mod message;
mod payload;

pub use ack::{RelayAck, RelayRead, SignedAck, SignedRead};
pub use client::RelayClient;
pub use error::{RelayError, Result};
pub use inbox::{InboxRegistration, SignedRegistration, topic};
pub use message::{
    CLOCK_SKEW_SECS, Envelope, Kind, MAX_PAYLOAD_BYTES, MAX_TTL_SECS, MIN_TTL_SECS, Opened,
    RelayMessage, Seen,
};
pub use payload::Payload;
