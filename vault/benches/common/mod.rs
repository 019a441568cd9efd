//! What the genome benchmarks share: the workload directory, its encrypted copy in a store, timing.

use std::{path::PathBuf, process::Command, time::Duration};

use dnavault_store::{Layout, ObjectId, Store, bgzf};

/// The benchmark workload's `data/` directory, with `sample.vcf.gz` and its tabix index made if missing.
pub(crate) fn workload() -> PathBuf {
    let data: PathBuf = std::env::var("DNAVAULT_BENCH_DIR")
        .expect("set DNAVAULT_BENCH_DIR to the benchmark workload's data/ directory (../shared/bench/gen.py)")
        .into();
    let vcf_gz = data.join("sample.vcf.gz");
    if !vcf_gz.exists() {
        run(
            "bgzip",
            &["-k", "-@", "2", data.join("sample.vcf").to_str().unwrap()],
        );
    }
    if !data.join("sample.vcf.gz.tbi").exists() {
        run("tabix", &["-p", "vcf", vcf_gz.to_str().unwrap()]);
    }
    data
}

/// `sample.vcf.gz` and its index, encrypted into a new store in `dir` under `key`.
pub(crate) async fn encrypted_sample(
    data: &std::path::Path,
    dir: &std::path::Path,
    key: &dnavault_store::DataKey,
) -> Store {
    let store = Store::open(dir, None).await.expect("store");
    store
        .open_audit_chain(key, None)
        .await
        .expect("audit chain");
    let vcf = ObjectId::new("sample.vcf.gz").expect("id");
    let tbi = ObjectId::new("sample.vcf.gz.tbi").expect("id");
    let vcf_staged = store
        .stage_with(key, &vcf, "vcf.gz", Layout::Bgzf, |writer| {
            bgzf::copy_blocks(
                std::fs::File::open(data.join("sample.vcf.gz")).expect("sample.vcf.gz"),
                writer,
            )
        })
        .expect("encrypt");
    let tbi_file = std::fs::File::open(data.join("sample.vcf.gz.tbi")).expect("tbi");
    let tbi_staged = store
        .stage(key, &tbi, "tbi", Layout::Fixed, tbi_file)
        .expect("encrypt");
    store
        .commit(vec![vcf_staged, tbi_staged], "bench", "ingest", None)
        .await
        .expect("commit");
    store
}

/// The median of some timings.
pub(crate) fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Runs a peer tool, quietly; panics with how to install it if it is missing or fails.
pub(crate) fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("{program} ({e}): `apt-get install bcftools tabix plink2`"));
    assert!(status.success(), "{program} {args:?} failed");
}
