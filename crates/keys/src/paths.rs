//! Derivation paths. Ethereum accounts follow BIP44 so that any wallet restores them from the same words; the
//! other keys live under DNA Vault's own hardened purpose `4476481'` (0x444E41, "DNA") so that they can never
//! collide with a path another application uses. Each non-Ethereum key is then expanded from its node's secret
//! with HKDF-SHA256 under a label naming the key, so no secret serves two algorithms.

/// BIP44 Ethereum account `index`: `m/44'/60'/0'/0/{index}`.
pub fn ethereum(index: u32) -> String {
    format!("m/44'/60'/0'/0/{index}")
}

/// The OpenPGP key (Ed25519 primary for certifying and signing, X25519 subkey for encryption).
pub const OPENPGP: &str = "m/4476481'/1'/0'";
/// The TLS client certificate key (Ed25519).
pub const TLS_CLIENT: &str = "m/4476481'/2'/0'";
/// The root of per-vault data keys; each vault's key is HKDF-expanded from it with the vault's identity.
pub const DATA_KEYS: &str = "m/4476481'/3'/0'";
/// The HPKE (X25519) key that vaults seal query results and boot messages to.
pub const HPKE: &str = "m/4476481'/4'/0'";
