//! The Rust EIP-712 hash of every message equals the deployed contract's, and signatures made in Rust are
//! accepted on-chain only for the chain and contract they were made for.

use alloy::{
    primitives::{Address, Bytes, U256, address, keccak256},
    signers::{Signer, SignerSync},
    sol_types::SolStruct,
};
use dnavault_protocol::{
    ApproveMeasurement, BindVaultKey, BootApproval, Grant, OwnerRead, QueryApproval, QueryReceipt,
    QueryRequest, Revoke, RevokeMeasurement, UploadApproval,
    VaultRegistry::VaultRegistryErrors,
    eip712::{DOMAIN_NAME, DOMAIN_VERSION, registry_domain},
    purpose::Purpose,
};
use dnavault_testkit::TestChain;

const MEASUREMENT: [u8; 48] = [0x5c; 48];

fn measurement() -> Bytes {
    Bytes::from(MEASUREMENT.to_vec())
}

fn grant(vault: U256, grantee: Address, nonce: U256, deadline: u64) -> Grant {
    Grant {
        vaultId: vault,
        grantee,
        scope: keccak256("an analysis descriptor"),
        purpose: Purpose::parse("DUO:0000007/MONDO:0007254+DUO:0000046")
            .unwrap()
            .to_bytes16(),
        expiry: deadline + 30 * 86_400,
        perQueryApproval: true,
        maxQueries: 12,
        nonce,
        deadline: U256::from(deadline),
    }
}

#[tokio::test]
async fn every_message_hashes_as_the_contract_does() {
    let chain = TestChain::start().await.unwrap();
    let registry = chain.registry();
    let domain = registry_domain(chain.chain_id(), chain.registry_address());

    let on_chain = registry.eip712Domain().call().await.unwrap();
    assert_eq!(on_chain.name, DOMAIN_NAME);
    assert_eq!(on_chain.version, DOMAIN_VERSION);
    assert_eq!(on_chain.chainId, U256::from(chain.chain_id()));
    assert_eq!(on_chain.verifyingContract, chain.registry_address());

    let vault = U256::from(7);
    let who = address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    let (nonce, deadline) = (U256::from(3), U256::from(1_900_000_000u64));

    let grant = grant(vault, who, nonce, 1_900_000_000);
    assert_eq!(
        registry.hashGrant(grant.clone()).call().await.unwrap(),
        grant.eip712_signing_hash(&domain)
    );

    let revoke = Revoke {
        vaultId: vault,
        grantee: who,
        scope: grant.scope,
        nonce,
        deadline,
    };
    assert_eq!(
        registry.hashRevoke(revoke.clone()).call().await.unwrap(),
        revoke.eip712_signing_hash(&domain)
    );

    let approve = ApproveMeasurement {
        vaultId: vault,
        measurement: measurement(),
        nonce,
        deadline,
    };
    assert_eq!(
        registry
            .hashApproveMeasurement(approve.clone())
            .call()
            .await
            .unwrap(),
        approve.eip712_signing_hash(&domain)
    );

    let unapprove = RevokeMeasurement {
        vaultId: vault,
        measurement: measurement(),
        nonce,
        deadline,
    };
    assert_eq!(
        registry
            .hashRevokeMeasurement(unapprove.clone())
            .call()
            .await
            .unwrap(),
        unapprove.eip712_signing_hash(&domain)
    );

    let bind = BindVaultKey {
        vaultId: vault,
        vaultKey: who,
        measurement: measurement(),
        nonce,
        deadline,
    };
    assert_eq!(
        registry
            .hashBindVaultKey(bind.clone())
            .call()
            .await
            .unwrap(),
        bind.eip712_signing_hash(&domain)
    );

    let boot = BootApproval {
        vaultId: vault,
        vaultKey: who,
        measurement: measurement(),
        chainView: keccak256("chain view"),
        bootNonce: keccak256("boot nonce"),
        wrappedKeyHash: keccak256("wrapped data key"),
        deadline,
    };
    assert_eq!(
        registry
            .hashBootApproval(boot.clone())
            .call()
            .await
            .unwrap(),
        boot.eip712_signing_hash(&domain)
    );

    let query = QueryApproval {
        vaultId: vault,
        requestHash: keccak256("query request"),
        deadline,
    };
    assert_eq!(
        registry
            .hashQueryApproval(query.clone())
            .call()
            .await
            .unwrap(),
        query.eip712_signing_hash(&domain)
    );

    // The off-chain messages: researchers' requests, vaults' receipts, owners' uploads and reads.
    let request = QueryRequest {
        vaultId: vault,
        researcher: who,
        scope: grant.scope,
        purpose: Purpose::parse("DUO:0000006+DUO:0000046")
            .unwrap()
            .to_bytes16(),
        queryHash: keccak256("{}"),
        recipientKey: keccak256("hpke"),
        nonce: keccak256("nonce"),
        deadline,
    };
    assert_eq!(
        registry
            .hashQueryRequest(request.clone())
            .call()
            .await
            .unwrap(),
        request.eip712_signing_hash(&domain)
    );
    let receipt = QueryReceipt {
        vaultId: vault,
        requestHash: request.eip712_signing_hash(&domain),
        resultHash: keccak256("sealed"),
        purpose: request.purpose,
        consentBlock: U256::from(12),
        issuedAt: 1_900_000_000,
    };
    assert_eq!(
        registry
            .hashQueryReceipt(receipt.clone())
            .call()
            .await
            .unwrap(),
        receipt.eip712_signing_hash(&domain)
    );
    let upload = UploadApproval {
        vaultId: vault,
        objectId: "genome.vcf.gz".into(),
        contentSha256: keccak256("content"),
        size: 7,
        nonce: keccak256("nonce"),
        deadline,
    };
    assert_eq!(
        registry
            .hashUploadApproval(upload.clone())
            .call()
            .await
            .unwrap(),
        upload.eip712_signing_hash(&domain)
    );
    let read = OwnerRead {
        vaultId: vault,
        what: "audit".into(),
        recipientKey: alloy::primitives::B256::repeat_byte(9),
        deadline,
    };
    assert_eq!(
        registry.hashOwnerRead(read.clone()).call().await.unwrap(),
        read.eip712_signing_hash(&domain)
    );
}

