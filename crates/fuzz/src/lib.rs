//! The fuzz targets' bodies: one function per parser that takes bytes from outside the vault or the
//! wallet, each taking the fuzzer's bytes and saying whether it accepted them. A target passes an input
//! when it returns, accepted or refused: a panic or an abort is a crash. Where a target can tell a wrong acceptance (a tampered
//! ciphertext that decrypts, a forged relay message that opens), it asserts it cannot happen.
//!
//! `fuzz/` runs them under libFuzzer (`cargo fuzz run NAME`); this crate's tests run each over its kept
//! corpus (`crates/fuzz/corpus/NAME`: the seeds and every input that once crashed it), on stable.

mod chain;
mod files;
mod messages;

pub use chain::{relay_envelope, snp_evidence, typed_data};
pub use files::{genome_file, genome_lookup, raw_genome, scoring_file, stored_object};
pub use messages::{query_in_grant, query_submission, tool_manifest};

/// A target: the fuzzer's bytes in, whether they were accepted out.
pub type Target = fn(&[u8]) -> bool;

/// Every target, by the name its corpus directory and its `fuzz/fuzz_targets` file carry.
pub const TARGETS: &[(&str, Target)] = &[
    ("genome_file", genome_file),
    ("genome_lookup", genome_lookup),
    ("raw_genome", raw_genome),
    ("scoring_file", scoring_file),
    ("stored_object", stored_object),
    ("snp_evidence", snp_evidence),
    ("query_submission", query_submission),
    ("query_in_grant", query_in_grant),
    ("tool_manifest", tool_manifest),
    ("typed_data", typed_data),
    ("relay_envelope", relay_envelope),
];

/// The seed a target cannot keep as a file, made afresh (an object encrypted under the target's key, a
/// relay message sealed to its inbox: each with fresh randomness); `None` for the others.
pub fn generated_seed(target: &str) -> Option<Vec<u8>> {
    match target {
        "stored_object" => Some(files::stored_seed().to_vec()),
        "relay_envelope" => Some(chain::relay_seed()),
        _ => None,
    }
}

/// `data` cut in two at its first 0xFF byte (never part of UTF-8 text): both halves of a two-part input.
fn two_parts(data: &[u8]) -> (&[u8], &[u8]) {
    match data.iter().position(|&b| b == 0xFF) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[]),
    }
}

/// For the libFuzzer binaries: a panic a parser's boundary contains (the genome reader turns noodles'
/// `todo!()`s into refusals) is not a crash, so the hook that aborts on every panic is replaced by a
/// silent one; a panic that escapes a target still aborts the run (libfuzzer-sys catches it). Replay the
/// input with this crate's tests to read its message.
pub fn quiet_panics() {
    std::panic::set_hook(Box::new(|_| {}));
}
