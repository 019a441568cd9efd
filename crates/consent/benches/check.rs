//! Consent check from the cache: p99 over 100,000 checks against a vault with 300 grants synced from Anvil.
//! Target: p99 at most 1 ms. Run: `cargo bench -p dnavault-consent --bench check`.

use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use dnavault_consent::{ConsentCache, ConsentConfig};
use dnavault_protocol::{GrantRecord, purpose::Purpose};
use dnavault_testkit::TestChain;

const GRANTS: u64 = 300;
const CHECKS: usize = 100_000;
const TARGET: Duration = Duration::from_millis(1);

#[tokio::main]
async fn main() {
    let chain = TestChain::start().await.expect("anvil");
    let owner = chain.signer(1);
    chain.register_vault(&owner, "").await.expect("vault");
    let purpose = Purpose::parse("DUO:0000042")
        .expect("DUO term")
        .to_bytes16();
    let expiry = chain.latest_timestamp().await.expect("time") + 86_400;
    let mut grantees = Vec::new();
    for i in 0..GRANTS {
        let grantee = Address::with_last_byte((i % 250) as u8 + 1);
        let scope = B256::from(U256::from(i));
        let record = GrantRecord {
            expiry,
            purpose,
            perQueryApproval: false,
            revoked: false,
            maxQueries: 0,
            epoch: 0,
        };
        chain
            .grant(&owner, U256::from(1), grantee, scope, &record)
            .await
            .expect("grant");
        grantees.push((grantee, scope));
    }
    let cache = ConsentCache::new(ConsentConfig::for_vault(1));
    cache.sync(&chain.registry()).await.expect("sync");
    let mut times = Vec::with_capacity(CHECKS);
    for i in 0..CHECKS {
        let (grantee, scope) = grantees[i % grantees.len()];
        let started = Instant::now();
        let consent = cache.check(grantee, scope);
        times.push(started.elapsed());
        assert!(consent.is_ok());
    }
    times.sort();
    let p50 = times[CHECKS / 2];
    let p99 = times[CHECKS * 99 / 100];
    println!(
        "consent check from the cache ({GRANTS} grants, {CHECKS} checks): p50 {p50:?}, p99 {p99:?} (target {TARGET:?})"
    );
    println!("{}", if p99 <= TARGET { "PASS" } else { "MISS" });
}
