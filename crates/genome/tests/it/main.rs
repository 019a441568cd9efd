//! The genome analyses against the peers they follow (bcftools, plink2) on real data, and the raw-file
//! readers.

mod bcftools;
mod descriptors;
mod genotypes;
mod plink2;
mod raw;

/// A file in the workspace's testdata/.
fn testdata(path: &str) -> std::path::PathBuf {
    format!("{}/../../testdata/{path}", env!("CARGO_MANIFEST_DIR")).into()
}
