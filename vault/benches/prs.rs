//! A polygenic score from the encrypted store against plink2, in one run. Ours is timed from the encrypted
//! object to the score in two ways: from the genotype index the vault makes when the genome is stored
//! (`sample.vcf.gz.genotypes`: decryption, reading the index, parsing the scoring file, scoring), and from
//! the encrypted VCF (decryption, BGZF decompression, parsing the scoring file and the VCF, scoring).
//! plink2 is timed on its own binary format, `--pfile` (made beforehand with `--make-pgen`, untimed, as our
//! index is made at ingest), and one-shot from the VCF, each as
//! `plink2 --pfile|--vcf ... --score score_plink.tsv 1 2 3 header cols=+scoresums no-mean-imputation`.
//!
//! Input: `DNAVAULT_BENCH_DIR`, the benchmark workload's `data/` directory (`python3 ../shared/bench/gen.py`):
//! `sample.vcf` (bgzipped here to `sample.vcf.gz` if missing), `score.txt` (PGS format, 1M weights) and
//! `score_plink.tsv` (the same weights by ID, for plink2). Median of 3 each. Targets: from the index at most
//! 0.35x plink2 `--pfile`, from the VCF at most 0.7x plink2 `--vcf`, and the same score from all four.
//! Run: `DNAVAULT_BENCH_DIR=data cargo bench -p dnavault-vault --bench prs`.

use std::{path::Path, time::Instant};

use dnavault_genome::{
    Genome,
    genotypes::{self, GenotypeIndex},
    prs::{self, ScoreResult},
    score::ScoringFile,
};
use dnavault_store::{DataKey, Layout, ObjectId, Store};

static KEY: std::sync::LazyLock<DataKey> =
    std::sync::LazyLock::new(|| DataKey::from_slice(&[0x42; 32]).expect("32 bytes"));
const RUNS: usize = 3;
const INDEX_TARGET: f64 = 0.35;
const VCF_TARGET: f64 = 0.7;

mod common;

