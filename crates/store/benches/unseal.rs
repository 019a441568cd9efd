//! What opening the audit chain costs when a vault unseals: verifying every entry's tag from the chain's
//! start and rebuilding the nonces, budgets and receipts it records, against reading the same rows with no
//! check (the floor), in one run.
//!
//! Input: `DNAVAULT_BENCH_ENTRIES` query entries (default 20,000), each recorded as the vault records a query
//! (nonce, budget, receipt, one transaction), in a fresh SQLite store. Reports both rates and their ratio.
//! Target: verification at most 3x the plain read.
//! Run: `cargo bench -p dnavault-store --bench unseal`.

use std::time::Instant;

use dnavault_store::{Budget, DataKey, QueryRecord, Store};

const RATIO_TARGET: f64 = 3.0;

fn main() {
    let entries: usize = std::env::var("DNAVAULT_BENCH_ENTRIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(20_000);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(run(entries));
}

async fn run(entries: usize) {
    let key = DataKey::from_slice(&[5; 32]).expect("32 bytes");
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = Store::open(dir.path(), None).await.expect("store");
    store.open_audit_chain(&key, None).await.expect("chain");
    let started = Instant::now();
    for i in 0..entries {
        let nonce = format!("query:0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC:{i:064x}");
        let receipt = format!("0x{i:064x}");
        let grant = format!("0x{:064x}:{}", i % 16, i % 3);
        store
            .record_query(QueryRecord {
                nonce: &nonce,
                expires: u64::MAX,
                actor: "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
                detail: "allele-counts, request 0x54554020840d9de88bac9916747836aacc2632eea5d414784e33fbe78812289f, \
                         purpose DUO:0000006+DUO:0000046, consent checked at block 15",
                receipt_hash: &receipt,
                budget: Some(Budget {
                    grant: &grant,
                    limit: u32::MAX,
                }),
            })
            .await
            .expect("record");
    }
    let writing = started.elapsed().as_secs_f64();
    let head = store.audit_head().await.expect("open");
    drop(store);

    // The floor: every row read, no tag checked.
    let store = Store::open(dir.path(), None).await.expect("store");
    let started = Instant::now();
    let rows = store.audit_log().await.expect("rows").len();
    let plain = started.elapsed().as_secs_f64();
    drop(store);

    let store = Store::open(dir.path(), None).await.expect("store");
    let started = Instant::now();
    let opened = store
        .open_audit_chain(&key, Some(head))
        .await
        .expect("verified");
    let verified = started.elapsed().as_secs_f64();
    assert_eq!(opened.head, head);
    assert_eq!(rows, entries + 1);

    let ratio = verified / plain;
    println!(
        "entries:            {rows} ({:.0} recorded/s)",
        entries as f64 / writing
    );
    println!(
        "plain read:         {plain:.3} s ({:.0} entries/s)",
        rows as f64 / plain
    );
    println!(
        "open_audit_chain:   {verified:.3} s ({:.0} entries/s)",
        rows as f64 / verified
    );
    println!(
        "ratio:              {ratio:.2}x the plain read (target <= {RATIO_TARGET}x): {}",
        if ratio <= RATIO_TARGET {
            "met"
        } else {
            "MISSED"
        }
    );
}
