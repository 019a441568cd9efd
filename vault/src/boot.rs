//! Sealed boot: the boot request and the checks an approval must pass before the data key is unwrapped.

use alloy::{
    primitives::{Address, B256, Bytes, Signature, U256, keccak256},
    providers::Provider,
    signers::{SignerSync, local::PrivateKeySigner},
};
use dnavault_attest::{Backend, ReportDataBinding, report_measurement};
use dnavault_consent::owner::{OwnerSignatureError, require_owner_signature};
use dnavault_envelope::{DataKey, Envelope, RecipientKey, context, data_key_aad};
use dnavault_protocol::{
    VaultRegistry::VaultRegistryInstance,
    boot::{BootRequest, BootResponse},
    chain_view::ChainView,
    eip712::registry_domain,
};
use dnavault_ratls::ServerIdentity;
use dnavault_relay::{
    Envelope as RelayEnvelope, Payload, RelayError, Seen, SignedAck, SignedRegistration,
};
use sha2::{Digest, Sha256};

/// Which vault this is: the chain, the registry and the vault's id in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VaultIdentity {
    /// Chain id.
    pub chain_id: u64,
    /// VaultRegistry address.
    pub registry: Address,
    /// The vault's id.
    pub vault_id: u64,
}

/// Why a vault stays sealed.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The platform could not attest.
    #[error("attestation: {0}")]
    Attestation(#[from] dnavault_attest::AttestError),
    /// The approval is for another vault.
    #[error("the approval is for vault {approved}, this is vault {this}")]
    WrongVault {
        /// The approved vault.
        approved: U256,
        /// This vault.
        this: u64,
    },
    /// The approval names another key: it was made for another boot of this vault.
    #[error("the approval names vault key {approved}, not this boot's key {this}")]
    WrongKey {
        /// The approved key.
        approved: Address,
        /// This boot's key.
        this: Address,
    },
    /// The approval answers another boot request: a replay.
    #[error(
        "the approval answers boot request {approved}, not this boot's {this} (replayed approval)"
    )]
    Replayed {
        /// The nonce approved.
        approved: B256,
        /// This boot's nonce.
        this: B256,
    },
    /// The approval is for another launch measurement.
    #[error("the approval is for another launch measurement than this vault's")]
    WrongMeasurement,
    /// The approval is for another chain view (endpoints, quorum, limits) than the one this vault follows.
    #[error(
        "the approval is for another chain view than this vault's (its RPC endpoints, quorum or limits \
         differ from what the owner read)"
    )]
    WrongChainView,
    /// The chain view cannot work.
    #[error(transparent)]
    ChainView(#[from] dnavault_protocol::chain_view::ChainViewError),
    /// The wrapped key is not the one the approval names.
    #[error("the wrapped data key is not the one the owner approved")]
    WrappedKeyMismatch,
    /// The approval expired.
    #[error("the approval expired at Unix time {deadline}")]
    Expired {
        /// Its deadline.
        deadline: U256,
    },
    /// The chain the vault reads is not its own.
    #[error("the RPC endpoint serves chain {found}, the vault belongs to chain {expected}")]
    WrongChain {
        /// The chain id served.
        found: u64,
        /// The vault's chain id.
        expected: u64,
    },
    /// The signature is not the vault owner's for this chain and registry.
    #[error("the approval is not signed by vault {vault}'s owner for this chain and registry")]
    NotOwner {
        /// The vault.
        vault: u64,
    },
    /// The registry could not be read: nothing is unsealed on an unverifiable approval.
    #[error("cannot read the registry: {0}")]
    Chain(String),
    /// The clock cannot be read: no deadline can be checked.
    #[error(transparent)]
    Clock(#[from] dnavault_protocol::clock::ClockError),
    /// The TLS identity could not be made.
    #[error("TLS identity: {0}")]
    Tls(#[from] dnavault_ratls::RatlsError),
    /// This boot's TLS key could not be made.
    #[error("cannot make this boot's TLS key: {0}")]
    TlsKey(rcgen::Error),
    /// The data key did not unwrap.
    #[error("the data key does not unwrap with this vault's key: {0}")]
    Unwrap(#[from] dnavault_envelope::EnvelopeError),
}

impl BootError {
    /// A short name for the failed check, for API clients.
    pub fn check(&self) -> &'static str {
        match self {
            Self::Attestation(_) => "attestation",
            Self::WrongVault { .. } => "wrong-vault",
            Self::WrongKey { .. } => "wrong-key",
            Self::Replayed { .. } => "replayed",
            Self::WrongMeasurement => "wrong-measurement",
            Self::WrongChainView => "wrong-chain-view",
            Self::ChainView(_) => "chain-view",
            Self::WrappedKeyMismatch => "wrapped-key-mismatch",
            Self::Expired { .. } => "expired",
            Self::WrongChain { .. } => "wrong-chain",
            Self::NotOwner { .. } => "not-owner",
            Self::Chain(_) => "chain-unreadable",
            Self::Clock(_) => "clock",
            Self::Tls(_) | Self::TlsKey(_) => "tls",
            Self::Unwrap(_) => "unwrap",
        }
    }
}

/// How long a boot request posted to the relay waits for the owner, in seconds (posted again after).
pub const RELAYED_BOOT_REQUEST_SECS: u64 = 3600;

/// A sealed vault: fresh keys in memory and a boot request waiting for its owner.
pub struct SealedVault {
    identity: VaultIdentity,
    signer: PrivateKeySigner,
    hpke: RecipientKey,
    measurement: [u8; 48],
    request: BootRequest,
    tls_key: rcgen::KeyPair,
    test_only: bool,
}

/// An unsealed vault, holding its data key in zeroizing memory.
pub struct UnsealedVault {
    identity: VaultIdentity,
    signer: PrivateKeySigner,
    /// The attested HPKE key, kept for the relay (the sealed vault's, once the service moves it here).
    relay_key: Option<RecipientKey>,
    data_key: DataKey,
    measurement: [u8; 48],
    test_only: bool,
}

impl SealedVault {
    /// Starts sealed as vault `vault_id` following `chain`: fresh signing, HPKE and TLS keys, a fresh nonce,
    /// and evidence binding them and the chain view.
    pub fn start(
        vault_id: u64,
        chain: ChainView,
        backend: &dyn Backend,
    ) -> Result<Self, BootError> {
        chain.check()?;
        let identity = VaultIdentity {
            chain_id: chain.chain_id,
            registry: chain.registry,
            vault_id,
        };
        let signer = PrivateKeySigner::random();
        let hpke = RecipientKey::generate();
        let tls = rcgen::KeyPair::generate().map_err(BootError::TlsKey)?;
        let tls_spki_sha256: [u8; 32] =
            Sha256::digest(rcgen::PublicKeyData::subject_public_key_info(&tls)).into();
        let mut nonce = B256::ZERO;
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, nonce.as_mut_slice());
        let binding = ReportDataBinding {
            vault_key: signer.address().into_array(),
            hpke_public_key: hpke.public_key().to_bytes(),
            tls_spki_sha256,
            chain_view: chain.hash().0,
            nonce: nonce.0,
        };
        let evidence = backend.attest(binding.report_data())?;
        let measurement = report_measurement(&evidence.report)?;
        let request = BootRequest {
            chain,
            vault_id: U256::from(identity.vault_id),
            vault_key: signer.address(),
            hpke_public_key: B256::from(binding.hpke_public_key),
            tls_spki_sha256: B256::from(tls_spki_sha256),
            boot_nonce: nonce,
            report: Bytes::from(evidence.report),
            endorsement_key: Bytes::from(evidence.endorsement_key),
            product: evidence.product.map(|p| p.to_string()),
        };
        Ok(Self {
            identity,
            signer,
            hpke,
            measurement,
            request,
            tls_key: tls,
            test_only: backend.is_test_only(),
        })
    }

    /// The vault's TLS identity: a self-signed certificate for the key the report binds.
    pub fn tls_identity(&self, names: Vec<String>) -> Result<ServerIdentity, BootError> {
        Ok(ServerIdentity::self_signed(&self.tls_key, names)?)
    }

    /// True on the simulated platform: no hardware protects this vault's memory.
    pub fn is_test_only(&self) -> bool {
        self.test_only
    }

    /// The launch measurement in this vault's report.
    pub fn measurement(&self) -> &[u8; 48] {
        &self.measurement
    }

    /// Which vault this is.
    pub fn identity(&self) -> VaultIdentity {
        self.identity
    }

    /// The request to send to the owner's wallet.
    pub fn request(&self) -> &BootRequest {
        &self.request
    }

    /// The vault's keys for the relay while sealed.
    pub(crate) fn relay_keys(&self) -> RelayKeys<'_> {
        RelayKeys::new(self.identity, &self.signer, &self.hpke)
    }

    /// The boot request, sealed to the owner's inbox and signed by the vault's key, for `vault_url`.
    pub fn relay_boot_request(
        &self,
        owner_inbox: &SignedRegistration,
        vault_url: &str,
        now: u64,
    ) -> Result<RelayEnvelope, RelayError> {
        let payload = Payload::BootRequest {
            vault_url: vault_url.to_owned(),
            request: self.request.clone(),
        };
        self.relay_keys()
            .seal(owner_inbox, &payload, now, RELAYED_BOOT_REQUEST_SECS)
    }

    /// Gives up the sealed vault's HPKE key to the vault it unsealed into, for the relay.
    pub(crate) fn into_relay_key(self) -> RecipientKey {
        self.hpke
    }

    /// Checks the owner's answer and unwraps the data key. Any failed check leaves the vault sealed.
    pub async fn unseal<P: Provider>(
        &self,
        response: &BootResponse,
        registry: &VaultRegistryInstance<P>,
    ) -> Result<UnsealedVault, BootError> {
        let approval = &response.approval;
        let id = self.identity;
        if approval.vaultId != U256::from(id.vault_id) {
            return Err(BootError::WrongVault {
                approved: approval.vaultId,
                this: id.vault_id,
            });
        }
        if approval.vaultKey != self.signer.address() {
            return Err(BootError::WrongKey {
                approved: approval.vaultKey,
                this: self.signer.address(),
            });
        }
        if approval.bootNonce != self.request.boot_nonce {
            return Err(BootError::Replayed {
                approved: approval.bootNonce,
                this: self.request.boot_nonce,
            });
        }
        if approval.measurement.as_ref() != self.measurement.as_slice() {
            return Err(BootError::WrongMeasurement);
        }
        if approval.chainView != self.request.chain.hash() {
            return Err(BootError::WrongChainView);
        }
        if approval.wrappedKeyHash != keccak256(&response.wrapped_data_key) {
            return Err(BootError::WrappedKeyMismatch);
        }
        let now = dnavault_protocol::clock::unix_now()?;
        if approval.deadline < U256::from(now) {
            return Err(BootError::Expired {
                deadline: approval.deadline,
            });
        }
        let chain = registry
            .provider()
            .get_chain_id()
            .await
            .map_err(|e| BootError::Chain(e.to_string()))?;
        if chain != id.chain_id || *registry.address() != id.registry {
            return Err(BootError::WrongChain {
                found: chain,
                expected: id.chain_id,
            });
        }
        require_owner_signature(
            registry,
            &registry_domain(id.chain_id, id.registry),
            approval.vaultId,
            approval,
            &response.signature,
        )
        .await
        .map_err(|error| match error {
            OwnerSignatureError::Chain(reason) => BootError::Chain(reason),
            OwnerSignatureError::NotOwner { .. } => BootError::NotOwner { vault: id.vault_id },
        })?;
        let envelope = Envelope::from_bytes(&response.wrapped_data_key)?;
        let aad = data_key_aad(id.chain_id, &id.registry.into_array(), id.vault_id);
        let opened = dnavault_envelope::open(&self.hpke, &envelope, context::DATA_KEY, &aad)?;
        let data_key = DataKey::from_slice(&opened).ok_or_else(|| {
            BootError::Unwrap(dnavault_envelope::EnvelopeError::Malformed {
                what: "data key",
                reason: "not 32 bytes".into(),
            })
        })?;
        Ok(UnsealedVault {
            identity: id,
            signer: self.signer.clone(),
            relay_key: None,
            data_key,
            measurement: self.measurement,
            test_only: self.test_only,
        })
    }
}

