//! Sealed boot on Anvil with the simulated platform, from the boot request to an unsealed vault: attest,
//! the wallet's checks (evidence, ownership, on-chain measurement approval), wrapping and signing, and the
//! vault's checks (on-chain owner signature) and unwrapping. Process start excluded.
//! Target: median at most 1 s. Run: `cargo bench -p dnavault-vault --bench boot`.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::primitives::U256;
use dnavault_attest::{Policy, Verifier, backend::Simulated, simulated::SimulatedPlatform};
use dnavault_keys::SeedPhrase;
use dnavault_testkit::TestChain;
use dnavault_vault::SealedVault;
use dnavault_wallet::{boot, registry::Connection};

const RUNS: usize = 30;
const TARGET: Duration = Duration::from_secs(1);
const MEASUREMENT: [u8; 48] = [0x11; 48];

#[tokio::main]
async fn main() {
    let chain = TestChain::start().await.expect("anvil");
    let seed = SeedPhrase::parse("test test test test test test test test test test test junk")
        .unwrap()
        .to_seed("");
    let owner = seed.ethereum_signer(1).unwrap();
    chain.register_vault(&owner, "").await.unwrap();
    chain
        .approve_measurement(&owner, U256::from(1), &MEASUREMENT)
        .await
        .unwrap();
    let platform = Arc::new(SimulatedPlatform::new().unwrap());
    let backend = Simulated::new(platform.clone(), MEASUREMENT);
    let verifier = Verifier::production(Policy {
        accept_test_roots: true,
        ..Policy::default()
    })
    .with_test_root(platform.trust_root());
    let connection = Connection::connect(
        chain.endpoint_url().as_str(),
        chain.registry_address(),
        owner.clone(),
    )
    .await
    .unwrap();

    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        let vault = SealedVault::start(1, chain.chain_view(), &backend).unwrap();
        let checked = boot::check(vault.request(), &connection, &verifier, &owner)
            .await
            .unwrap();
        let response = boot::answer(&checked, &seed, &owner).await.unwrap();
        let unsealed = vault.unseal(&response, &chain.registry()).await.unwrap();
        times.push(start.elapsed());
        unsealed.seal();
    }
    times.sort();
    let median = times[RUNS / 2];
    println!(
        "boot request to unsealed (simulated platform, Anvil): median {median:?}, max {:?} (target {TARGET:?})",
        times[RUNS - 1]
    );
    if median > TARGET {
        eprintln!("FAIL: median {median:?} exceeds {TARGET:?}");
        std::process::exit(1);
    }
}
