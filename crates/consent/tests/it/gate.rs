//! The consent gate on Anvil: a query runs only with the researcher's signature, a live grant, and the
//! owner's approval of that request when the grant asks for one.

use alloy::{
    primitives::{B256, U256},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolStruct,
};
use dnavault_consent::{
    ConsentCache, ConsentConfig, ConsentError,
    gate::{GateError, OwnerApproval, SignedQuery, authorize},
};
use dnavault_protocol::{
    GrantRecord, QueryApproval, eip712::registry_domain, purpose::Purpose, query::QueryRequest,
};
use dnavault_testkit::TestChain;

const SCOPE: B256 = B256::new([0x5c; 32]);
const APPROVED_SCOPE: B256 = B256::new([0x5d; 32]);

struct World {
    chain: TestChain,
    cache: ConsentCache,
    researcher: PrivateKeySigner,
    owner: PrivateKeySigner,
    now: u64,
}

async fn world() -> World {
    let chain = TestChain::start().await.unwrap();
    let owner = chain.signer(1);
    let researcher = chain.signer(3);
    chain.register_vault(&owner, "").await.unwrap();
    let now = chain.latest_timestamp().await.unwrap();
    for (scope, per_query) in [(SCOPE, false), (APPROVED_SCOPE, true)] {
        let record = GrantRecord {
            expiry: now + 3600,
            purpose: Purpose::parse("DUO:0000042").unwrap().to_bytes16(),
            perQueryApproval: per_query,
            revoked: false,
            maxQueries: 0,
            epoch: 0,
        };
        chain
            .grant(&owner, U256::from(1), researcher.address(), scope, &record)
            .await
            .unwrap();
    }
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    cache.sync(&chain.registry()).await.unwrap();
    World {
        chain,
        cache,
        researcher,
        owner,
        now,
    }
}

impl World {
    fn request(&self, scope: B256) -> QueryRequest {
        QueryRequest {
            vaultId: U256::from(1),
            researcher: self.researcher.address(),
            scope,
            purpose: Purpose::general_research().to_bytes16(),
            queryHash: B256::repeat_byte(0x11),
            recipientKey: B256::repeat_byte(0x22),
            nonce: B256::repeat_byte(0x33),
            deadline: U256::from(self.now + 600),
        }
    }

    fn domain(&self) -> alloy::sol_types::Eip712Domain {
        registry_domain(self.chain.chain_id(), self.chain.registry_address())
    }

    async fn signed(&self, request: QueryRequest, by: &PrivateKeySigner) -> SignedQuery {
        let signature = by
            .sign_hash(&request.eip712_signing_hash(&self.domain()))
            .await
            .unwrap();
        SignedQuery {
            request,
            signature: signature.as_bytes().to_vec().into(),
            owner_approval: None,
        }
    }

    async fn approval(&self, request_hash: B256, by: &PrivateKeySigner) -> OwnerApproval {
        let approval = QueryApproval {
            vaultId: U256::from(1),
            requestHash: request_hash,
            deadline: U256::from(self.now + 600),
        };
        let signature = by
            .sign_hash(&approval.eip712_signing_hash(&self.domain()))
            .await
            .unwrap();
        OwnerApproval {
            approval,
            signature: signature.as_bytes().to_vec().into(),
        }
    }

