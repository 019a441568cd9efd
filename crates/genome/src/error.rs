//! What can be wrong with a genome file or a query, with the file, the line and the reason.

use std::path::PathBuf;

/// A refused input.
#[derive(Debug, thiserror::Error)]
pub enum GenomeError {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The reason.
        source: std::io::Error,
    },
    /// The header is not valid VCF.
    #[error("{path}: invalid VCF header: {reason}")]
    Header {
        /// The file.
        path: PathBuf,
        /// The reason.
        reason: String,
    },
    /// A VCF's text holds a NUL byte.
    #[error("{path}: line {line} holds a NUL byte: a VCF is text and holds none")]
    NotText {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: u64,
    },
    /// A record is malformed.
    #[error("{path}: record {record} (line {line}): {reason}")]
    Record {
        /// The file.
        path: PathBuf,
        /// The record's number, from 1.
        record: u64,
        /// Its line in the text (header lines included; for BCF, header lines + record number).
        line: u64,
        /// The reason.
        reason: String,
    },
    /// A multi-sample file needs `--sample`.
    #[error("{path} has {count} samples ({names}): choose one with --sample")]
    SampleNeeded {
        /// The file.
        path: PathBuf,
        /// How many.
        count: usize,
        /// Some of their names.
        names: String,
    },
    /// The sample is not in the file.
    #[error("{path} has no sample `{sample}` (it has: {names})")]
    NoSuchSample {
        /// The file.
        path: PathBuf,
        /// The sample asked for.
        sample: String,
        /// Some of the names it has.
        names: String,
    },
    /// The file has no samples: there are no genotypes.
    #[error("{path} has no sample columns: there are no genotypes to read")]
    NoSamples {
        /// The file.
        path: PathBuf,
    },
    /// A query file line is malformed.
    #[error("{path}:{line}: {reason}")]
    Query {
        /// The query file.
        path: PathBuf,
        /// Its line, from 1.
        line: u64,
        /// The reason.
        reason: String,
    },
}
