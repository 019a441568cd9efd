//! What a seed shows the world: the account address, the OpenPGP and TLS fingerprints and the HPKE key
//! results are sealed to. The CLI prints it and the app shows it; both compute it here, so one set of words
//! gives one identity everywhere.

use alloy::primitives::Address;
use dnavault_keys::{Seed, pgp::PgpKey};
use serde::Serialize;

use crate::Result;

/// A seed's public identity at one account index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The account index the address is derived at.
    pub index: u32,
    /// The account's address (EIP-55 checksummed when printed).
    #[serde(serialize_with = "checksummed")]
    pub address: Address,
    /// The owner's OpenPGP key fingerprint.
    pub pgp_fingerprint: String,
    /// SHA-256 of the owner's TLS client certificate (hex).
    pub tls_certificate_sha256: String,
    /// The owner's HPKE public key (hex).
    pub hpke_public_key: String,
}

impl Identity {
    /// The identity `seed` gives at account `index` (the keys other than the address are the owner's own,
    /// the same at every index).
    pub fn of(seed: &Seed, index: u32) -> Result<Self> {
        Ok(Self {
            index,
            address: seed.ethereum_address(index)?,
            pgp_fingerprint: pgp_key(seed)?.fingerprint(),
            tls_certificate_sha256: seed.tls_identity()?.sha256_hex(),
            hpke_public_key: alloy::primitives::hex::encode(
                seed.hpke_key()?.public_key().to_bytes(),
            ),
        })
    }
}

/// The owner's OpenPGP key, under the user id that names their account 0 address.
pub fn pgp_key(seed: &Seed) -> Result<PgpKey> {
    let owner = seed.ethereum_address(0)?;
    Ok(seed.pgp_key(&format!(
        "DNA Vault owner <{}@dnavault.invalid>",
        owner.to_checksum(None)
    ))?)
}

fn checksummed<S: serde::Serializer>(
    address: &Address,
    to: S,
) -> std::result::Result<S::Ok, S::Error> {
    to.serialize_str(&address.to_checksum(None))
}
