//! A polygenic score from the encrypted store against plink2's one-shot `--vcf --score`, in one run.
//!
//! Input: `DNAVAULT_BENCH_DIR`, the benchmark workload's `data/` directory (`python3 ../shared/bench/gen.py`):
//! `sample.vcf` (bgzipped here to `sample.vcf.gz` if missing), `score.txt` (PGS format, 1M weights) and
//! `score_plink.tsv` (the same weights by ID, for plink2). Ours is timed from the encrypted object to the
//! score: decryption, BGZF decompression, parsing the scoring file and the VCF, scoring. plink2 is timed as
//! `plink2 --vcf sample.vcf.gz --score score_plink.tsv 1 2 3 header cols=+scoresums no-mean-imputation`.
//! Median of 3 each. Target: ours at most 0.7x plink2's wall time, with the same score.
//! Run: `DNAVAULT_BENCH_DIR=data cargo bench -p dnavault-vault --bench prs`.

use std::{path::Path, time::Instant};

use dnavault_genome::{Genome, prs, score::ScoringFile};
use dnavault_store::DataKey;
use dnavault_store::ObjectId;

static KEY: std::sync::LazyLock<DataKey> =
    std::sync::LazyLock::new(|| DataKey::from_slice(&[0x42; 32]).expect("32 bytes"));
const RUNS: usize = 3;
const TARGET: f64 = 0.7;

mod common;

#[tokio::main]
async fn main() {
    let data = common::workload();
    let vcf_gz = data.join("sample.vcf.gz");
    let work = tempfile::tempdir().expect("temporary directory");
    let store = common::encrypted_sample(&data, work.path(), &KEY).await;
    let id = ObjectId::new("sample.vcf.gz").expect("id");

    let mut ours = Vec::new();
    let mut result = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        let object = store.open_object(&KEY, &id).await.expect("open");
        let mut genome = Genome::from_reader(Path::new("sample.vcf.gz"), Box::new(object), None)
            .expect("genome");
        let score = ScoringFile::read(&data.join("score.txt")).expect("score.txt");
        result = Some(prs::score(&mut genome, &score).expect("score"));
        ours.push(started.elapsed());
    }
    let result = result.expect("ran");

    let out = work.path().join("plink");
    let weights = data.join("score_plink.tsv");
    let (vcf, weights, out) = (vcf_gz.to_str(), weights.to_str(), out.to_str());
    let args = prs::plink2_score_args(vcf.unwrap(), weights.unwrap(), out.unwrap());
    let mut plink = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        common::run("plink2", &args);
        plink.push(started.elapsed());
    }
    let table = std::fs::read_to_string(work.path().join("plink.sscore")).expect("plink2 output");
    let row: Vec<&str> = table
        .lines()
        .nth(1)
        .expect("a sample")
        .split('\t')
        .collect();
    let plink_sum: f64 = row[4].parse().expect("SCORE1_SUM");

    let (ours, plink) = (common::median(ours), common::median(plink));
    println!("PRS, 1M weights, 5M-variant genome (median of {RUNS}):");
    println!(
        "  ours, from the encrypted store: {:>6.2} s  score_sum {:.6} over {} variants",
        ours.as_secs_f64(),
        result.score_sum,
        result.variants_matched
    );
    println!(
        "  plink2 --vcf --score (one shot): {:>6.2} s  SCORE1_SUM {plink_sum} over {} variants",
        plink.as_secs_f64(),
        row[1].parse::<u64>().unwrap_or(0) / 2
    );
    let ratio = ours.as_secs_f64() / plink.as_secs_f64();
    let same = (result.score_sum - plink_sum).abs() <= 1e-5 * plink_sum.abs().max(1.0);
    println!("ratio ours/plink2: {ratio:.2} (target <= {TARGET}); same score: {same}");
    println!(
        "{}",
        if ratio <= TARGET && same {
            "PASS"
        } else {
            "MISS"
        }
    );
}