/// The contract's typehash constants are the keccak256 of the type strings the Rust types lock.
#[tokio::test]
async fn every_typehash_constant_is_the_rust_type_hash() {
    let chain = TestChain::start().await.unwrap();
    let registry = chain.registry();
    let pairs = [
        (
            registry.GRANT_TYPEHASH().call().await.unwrap(),
            Grant::eip712_encode_type(),
        ),
        (
            registry.REVOKE_TYPEHASH().call().await.unwrap(),
            Revoke::eip712_encode_type(),
        ),
        (
            registry
                .APPROVE_MEASUREMENT_TYPEHASH()
                .call()
                .await
                .unwrap(),
            ApproveMeasurement::eip712_encode_type(),
        ),
        (
            registry.REVOKE_MEASUREMENT_TYPEHASH().call().await.unwrap(),
            RevokeMeasurement::eip712_encode_type(),
        ),
        (
            registry.BIND_VAULT_KEY_TYPEHASH().call().await.unwrap(),
            BindVaultKey::eip712_encode_type(),
        ),
        (
            registry.BOOT_APPROVAL_TYPEHASH().call().await.unwrap(),
            BootApproval::eip712_encode_type(),
        ),
        (
            registry.QUERY_APPROVAL_TYPEHASH().call().await.unwrap(),
            QueryApproval::eip712_encode_type(),
        ),
        (
            registry.QUERY_REQUEST_TYPEHASH().call().await.unwrap(),
            QueryRequest::eip712_encode_type(),
        ),
        (
            registry.QUERY_RECEIPT_TYPEHASH().call().await.unwrap(),
            QueryReceipt::eip712_encode_type(),
        ),
        (
            registry.UPLOAD_APPROVAL_TYPEHASH().call().await.unwrap(),
            UploadApproval::eip712_encode_type(),
        ),
        (
            registry.OWNER_READ_TYPEHASH().call().await.unwrap(),
            OwnerRead::eip712_encode_type(),
        ),
    ];
    for (on_chain, type_string) in pairs {
        assert_eq!(on_chain, keccak256(type_string.as_bytes()), "{type_string}");
    }
}

