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

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use dnavault_genome::{IndexedGenome, lookup::Query};
use dnavault_store::{Layout, ObjectId, Store, bgzf};

const KEY: [u8; 32] = [0x24; 32];
const RUNS: usize = 7;
const TARGET: f64 = 1.5;

#[tokio::main]
async fn main() {
    let data: PathBuf = std::env::var("DNAVAULT_BENCH_DIR")
        .expect("set DNAVAULT_BENCH_DIR to the benchmark workload's data/ directory")
        .into();
    let vcf_gz = data.join("sample.vcf.gz");
    let tbi = data.join("sample.vcf.gz.tbi");
    if !vcf_gz.exists() {
        run(
            "bgzip",
            &["-k", "-@", "2", data.join("sample.vcf").to_str().unwrap()],
        );
    }
    if !tbi.exists() {
        run("tabix", &["-p", "vcf", vcf_gz.to_str().unwrap()]);
    }
    let regions = data.join("q_regions.tsv");
    let work = tempfile::tempdir().expect("temporary directory");
    let store = Store::open(work.path(), None).await.expect("store");
    let vcf_id = ObjectId::new("sample.vcf.gz").expect("id");
    let tbi_id = ObjectId::new("sample.vcf.gz.tbi").expect("id");
    let vcf_staged = store
        .stage_with(&KEY, &vcf_id, "vcf.gz", Layout::Bgzf, |writer| {
            bgzf::copy_blocks(std::fs::File::open(&vcf_gz).expect("sample.vcf.gz"), writer)
        })
        .expect("encrypt");
    let tbi_staged = store
        .stage(
            &KEY,
            &tbi_id,
            "tbi",
            Layout::Fixed,
            std::fs::File::open(&tbi).expect("tbi"),
        )
        .expect("encrypt");
    store
        .commit(vec![vcf_staged, tbi_staged], "bench", "ingest", None)
        .await
        .expect("commit");

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
    let (ours, theirs) = (median(ours), median(theirs));
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

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .status()
        .unwrap_or_else(|e| panic!("{program} ({e}): `apt-get install bcftools tabix`"));
    assert!(status.success(), "{program} {args:?} failed");
}
