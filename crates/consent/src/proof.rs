//! Confirming a grant with a storage proof (EIP-1186, `eth_getProof`): the grant's record and the vault's
//! owner slot, proved through the registry's account to the state root of the block the consent was read at,
//! whose header a quorum of endpoints agreed on. One endpoint's answer is enough, and one that lies about
//! the grant is caught: its proof does not verify, or proves another record than the events said. This is
//! also where a light client plugs in, by supplying a header it verified itself (`docs/light-client.md`).

use alloy::{
    primitives::{Address, B256, U256, keccak256},
    providers::Provider,
    rpc::types::EIP1186AccountProofResponse,
};
use alloy_trie::{Nibbles, TrieAccount, proof::verify_proof};
use dnavault_protocol::{
    audit::AuditHead,
    storage::{StoredGrant, StoredOwner, audit_head_slots, grant_slot, owner_slot, tool_slot},
};

use crate::{Consent, ConsentError, read};

/// What a proof says of a grant at a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Proven {
    pub(crate) grant: StoredGrant,
    pub(crate) owner: StoredOwner,
}

/// Proves, at `consent.block`, the registry's record of the grant to `grantee` for `scope` on `vault_id`, and
/// refuses unless it is the live grant `consent` describes, made under the vault's current ownership.
pub(crate) async fn confirm<P: Provider>(
    provider: &P,
    registry: Address,
    vault_id: u64,
    grantee: Address,
    scope: B256,
    consent: &Consent,
) -> Result<(), ConsentError> {
    let proven = prove(provider, registry, vault_id, grantee, scope, consent.block).await?;
    let (grant, owner) = (proven.grant, proven.owner);
    let differs = |what: &str| {
        Err(ConsentError::Unproven(format!(
            "the registry's state at block {} contradicts the events an endpoint served: {what}",
            consent.block
        )))
    };
    if grant.expiry == 0 {
        return differs("there is no such grant");
    }
    if grant.revoked {
        return differs("the grant is revoked");
    }
    if grant.epoch != owner.epoch {
        return differs("the grant was made under an earlier owner");
    }
    if (
        grant.expiry,
        grant.purpose,
        grant.per_query_approval,
        grant.max_queries,
    ) != (
        consent.expiry,
        consent.purpose,
        consent.per_query_approval,
        consent.max_queries,
    ) {
        return differs("the grant's terms differ");
    }
    Ok(())
}

/// The grant's record and the vault's owner slot at block `number`, proved to its state root.
pub(crate) async fn prove<P: Provider>(
    provider: &P,
    registry: Address,
    vault_id: u64,
    grantee: Address,
    scope: B256,
    number: u64,
) -> Result<Proven, ConsentError> {
    let vault = U256::from(vault_id);
    let slots = [grant_slot(vault, grantee, scope), owner_slot(vault)];
    let (values, _) = proved(provider, registry, &slots, number).await?;
    Ok(Proven {
        grant: StoredGrant::from_slot(values[0]),
        owner: StoredOwner::from_slot(values[1]),
    })
}

/// A vault's owner as the chain's state proves it at the head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProvenOwner {
    /// The owner.
    pub(crate) owner: Address,
    /// Whether the owner's account holds code (a contract wallet, or an EOA delegating under EIP-7702).
    pub(crate) has_code: bool,
}

/// Proves vault `vault_id`'s owner, and whether its account holds code, at block `at` (default: the head a
/// quorum agreed on).
pub(crate) async fn prove_owner<P: Provider>(
    provider: &P,
    registry: Address,
    vault_id: U256,
    at: Option<u64>,
) -> Result<ProvenOwner, ConsentError> {
    let number = match at {
        Some(number) => number,
        None => provider.get_block_number().await.map_err(read::chain)?,
    };
    let (values, state_root) = proved(provider, registry, &[owner_slot(vault_id)], number).await?;
    let owner = StoredOwner::from_slot(values[0]).owner;
    let (_, account) = proof_to(provider, owner, &[], number, state_root).await?;
    Ok(ProvenOwner {
        owner,
        has_code: account.code_hash != alloy::primitives::KECCAK256_EMPTY,
    })
}

/// Proves vault `vault_id`'s anchored audit head (zero when none) at the head a quorum agreed on: what an
/// unsealing vault checks its stored log against, so no endpoint can hide the anchor.
pub async fn prove_audit_head<P: Provider>(
    provider: &P,
    registry: Address,
    vault_id: U256,
) -> Result<AuditHead, ConsentError> {
    let number = provider.get_block_number().await.map_err(read::chain)?;
    let (values, _) = proved(provider, registry, &audit_head_slots(vault_id), number).await?;
    Ok(AuditHead {
        seq: u64::try_from(values[0] & U256::from(u64::MAX)).unwrap_or_default(),
        tag: values[1].into(),
    })
}

