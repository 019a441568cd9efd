//! Report verification time on real AMD evidence (Milan VCEK), with the chain cached as a long-running
//! verifier has it, and cold. Target: median at most 2 ms with the chain cached.
//! Run: `cargo bench -p dnavault-attest --bench verify`.

use std::time::{Duration, Instant};

use dnavault_attest::{Evidence, ExpectedReportData, Policy, Verifier};

const RUNS: usize = 200;
const TARGET: Duration = Duration::from_millis(2);

fn main() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/snp");
    let report = std::fs::read(format!("{dir}/test-report.bin")).expect("vector");
    let vcek = std::fs::read(format!("{dir}/test-vcek.der")).expect("vector");
    let evidence = Evidence::new(report, &vcek).expect("evidence");

    let cached = Verifier::production(Policy::default());
    cached
        .verify(&evidence, ExpectedReportData::Unchecked)
        .expect("verifies");
    let warm = median(|| {
        cached
            .verify(&evidence, ExpectedReportData::Unchecked)
            .map(|_| ())
    });
    let cold = median(|| {
        Verifier::production(Policy::default())
            .verify(&evidence, ExpectedReportData::Unchecked)
            .map(|_| ())
    });

    println!("report verification, chain cached: median {warm:?} (target {TARGET:?})");
    println!("report verification, cold (ARK, ASK and VCEK checked too): median {cold:?}");
    if warm > TARGET {
        eprintln!("FAIL: cached verification median {warm:?} exceeds {TARGET:?}");
        std::process::exit(1);
    }
}

fn median(mut run: impl FnMut() -> dnavault_attest::Result<()>) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run().expect("verifies");
            start.elapsed()
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}
