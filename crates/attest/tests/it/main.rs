//! Verification of real AMD SEV-SNP evidence (tests/vectors/snp, Apache-2.0, see its README).

mod measure;
mod real_vectors;
mod simulated;

use dnavault_attest::Evidence;

pub(crate) fn vector(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/vectors/snp/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

pub(crate) fn evidence(report: &str, cert: &str) -> Evidence {
    Evidence::new(vector(report), &vector(cert)).unwrap()
}
