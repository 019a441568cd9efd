//! Why a tool could not be run.

use std::path::PathBuf;

/// Why the sandbox refused or failed to run a tool.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The kernel cannot give part of the confinement, so no tool runs.
    #[error("tools cannot run here: {what} is not available ({why})")]
    Unavailable {
        /// The missing part (`the confinement`, `a confined trial run`).
        what: String,
        /// Which step failed and what the kernel answered.
        why: String,
    },
    /// The scratch root is on a disk, not in memory.
    #[error("{path} is not memory-backed (tmpfs or ramfs), so plaintext would reach a disk")]
    NotInMemory {
        /// The directory given.
        path: PathBuf,
    },
    /// A file name that is not a plain name inside the scratch directory.
    #[error("`{name}` is not a plain file name (no `/`, not `.` or `..`, not empty)")]
    BadName {
        /// The name given.
        name: String,
    },
    /// A tool's file differs from the hash it was approved with.
    #[error(
        "{path} was altered: its SHA-256 is {} where {} was approved",
        hex(found),
        hex(expected)
    )]
    Altered {
        /// The file.
        path: PathBuf,
        /// The approved hash.
        expected: [u8; 32],
        /// Its hash now.
        found: [u8; 32],
    },
    /// A declared output the tool did not write as a regular file (absent, a link, a directory).
    #[error("the tool left no regular file `{name}`")]
    NoOutput {
        /// The output's name.
        name: String,
    },
    /// A declared output larger than the tool's limit.
    #[error("the output `{name}` is larger than the limit of {limit} bytes")]
    OutputTooLarge {
        /// The output's name.
        name: String,
        /// The limit.
        limit: u64,
    },
    /// A file operation on the scratch directory failed.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done (`writing the input`).
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
    /// The sandbox's launcher could not be started or waited for.
    #[error("the sandbox launcher {program} could not be run: {source}")]
    Spawn {
        /// The launcher.
        program: PathBuf,
        /// What the kernel answered (a confinement step or the exec).
        #[source]
        source: std::io::Error,
    },
}

/// This crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
