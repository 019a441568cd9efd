//! 1,000 positions from the encrypted store against `bcftools view -R` on the plaintext indexed file, in one
//! run.
//!
//! Input: `DNAVAULT_BENCH_DIR`, the benchmark workload's `data/` directory: `sample.vcf` (bgzipped and
//! indexed here if `sample.vcf.gz(.tbi)` are missing) and `q_regions.tsv`. Ours is timed from the encrypted
//! objects (VCF and tabix index) to the variants found: decrypting the index and the chunks holding the
//! positions, inflating their blocks, decoding the records. bcftools is timed as
//! `bcftools view -H -R q_regions.tsv sample.vcf.gz`. Median of 7 each; the variants found must agree.
//! Target: ours at most 1.5x bcftools' wall time.
//! Run: `DNAVAULT_BENCH_DIR=data cargo bench -p dnavault-vault --bench lookup`.

use std::{path::Path, process::Command, time::Instant};

use dnavault_genome::{IndexedGenome, lookup::Query};
use dnavault_store::DataKey;
use dnavault_store::ObjectId;

static KEY: std::sync::LazyLock<DataKey> =
    std::sync::LazyLock::new(|| DataKey::from_slice(&[0x24; 32]).expect("32 bytes"));
const RUNS: usize = 7;
const TARGET: f64 = 1.5;

mod common;

#[tokio::main]
async fn main() {
    let data = common::workload();
    let vcf_gz = data.join("sample.vcf.gz");
    let regions = data.join("q_regions.tsv");
    let work = tempfile::tempdir().expect("temporary directory");
    let store = common::encrypted_sample(&data, work.path(), &KEY).await;
    let vcf_id = ObjectId::new("sample.vcf.gz").expect("id");
    let tbi_id = ObjectId::new("sample.vcf.gz.tbi").expect("id");

    let mut ours = Vec::new();
    let mut found = 0;
    let mut decrypted = 0;
    let mut chunks = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let query = Query::regions_file(&regions).expect("regions");
        let object = store.open_object(&KEY, &vcf_id).await.expect("open");
        chunks = object.chunk_count();
        let index = store.open_object(&KEY, &tbi_id).await.expect("open");
        let mut genome =
            IndexedGenome::open(Path::new("sample.vcf.gz"), object, index, None).expect("genome");
        found = genome.lookup(&query).expect("lookup").len();
        decrypted = genome.source().chunks_decrypted();
        ours.push(started.elapsed());
    }

    let mut theirs = Vec::new();
    let mut lines = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let output = Command::new("bcftools")
            .args([
                "view",
                "-H",
                "-R",
                regions.to_str().unwrap(),
                vcf_gz.to_str().unwrap(),
            ])
            .output()
            .expect("bcftools");
        theirs.push(started.elapsed());
        assert!(output.status.success());
        lines = output.stdout.iter().filter(|&&b| b == b'\n').count();
    }
    let (ours, theirs) = (common::median(ours), common::median(theirs));
    println!("1,000 positions (median of {RUNS}):");
    println!(
        "  ours, from the encrypted store: {:>7.1} ms  {found} variants, {decrypted} of {chunks} chunks decrypted",
        ours.as_secs_f64() * 1e3
    );
    println!(
        "  bcftools view -H -R (plaintext): {:>7.1} ms  {lines} variants",
        theirs.as_secs_f64() * 1e3
    );
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!(
        "ratio ours/bcftools: {ratio:.2} (target <= {TARGET}); same count: {}",
        found == lines
    );
    println!(
        "{}",
        if ratio <= TARGET && found == lines {
            "PASS"
        } else {
            "MISS"
        }
    );
}
