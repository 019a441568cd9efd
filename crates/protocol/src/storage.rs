//! Where the registry keeps what a storage proof confirms: the slots of a grant's record and of a vault's
//! owner and ownership epoch, and how their bytes are packed. The layout is the compiler's
//! (`forge inspect VaultRegistry storageLayout`); `tests/it/storage.rs` reads the deployed contract's storage
//! on Anvil and checks it against the registry's own view functions.

use alloy::primitives::{Address, B256, FixedBytes, U256, keccak256};

/// The slot of `mapping(uint256 vaultId => VaultInfo) _vaults`.
pub const VAULTS_SLOT: u64 = 4;
/// The slot of `mapping(uint256 => mapping(address => mapping(bytes32 => GrantRecord))) _grants`.
pub const GRANTS_SLOT: u64 = 6;
/// The slot of `mapping(uint256 vaultId => AuditHead) _auditHeads`.
pub const AUDIT_HEADS_SLOT: u64 = 10;
/// The slot of `mapping(uint256 vaultId => mapping(bytes32 tool => bool)) _approvedTools`.
pub const APPROVED_TOOLS_SLOT: u64 = 11;

/// A grant's record as its one storage slot packs it (Solidity packs from the low-order byte up).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredGrant {
    /// Unix seconds.
    pub expiry: u64,
    /// The DUO purpose.
    pub purpose: FixedBytes<16>,
    /// Whether each query needs the owner's approval.
    pub per_query_approval: bool,
    /// Whether it was revoked.
    pub revoked: bool,
    /// Its query budget (0: none).
    pub max_queries: u32,
    /// The vault's ownership epoch it was made in.
    pub epoch: u16,
}

impl StoredGrant {
    /// Unpacks the slot's value: fields fill it from the low-order byte up, so in the big-endian view the
    /// first field is last.
    pub fn from_slot(value: U256) -> Self {
        let be: [u8; 32] = value.to_be_bytes();
        let mut purpose = [0u8; 16];
        purpose.copy_from_slice(&be[8..24]);
        Self {
            expiry: u64::from_be_bytes(be[24..32].try_into().unwrap_or_default()),
            purpose: FixedBytes(purpose),
            per_query_approval: be[7] != 0,
            revoked: be[6] != 0,
            max_queries: u32::from_be_bytes(be[2..6].try_into().unwrap_or_default()),
            epoch: u16::from_be_bytes([be[0], be[1]]),
        }
    }
}

/// A vault's first slot: its owner and ownership epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredOwner {
    /// The owner.
    pub owner: Address,
    /// Ownership transfers so far.
    pub epoch: u16,
}

impl StoredOwner {
    /// Unpacks the slot's value.
    pub fn from_slot(value: U256) -> Self {
        let bytes: [u8; 32] = value.to_be_bytes();
        Self {
            owner: Address::from_slice(&bytes[12..32]),
            epoch: u16::from_be_bytes([bytes[10], bytes[11]]),
        }
    }
}

/// The slot of vault `vault_id`'s owner and epoch.
pub fn owner_slot(vault_id: U256) -> B256 {
    mapping_slot(vault_id.into(), U256::from(VAULTS_SLOT).into())
}

/// The two slots of vault `vault_id`'s anchored audit head: its position (a `uint64` in the first slot's low
/// bytes) and its tag.
pub fn audit_head_slots(vault_id: U256) -> [B256; 2] {
    let first = mapping_slot(vault_id.into(), U256::from(AUDIT_HEADS_SLOT).into());
    let second = U256::from_be_bytes(first.0) + U256::from(1);
    [first, second.into()]
}

/// The slot of whether `tool` (a manifest's identity) is approved for vault `vault_id`: a `bool` in the
/// slot's lowest byte.
pub fn tool_slot(vault_id: U256, tool: B256) -> B256 {
    let by_vault = mapping_slot(vault_id.into(), U256::from(APPROVED_TOOLS_SLOT).into());
    mapping_slot(tool, by_vault)
}

/// The slot of the grant to `grantee` for `scope` on vault `vault_id`.
pub fn grant_slot(vault_id: U256, grantee: Address, scope: B256) -> B256 {
    let by_vault = mapping_slot(vault_id.into(), U256::from(GRANTS_SLOT).into());
    let by_grantee = mapping_slot(grantee.into_word(), by_vault);
    mapping_slot(scope, by_grantee)
}

/// `keccak256(key . slot)`: where a mapping at `slot` keeps `key`'s value.
fn mapping_slot(key: B256, slot: B256) -> B256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(key.as_slice());
    preimage[32..].copy_from_slice(slot.as_slice());
    keccak256(preimage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_slot_unpacks_field_by_field() {
        // expiry 0x0102030405060708, purpose 0xaa..(16), per-query, not revoked, budget 7, epoch 3.
        let mut be = [0u8; 32];
        be[0..2].copy_from_slice(&3u16.to_be_bytes());
        be[2..6].copy_from_slice(&7u32.to_be_bytes());
        be[6] = 0;
        be[7] = 1;
        be[8..24].copy_from_slice(&[0xaa; 16]);
        be[24..32].copy_from_slice(&0x0102_0304_0506_0708u64.to_be_bytes());
        let grant = StoredGrant::from_slot(U256::from_be_bytes(be));
        assert_eq!(grant.expiry, 0x0102_0304_0506_0708);
        assert_eq!(grant.purpose, FixedBytes([0xaa; 16]));
        assert!(grant.per_query_approval && !grant.revoked);
        assert_eq!((grant.max_queries, grant.epoch), (7, 3));
    }
}
