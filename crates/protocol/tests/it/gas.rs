//! Whole-transaction gas of the consent paths on Anvil, as a user pays it (intrinsic and calldata included).
//! Execution-gas targets live in the forge gas snapshot; this records what a transaction costs end to end.

use alloy::{primitives::U256, signers::SignerSync, sol_types::SolStruct};
use dnavault_protocol::{Grant, eip712::registry_domain, purpose::Purpose};
use dnavault_testkit::TestChain;

#[tokio::test]
async fn consent_transactions_stay_cheap() {
    let chain = TestChain::start().await.unwrap();
    let (owner, researcher) = (chain.signer(1), chain.signer(2));
    let domain = registry_domain(chain.chain_id(), chain.registry_address());
    let as_owner = chain.registry_as(&owner);
    let as_researcher = chain.registry_as(&researcher);
    chain
        .register_vault(&owner, "https://vault.example")
        .await
        .unwrap();
    let now = chain.latest_timestamp().await.unwrap();

    let mut gas = Vec::new();
    for (nonce, scope) in [(0u64, "genotype-lookup"), (1, "polygenic-score")] {
        let message = Grant {
            vaultId: U256::from(1),
            grantee: researcher.address(),
            scope: alloy::primitives::keccak256(scope),
            purpose: Purpose::general_research().to_bytes16(),
            expiry: now + 86_400,
            perQueryApproval: false,
            maxQueries: 100,
            nonce: U256::from(nonce),
            deadline: U256::from(now + 3600),
        };
        let signature = owner
            .sign_hash_sync(&message.eip712_signing_hash(&domain))
            .unwrap();
        let receipt = as_researcher
            .grantWithSig(message, signature.as_bytes().into())
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(receipt.status());
        gas.push(receipt.gas_used);
    }
    let second_grant = gas[1];

    let scope = alloy::primitives::keccak256("genotype-lookup");
    let receipt = as_owner
        .revoke(U256::from(1), researcher.address(), scope)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    let revoke = receipt.gas_used;
    let is_allowed = as_researcher
        .isAllowed(U256::from(1), researcher.address(), scope)
        .estimate_gas()
        .await
        .unwrap();

    eprintln!(
        "whole-transaction gasUsed on Anvil: grantWithSig (second grant) {second_grant}, revoke {revoke}, isAllowed (eth_estimateGas) {is_allowed}"
    );
    // Budgets for the whole transaction: the execution targets (50,000 / 12,000 / 5,000) plus the 21,000
    // intrinsic gas and the calldata of each call.
    assert!(
        second_grant <= 50_000 + 21_000 + 6_000,
        "grantWithSig used {second_grant}"
    );
    assert!(revoke <= 12_000 + 21_000 + 2_000, "revoke used {revoke}");
    assert!(
        is_allowed <= 5_000 + 21_000 + 2_000,
        "isAllowed used {is_allowed}"
    );
}