impl UnsealedVault {
    /// The data key. It never leaves memory: not to disk, logs or the database.
    pub fn data_key(&self) -> &DataKey {
        &self.data_key
    }

    /// The attested signing key's address (bound on-chain by the owner to anchor receipts).
    pub fn vault_key(&self) -> Address {
        self.signer.address()
    }

    /// The launch measurement this vault booted with.
    pub fn measurement(&self) -> &[u8; 48] {
        &self.measurement
    }

    /// Which vault this is.
    pub fn identity(&self) -> VaultIdentity {
        self.identity
    }

    /// True on the simulated platform: no hardware protects this vault's memory.
    pub fn is_test_only(&self) -> bool {
        self.test_only
    }

    /// Signs `hash` (a receipt's EIP-712 hash) with the attested vault key.
    pub fn sign_hash(&self, hash: &B256) -> Result<Signature, alloy::signers::Error> {
        self.signer.sign_hash_sync(hash)
    }

    /// Keeps `key`, the HPKE key the boot evidence binds, for relay messages to this vault.
    pub(crate) fn with_relay_key(mut self, key: RecipientKey) -> Self {
        self.relay_key = Some(key);
        self
    }

    /// The vault's keys for the relay, once it holds its HPKE key.
    pub(crate) fn relay_keys(&self) -> Option<RelayKeys<'_>> {
        self.relay_key
            .as_ref()
            .map(|hpke| RelayKeys::new(self.identity, &self.signer, hpke))
    }

    /// The attested vault key, for the task that anchors receipts from it.
    pub(crate) fn signer(&self) -> PrivateKeySigner {
        self.signer.clone()
    }

    /// Seals the vault: the data key and the signing key are wiped from memory.
    pub fn seal(self) {
        drop(self);
    }
}

