//! Pairing: this phone's relay inbox (its HPKE key, under the owner's EIP-712 signature) registered with
//! the website's relay, so the owner's vaults and researchers can reach the app. The wallet signs only after
//! the shell has shown [`Pairing::facts`] and the person tapped; the relay's answer is checked here.

use alloy::primitives::Address;
use dnavault_relay::{RelayClient, SignedRegistration};
use wasm_bindgen::prelude::*;

use crate::{AppError, to_js};

/// A signed inbox registration for one deployment, ready to send.
#[wasm_bindgen]
pub struct Pairing {
    registration: SignedRegistration,
    chain_id: u64,
    registry: Address,
}

impl Pairing {
    /// Signs `seed`'s inbox registration (account 0) for `chain_id` and `registry` at `now`.
    pub(crate) fn sign(
        seed: &dnavault_keys::Seed,
        chain_id: u64,
        registry: &str,
        now: u64,
    ) -> Result<Self, AppError> {
        let registry = registry.parse::<Address>().map_err(|e| AppError::Input {
            what: "the registry address",
            reason: e.to_string(),
        })?;
        let domain = dnavault_protocol::eip712::registry_domain(chain_id, registry);
        let owner = seed.ethereum_signer(0)?;
        let key = seed.hpke_key()?;
        let registration = SignedRegistration::sign(&owner, &domain, &key.public_key(), now)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(Self {
            registration,
            chain_id,
            registry,
        })
    }
}

#[wasm_bindgen]
impl Pairing {
    /// What the signature does, in words (`[[label, value], ...]`), for the screen before the tap.
    pub fn facts(&self) -> Result<JsValue, AppError> {
        let r = &self.registration.registration;
        to_js(&[
            ("Account", r.account.to_checksum(None)),
            ("This phone's inbox key (HPKE)", r.hpkeKey.to_string()),
            ("Chain", self.chain_id.to_string()),
            ("Registry", self.registry.to_checksum(None)),
            ("Topic", self.registration.topic().to_string()),
        ])
    }

    /// Sends the registration to the relay at `relay` (the website's URL) and checks its answer names this
    /// inbox's topic; the topic.
    pub async fn register(self, relay: String) -> Result<String, AppError> {
        let domain = dnavault_protocol::eip712::registry_domain(self.chain_id, self.registry);
        let client = RelayClient::new(&relay, domain).map_err(relay_error)?;
        let answered = client
            .register(&self.registration)
            .await
            .map_err(relay_error)?;
        let topic = self.registration.topic();
        if answered != topic {
            return Err(AppError::Relay(format!(
                "the relay answered topic {answered}, this inbox is {topic}: it did not register this phone"
            )));
        }
        Ok(topic.to_string())
    }
}

fn relay_error(error: dnavault_relay::RelayError) -> AppError {
    AppError::Relay(error.to_string())
}