#[tokio::main]
async fn main() {
    let data = common::workload();
    let work = tempfile::tempdir().expect("temporary directory");
    let store = common::encrypted_sample(&data, work.path(), &KEY).await;
    let vcf_id = ObjectId::new("sample.vcf.gz").expect("id");
    let index_id = ObjectId::new("sample.vcf.gz.genotypes").expect("id");
    let (made, size) = store_index(&store, &vcf_id, &index_id).await;
    println!("genotype index made (at ingest, untimed below) in {made:.2} s: {size} bytes");
    let scoring = data.join("score.txt");

    let (from_index, indexed) = timed_median(async || {
        // As the vault scores: the index read on another core while the scoring file is parsed, and
        // wiped after the answer.
        let object = store.open_object(&KEY, &index_id).await.expect("open");
        let (index, score) = std::thread::scope(|scope| {
            let reading = scope.spawn(move || {
                let length = object.len();
                GenotypeIndex::read(object, length).expect("index")
            });
            let score = ScoringFile::read(&scoring).expect("score.txt");
            (reading.join().expect("read"), score)
        });
        let result = prs::score_indexed(&index, &score)
            .expect("positions")
            .expect("score");
        index.wipe_in_background();
        result
    })
    .await;
    let (from_vcf, scanned) = timed_median(async || {
        let object = store.open_object(&KEY, &vcf_id).await.expect("open");
        let mut genome = Genome::from_reader(Path::new("sample.vcf.gz"), Box::new(object), None)
            .expect("genome");
        let score = ScoringFile::read(&scoring).expect("score.txt");
        prs::score(&mut genome, &score).expect("score")
    })
    .await;

    let prefix = work.path().join("sample");
    let vcf_gz = data.join("sample.vcf.gz");
    let (vcf, prefix) = (vcf_gz.to_str().unwrap(), prefix.to_str().unwrap());
    common::run("plink2", &["--vcf", vcf, "--make-pgen", "--out", prefix]);
    let weights = data.join("score_plink.tsv");
    let out = work.path().join("plink");
    let (weights, out) = (weights.to_str().unwrap(), out.to_str().unwrap());
    let mut pfile_args = prs::plink2_score_args(vcf, weights, out);
    (pfile_args[0], pfile_args[1]) = ("--pfile", prefix);
    let (pfile, pfile_sum) = plink2(&pfile_args, work.path());
    let (vcf_time, vcf_sum) = plink2(&prs::plink2_score_args(vcf, weights, out), work.path());

    println!("PRS, 1M weights, 5M-variant genome (median of {RUNS}):");
    let line = |what: &str, secs: f64, result: &ScoreResult| {
        println!(
            "  {what:<40} {secs:>6.2} s  score_sum {:.6} over {} variants",
            result.score_sum, result.variants_matched
        );
    };
    line(
        "ours, from the encrypted genotype index:",
        from_index,
        &indexed,
    );
    line("ours, from the encrypted VCF:", from_vcf, &scanned);
    println!(
        "  {:<40} {pfile:>6.2} s  SCORE1_SUM {pfile_sum}",
        "plink2 --pfile --score:"
    );
    println!(
        "  {:<40} {vcf_time:>6.2} s  SCORE1_SUM {vcf_sum}",
        "plink2 --vcf --score (one shot):"
    );
    let same = |ours: f64, theirs: f64| (ours - theirs).abs() <= 1e-5 * theirs.abs().max(1.0);
    let same = indexed
        == ScoreResult {
            sample: None,
            ..scanned
        }
        && same(indexed.score_sum, pfile_sum)
        && same(indexed.score_sum, vcf_sum);
    let (index_ratio, vcf_ratio) = (from_index / pfile, from_vcf / vcf_time);
    println!("ratio ours (index) / plink2 --pfile: {index_ratio:.2} (target <= {INDEX_TARGET})");
    println!("ratio ours (VCF) / plink2 --vcf: {vcf_ratio:.2} (target <= {VCF_TARGET})");
    println!("same score from all four: {same}");
    let met = index_ratio <= INDEX_TARGET && vcf_ratio <= VCF_TARGET && same;
    println!("{}", if met { "PASS" } else { "MISS" });
}

/// Makes the genotype index of the stored VCF and stores it, as an upload does: seconds taken and size.
async fn store_index(store: &Store, vcf: &ObjectId, index: &ObjectId) -> (f64, usize) {
    let started = Instant::now();
    let object = store.open_object(&KEY, vcf).await.expect("open");
    let mut genome =
        Genome::from_reader(Path::new(vcf.as_str()), Box::new(object), None).expect("genome");
    let bytes = genotypes::build(&mut genome)
        .expect("read")
        .expect("indexable");
    let staged = store
        .stage(&KEY, index, "genotypes", Layout::Fixed, bytes.as_slice())
        .expect("encrypt");
    store
        .commit(vec![staged], "bench", "ingest", None)
        .await
        .expect("commit");
    (started.elapsed().as_secs_f64(), bytes.len())
}

/// Runs `score` [`RUNS`] times: the median seconds and the last result.
async fn timed_median(score: impl AsyncFn() -> ScoreResult) -> (f64, ScoreResult) {
    let mut times = Vec::new();
    let mut result = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        result = Some(score().await);
        times.push(started.elapsed());
    }
    (common::median(times).as_secs_f64(), result.expect("ran"))
}

/// Runs plink2 with `args` [`RUNS`] times: the median seconds and its SCORE1_SUM.
fn plink2(args: &[&str], work: &Path) -> (f64, f64) {
    let mut times = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        common::run("plink2", args);
        times.push(started.elapsed());
    }
    let table = std::fs::read_to_string(work.join("plink.sscore")).expect("plink2 output");
    let row: Vec<&str> = table
        .lines()
        .nth(1)
        .expect("a sample")
        .split('\t')
        .collect();
    let sum: f64 = row[4].parse().expect("SCORE1_SUM");
    (common::median(times).as_secs_f64(), sum)
}