impl std::fmt::Debug for UnsealedVault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UnsealedVault")
            .field("identity", &self.identity)
            .field("test_only", &self.test_only)
            .finish_non_exhaustive()
    }
}

/// A vault's attested keys as the relay knows them: the signing key its messages are signed by and the
/// HPKE key its inbox is registered under (both bound by its boot evidence).
pub(crate) struct RelayKeys<'a> {
    signer: &'a PrivateKeySigner,
    hpke: &'a RecipientKey,
    domain: alloy::sol_types::Eip712Domain,
}

impl<'a> RelayKeys<'a> {
    fn new(identity: VaultIdentity, signer: &'a PrivateKeySigner, hpke: &'a RecipientKey) -> Self {
        Self {
            signer,
            hpke,
            domain: registry_domain(identity.chain_id, identity.registry),
        }
    }

    /// The vault's relay inbox: its attested HPKE key under its attested signing key, so answers are
    /// sealed to the key the report binds.
    pub(crate) fn inbox(&self, now: u64) -> Result<SignedRegistration, RelayError> {
        SignedRegistration::sign(self.signer, &self.domain, &self.hpke.public_key(), now)
    }

    /// The vault's signed request to list its inbox `topic` at `now`.
    pub(crate) fn read(
        &self,
        topic: B256,
        now: u64,
    ) -> Result<dnavault_relay::SignedRead, RelayError> {
        dnavault_relay::SignedRead::sign(self.signer, &self.domain, topic, now)
    }

    /// `payload`, sealed to `to` and signed by the vault's key, living `ttl` seconds.
    pub(crate) fn seal(
        &self,
        to: &SignedRegistration,
        payload: &Payload,
        now: u64,
        ttl: u64,
    ) -> Result<RelayEnvelope, RelayError> {
        RelayEnvelope::seal(
            self.signer,
            &self.domain,
            to,
            payload.kind(),
            &payload.to_bytes(),
            now,
            ttl,
        )
    }

    /// A message from the vault's inbox, opened after every check, and the signed acknowledgement that
    /// removes it from the relay.
    pub(crate) fn open(
        &self,
        envelope: &RelayEnvelope,
        inbox: &SignedRegistration,
        seen: &mut Seen,
        now: u64,
    ) -> Result<(Payload, SignedAck), RelayError> {
        let opened = envelope.open(&self.domain, inbox, self.hpke, seen, now)?;
        let ack = SignedAck::sign(self.signer, &self.domain, inbox.topic(), opened.nonce)?;
        Ok((Payload::from_bytes(opened.kind, &opened.payload)?, ack))
    }
}
