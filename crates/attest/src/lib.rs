//! SEV-SNP attestation verification, one crate for the wallet, the website and researchers' clients.
//!
//! [`Verifier::verify`] checks, in order, and says which check failed: the report parses; the endorsement key
//! (VCEK, or VLEK) chains to AMD's pinned root for the product (ARK -> ASK -> VCEK, ARK -> ASVK -> VLEK),
//! never to a root taken from the evidence; the certificates are within their validity; the key's AMD
//! extensions (hwID, bootloader/TEE/SNP/microcode SPLs) match the report's chip id and reported TCB; the
//! report's signature over its raw signed bytes; the policy (no debug, VMPL, minimum TCB, signature
//! algorithm); and REPORT_DATA against the expected binding. The measurement is then checked against the set
//! the owner approved ([`Verified::require_measurement`]).
//!
//! A test-only root (the simulated backend's) is accepted only by a verifier configured to accept it, and a
//! report that chains to one says so ([`Verified::test_only`]).

pub mod backend;
mod error;
mod extensions;
#[cfg(target_os = "linux")]
pub mod hardware;
pub mod measure;
mod policy;
mod report_data;
mod roots;
#[cfg(feature = "simulated")]
pub mod simulated;
pub mod vault;
mod verify;

pub use backend::Backend;
pub use error::{AttestError, Result};
pub use extensions::AmdExtensions;
pub use policy::{GuestSettings, MinimumTcb, Policy};
pub use report_data::ReportDataBinding;
pub use roots::{Product, TrustRoot};
pub use vault::{CheckedEvidence, ExpectedVault};
pub use verify::{EndorsementKind, Evidence, ExpectedReportData, Tcb, Verified, Verifier};

/// Length of an SNP attestation report.
pub const REPORT_LEN: usize = 1184;
/// Length of the signed part of a report (bytes 0 to 0x29F).
pub const SIGNED_LEN: usize = 0x2A0;

/// The launch measurement of a raw report, without verifying it (a guest reading its own report).
pub fn report_measurement(report: &[u8]) -> Result<[u8; 48]> {
    use sev::parser::ByteParser;
    sev::firmware::guest::AttestationReport::from_bytes(report)
        .map(|r| r.measurement)
        .map_err(|e| AttestError::MalformedReport(e.to_string()))
}
