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

mod error;
mod extensions;
mod report_data;
mod roots;
#[cfg(feature = "simulated")]
pub mod simulated;
mod verify;

pub use error::{AttestError, Result};
pub use extensions::AmdExtensions;
pub use report_data::ReportDataBinding;
pub use roots::{Product, TrustRoot};
pub use verify::{EndorsementKind, Evidence, ExpectedReportData, Policy, Tcb, Verified, Verifier};

/// Length of an SNP attestation report.
pub const REPORT_LEN: usize = 1184;
/// Length of the signed part of a report (bytes 0 to 0x29F).
pub const SIGNED_LEN: usize = 0x2A0;