#[tokio::test]
async fn rust_signatures_grant_and_revoke_on_chain() {
    let chain = TestChain::start().await.unwrap();
    let (owner, researcher) = (chain.signer(1), chain.signer(2));
    let domain = registry_domain(chain.chain_id(), chain.registry_address());
    chain
        .register_vault(&owner, "https://vault.example")
        .await
        .unwrap();
    let vault = U256::from(1);
    let now = chain.latest_timestamp().await.unwrap();

    // The researcher relays the owner's signed grant and pays for it.
    let message = grant(vault, researcher.address(), U256::ZERO, now + 3600);
    let signature = owner
        .sign_hash(&message.eip712_signing_hash(&domain))
        .await
        .unwrap();
    let relay = chain.registry_as(&researcher);
    let receipt = relay
        .grantWithSig(message.clone(), signature.as_bytes().into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    assert!(
        relay
            .isAllowed(vault, researcher.address(), message.scope)
            .call()
            .await
            .unwrap()
    );
    assert_eq!(relay.nonceOf(vault).call().await.unwrap(), U256::from(1));

    // Replaying the same signature fails on the nonce.
    let err = relay
        .grantWithSig(message.clone(), signature.as_bytes().into())
        .call()
        .await
        .unwrap_err();
    let decoded = err
        .as_decoded_interface_error::<VaultRegistryErrors>()
        .expect("a registry error");
    assert!(
        matches!(decoded, VaultRegistryErrors::InvalidNonce(_)),
        "{decoded:?}"
    );

    let revoke = Revoke {
        vaultId: vault,
        grantee: researcher.address(),
        scope: message.scope,
        nonce: U256::from(1),
        deadline: message.deadline,
    };
    let signature = owner
        .sign_hash_sync(&revoke.eip712_signing_hash(&domain))
        .unwrap();
    relay
        .revokeWithSig(revoke, signature.as_bytes().into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(
        !relay
            .isAllowed(vault, researcher.address(), message.scope)
            .call()
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn signatures_for_another_chain_or_contract_are_refused() {
    let chain = TestChain::start().await.unwrap();
    let (owner, researcher) = (chain.signer(1), chain.signer(2));
    chain.register_vault(&owner, "").await.unwrap();
    let now = chain.latest_timestamp().await.unwrap();
    let message = grant(U256::from(1), researcher.address(), U256::ZERO, now + 3600);
    let relay = chain.registry_as(&researcher);

    for domain in [
        registry_domain(chain.chain_id() + 1, chain.registry_address()),
        registry_domain(chain.chain_id(), Address::repeat_byte(0x11)),
    ] {
        let signature = owner
            .sign_hash_sync(&message.eip712_signing_hash(&domain))
            .unwrap();
        let err = relay
            .grantWithSig(message.clone(), signature.as_bytes().into())
            .call()
            .await
            .unwrap_err();
        let decoded = err
            .as_decoded_interface_error::<VaultRegistryErrors>()
            .expect("a registry error");
        match decoded {
            VaultRegistryErrors::InvalidSignature(e) => assert_eq!(e.owner, owner.address()),
            other => panic!("expected InvalidSignature, got {other:?}"),
        }
    }
    assert!(
        !relay
            .isAllowed(U256::from(1), researcher.address(), message.scope)
            .call()
            .await
            .unwrap()
    );
}