    async fn authorize(
        &self,
        signed: &SignedQuery,
    ) -> Result<dnavault_consent::gate::Authorized, GateError> {
        authorize(
            signed,
            1,
            &self.domain(),
            &self.cache,
            &self.chain.registry(),
            self.now,
        )
        .await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_request_under_a_live_grant_runs_and_nothing_else_does() {
    let w = world().await;
    let signed = w.signed(w.request(SCOPE), &w.researcher).await;
    let authorized = w.authorize(&signed).await.unwrap();
    assert_eq!(authorized.researcher, w.researcher.address());
    assert_eq!(
        authorized.request_hash,
        signed.request.eip712_signing_hash(&w.domain())
    );

    // Signed by someone else, or for another chain's registry: not the researcher's signature.
    let forged = w.signed(w.request(SCOPE), &w.chain.signer(4)).await;
    assert!(matches!(
        w.authorize(&forged).await,
        Err(GateError::BadSignature { .. })
    ));
    let other_chain = registry_domain(1, w.chain.registry_address());
    let mut wrong_chain = signed.clone();
    let signature = w
        .researcher
        .sign_hash(&signed.request.eip712_signing_hash(&other_chain))
        .await
        .unwrap();
    wrong_chain.signature = signature.as_bytes().to_vec().into();
    assert!(matches!(
        w.authorize(&wrong_chain).await,
        Err(GateError::BadSignature { .. })
    ));
    // A tampered request no longer matches its signature.
    let mut tampered = signed.clone();
    tampered.request.queryHash = B256::repeat_byte(0x12);
    assert!(matches!(
        w.authorize(&tampered).await,
        Err(GateError::BadSignature { .. })
    ));
    let mut garbage = signed.clone();
    garbage.signature = vec![1, 2, 3].into();
    assert!(matches!(
        w.authorize(&garbage).await,
        Err(GateError::BadSignature { .. })
    ));

    // Another vault, an expired request, a scope without a grant.
    let mut other_vault = w.request(SCOPE);
    other_vault.vaultId = U256::from(2);
    let other_vault = w.signed(other_vault, &w.researcher).await;
    assert!(matches!(
        w.authorize(&other_vault).await,
        Err(GateError::WrongVault { .. })
    ));
    let mut expired = w.request(SCOPE);
    expired.deadline = U256::from(w.now - 1);
    let expired = w.signed(expired, &w.researcher).await;
    assert!(matches!(
        w.authorize(&expired).await,
        Err(GateError::Expired { .. })
    ));
    // A deadline further ahead than the vault remembers nonces would outlive its memory of them.
    let mut far = w.request(SCOPE);
    far.deadline = U256::from(w.now + dnavault_consent::gate::MAX_REQUEST_LIFETIME_SECS + 60);
    let far = w.signed(far, &w.researcher).await;
    assert!(matches!(
        w.authorize(&far).await,
        Err(GateError::TooFarAhead { .. })
    ));
    let ungranted = w.signed(w.request(B256::ZERO), &w.researcher).await;
    assert!(matches!(
        w.authorize(&ungranted).await,
        Err(GateError::Consent(ConsentError::NoGrant { .. }))
    ));

    // Revoked on-chain: the next sync stops it.
    w.chain
        .revoke(&w.owner, U256::from(1), w.researcher.address(), SCOPE)
        .await
        .unwrap();
    w.cache.sync(&w.chain.registry()).await.unwrap();
    assert!(matches!(
        w.authorize(&signed).await,
        Err(GateError::Consent(ConsentError::Revoked { .. }))
    ));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_per_query_grant_needs_the_owners_approval_of_this_request() {
    let w = world().await;
    let mut signed = w.signed(w.request(APPROVED_SCOPE), &w.researcher).await;
    assert!(matches!(
        w.authorize(&signed).await,
        Err(GateError::ApprovalNeeded)
    ));
    let request_hash = signed.request.eip712_signing_hash(&w.domain());

    signed.owner_approval = Some(w.approval(request_hash, &w.researcher).await);
    let error = w.authorize(&signed).await.unwrap_err();
    assert!(
        matches!(&error, GateError::BadApproval(why) if why.contains("owner")),
        "{error}"
    );
    signed.owner_approval = Some(w.approval(B256::repeat_byte(9), &w.owner).await);
    let error = w.authorize(&signed).await.unwrap_err();
    assert!(
        matches!(&error, GateError::BadApproval(why) if why.contains("another request")),
        "{error}"
    );

    signed.owner_approval = Some(w.approval(request_hash, &w.owner).await);
    let authorized = w.authorize(&signed).await.unwrap();
    assert!(authorized.consent.per_query_approval);
}
