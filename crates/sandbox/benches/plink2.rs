//! plink2's score run confined against the same plink2 run bare, in one run, on the same files.
//!
//! Input: `DNAVAULT_BENCH_DIR`, the benchmark workload's `data/` directory (`python3 ../shared/bench/gen.py`,
//! then `bgzip -k sample.vcf`): `sample.vcf.gz` (5M variants) and `score_plink.tsv` (1M weights). Both are
//! copied once into a scratch directory in memory, as the vault would decrypt them there; then the same
//! binary (Debian's plink2 for any x86-64), with the vault's scoring arguments, runs bare and confined
//! (launcher, namespaces, Landlock, seccomp, limits; its files checked against their hashes each time),
//! alternately, median of 3 each. Target: confined at most 1.2x bare, with the same scores.
//! Run: `DNAVAULT_BENCH_DIR=data cargo bench -p dnavault-sandbox --bench plink2`.

use std::{path::PathBuf, process::Command, time::Instant};

use dnavault_genome::prs::plink2_score_args;
use dnavault_sandbox::{Limits, Sandbox, Scratch, Tool, sha256_of};

const PLINK2: &str = "/usr/lib/plink2/plink2-sse2";
const LAUNCHER: &str = env!("CARGO_BIN_EXE_dnavault-sandboxed");
const RUNS: usize = 3;
const TARGET: f64 = 1.2;

/// The files plink2 loads, as `ldd` lists them, each with its hash.
fn libraries() -> Vec<(PathBuf, [u8; 32])> {
    let listed = Command::new("ldd").arg(PLINK2).output().expect("ldd");
    String::from_utf8(listed.stdout)
        .expect("ldd prints text")
        .lines()
        .filter_map(|line| {
            line.split_whitespace()
                .find(|w| w.starts_with('/'))
                .map(PathBuf::from)
        })
        .map(|path| (path.clone(), sha256_of(&path).expect("a library")))
        .collect()
}

#[tokio::main]
async fn main() {
    let data: PathBuf = std::env::var("DNAVAULT_BENCH_DIR")
        .expect("set DNAVAULT_BENCH_DIR to the benchmark workload's data/ directory")
        .into();
    let sandbox = Sandbox::probe(LAUNCHER)
        .await
        .expect("this machine confines tools");
    let scratch = Scratch::new_in("/dev/shm".as_ref()).expect("scratch in memory");
    let copying = Instant::now();
    let read =
        |name: &str| std::fs::read(data.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let vcf = scratch
        .add_input("sample.vcf.gz", &read("sample.vcf.gz"))
        .expect("copy");
    let weights = scratch
        .add_input("score_plink.tsv", &read("score_plink.tsv"))
        .expect("copy");
    let copied = copying.elapsed();
    let (vcf, weights) = (vcf.display().to_string(), weights.display().to_string());
    let program_hash = sha256_of(PLINK2.as_ref()).expect("plink2");
    let libraries = libraries();
    let limits = Limits {
        cpu_seconds: 600,
        memory_bytes: 8 << 30,
        output_bytes: 1 << 20,
        wall_seconds: 900,
    };

    let (mut bare, mut confined) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let started = Instant::now();
        let args = plink2_score_args(&vcf, &weights, "bare");
        let status = Command::new(PLINK2)
            .args(args)
            .current_dir(scratch.work())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("plink2: `apt-get install plink2`");
        assert!(status.success());
        bare.push(started.elapsed());

        let started = Instant::now();
        let args = plink2_score_args(&vcf, &weights, "confined");
        let tool = Tool::verified((PLINK2.into(), program_hash), libraries.clone(), args)
            .expect("verified");
        let outcome = sandbox.run(&tool, &scratch, &limits).await.expect("run");
        assert!(outcome.succeeded(), "{outcome:?}");
        confined.push(started.elapsed());
    }
    let table = |name: &str| scratch.read_output(name, 1 << 20).expect("a score table");
    let same = table("bare.sscore") == table("confined.sscore");
    let median = |mut times: Vec<std::time::Duration>| {
        times.sort();
        times[times.len() / 2].as_secs_f64()
    };
    let (bare, confined) = (median(bare), median(confined));
    println!("plink2 --score, 1M weights, 5M-variant genome, inputs in memory (median of {RUNS}):");
    println!(
        "  copying the inputs into the scratch directory: {:>6.2} s (once)",
        copied.as_secs_f64()
    );
    println!("  bare:                                          {bare:>6.2} s");
    println!("  confined (hashes checked, launcher, sandbox):  {confined:>6.2} s");
    let ratio = confined / bare;
    println!("ratio confined/bare: {ratio:.3} (target <= {TARGET}); the same scores: {same}");
    assert!(same, "the confined run scores as the bare one");
    if ratio > TARGET {
        println!("OVER TARGET");
        std::process::exit(1);
    }
}