/// Whether tool `tool` is approved for vault `vault_id` at block `number`, proved to its state root.
pub(crate) async fn prove_tool<P: Provider>(
    provider: &P,
    registry: Address,
    vault_id: U256,
    tool: B256,
    number: u64,
) -> Result<bool, ConsentError> {
    let (values, _) = proved(provider, registry, &[tool_slot(vault_id, tool)], number).await?;
    match values[0] {
        value if value.is_zero() => Ok(false),
        value if value == U256::from(1) => Ok(true),
        value => Err(ConsentError::Unproven(format!(
            "tool {tool}'s approval slot holds {value}, not a bool"
        ))),
    }
}

/// The values of `slots` of `address` at block `number`, proved to that block's state root (a header the
/// quorum agreed on), with the root. A proof that does not verify is asked for once more before the answer
/// is a refusal: a node that mines a block while it answers may prove the next block's state (Anvil does,
/// under load), and a second proof of the same block must verify all the same.
async fn proved<P: Provider>(
    provider: &P,
    address: Address,
    slots: &[B256],
    number: u64,
) -> Result<(Vec<U256>, B256), ConsentError> {
    let header = read::header(provider, number).await?;
    let (values, _) = proof_to(provider, address, slots, number, header.state_root).await?;
    Ok((values, header.state_root))
}

/// The values of `slots` of `address` at block `number` and the proof, which verifies to `state_root`; asked
/// for again once when it does not.
async fn proof_to<P: Provider>(
    provider: &P,
    address: Address,
    slots: &[B256],
    number: u64,
    state_root: B256,
) -> Result<(Vec<U256>, EIP1186AccountProofResponse), ConsentError> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let proof = provider
            .get_proof(address, slots.to_vec())
            .number(number)
            .await
            .map_err(read::chain)?;
        match verified(&proof, address, state_root, slots) {
            Ok(values) => return Ok((values, proof)),
            Err(error) if attempts == PROOF_ATTEMPTS => return Err(error),
            Err(_) => {}
        }
    }
}

/// How many proofs of one block are asked for before one that does not verify is a refusal.
const PROOF_ATTEMPTS: u32 = 2;

/// The values of `slots` that `proof` proves for `address` under `state_root`.
fn verified(
    proof: &EIP1186AccountProofResponse,
    address: Address,
    state_root: B256,
    slots: &[B256],
) -> Result<Vec<U256>, ConsentError> {
    let bad = |what: String| ConsentError::Unproven(what);
    if proof.address != address {
        return Err(bad(format!(
            "the proof is of {}, not the registry",
            proof.address
        )));
    }
    let account = TrieAccount {
        nonce: proof.nonce,
        balance: proof.balance,
        storage_root: proof.storage_hash,
        code_hash: proof.code_hash,
    };
    // An account that never held anything is absent from the state: its proof shows the absence.
    let empty = proof.nonce == 0
        && proof.balance.is_zero()
        && [B256::ZERO, alloy::primitives::KECCAK256_EMPTY].contains(&proof.code_hash)
        && [B256::ZERO, alloy_trie::EMPTY_ROOT_HASH].contains(&proof.storage_hash);
    verify_proof(
        state_root,
        Nibbles::unpack(keccak256(address)),
        (!empty).then(|| alloy_rlp::encode(account)),
        &proof.account_proof,
    )
    .map_err(|e| {
        bad(format!(
            "account {address} does not verify against the state root: {e}"
        ))
    })?;
    if proof.storage_proof.len() != slots.len() {
        return Err(bad("the proof has another number of slots".into()));
    }
    slots
        .iter()
        .zip(&proof.storage_proof)
        .map(|(slot, storage)| {
            if storage.key.as_b256() != *slot {
                return Err(bad(format!(
                    "the proof is of slot {}",
                    storage.key.as_b256()
                )));
            }
            let key = Nibbles::unpack(keccak256(slot));
            let check = |expected| verify_proof(proof.storage_hash, key, expected, &storage.proof);
            let encoded = alloy_rlp::encode(storage.value);
            let outcome = if storage.value.is_zero() {
                // A zero slot is absent from the trie on a real node; Anvil keeps a slot set back to zero
                // as a leaf holding the encoded zero. Either proves zero under the state root.
                check(None).or_else(|_| check(Some(encoded)))
            } else {
                check(Some(encoded))
            };
            outcome.map_err(|e| bad(format!("slot {slot} does not verify: {e}")))?;
            Ok(storage.value)
        })
        .collect()
}
