//! The verification error: one variant per check, so a caller (and a person) knows which one failed.

use crate::{EndorsementKind, Product};

/// Why evidence was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AttestError {
    /// The report is not a well-formed SNP attestation report.
    #[error("malformed attestation report: {0}")]
    MalformedReport(String),
    /// A certificate could not be read.
    #[error("malformed {which} certificate: {reason}")]
    MalformedCertificate {
        /// Which certificate.
        which: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The product line could not be told from the evidence.
    #[error("unknown product line `{0}` (expected Milan, Genoa or Turin)")]
    UnknownProduct(String),
    /// The report is of a version this verifier does not know.
    #[error("unsupported report version {0} (supported: 2 to 5)")]
    UnsupportedReportVersion(u32),
    /// The report is signed with an algorithm other than ECDSA P-384 with SHA-384.
    #[error("unsupported report signature algorithm {0} (expected 1, ECDSA P-384 with SHA-384)")]
    UnsupportedSignatureAlgorithm(u32),
    /// The report, the certificate and the evidence disagree on which kind of key signed.
    #[error(
        "endorsement key kind mismatch: the report says {report}, the certificate is a {certificate}"
    )]
    EndorsementKindMismatch {
        /// What the report's KEY_INFO says.
        report: String,
        /// What the certificate's common name says.
        certificate: String,
    },
    /// The endorsement key does not chain to the pinned root.
    #[error("certificate chain: {kind} does not chain to AMD's {product} root: {reason}")]
    Chain {
        /// The product whose root was tried.
        product: Product,
        /// VCEK or VLEK.
        kind: EndorsementKind,
        /// The failing link.
        reason: String,
    },
    /// The chain leads to a test-only root, which this verifier is not configured to accept.
    #[error(
        "the evidence chains to a TEST-ONLY root, which this verifier refuses (production configuration)"
    )]
    TestRootRefused,
    /// A certificate is outside its validity period.
    #[error(
        "the {which} certificate is not valid at this time (valid {not_before} to {not_after}, Unix seconds)"
    )]
    CertificateValidity {
        /// Which certificate.
        which: &'static str,
        /// Start of validity.
        not_before: u64,
        /// End of validity.
        not_after: u64,
    },
    /// An AMD extension of the endorsement key is missing or malformed.
    #[error("endorsement key extension {name}: {reason}")]
    Extension {
        /// The extension.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The VCEK is for another chip.
    #[error("the VCEK's hwID does not match the report's chip id")]
    ChipIdMismatch,
    /// The endorsement key was issued for another TCB than the report's.
    #[error(
        "the endorsement key's {component} SPL is {certificate} but the report's reported TCB says {report}"
    )]
    TcbMismatch {
        /// The TCB component.
        component: &'static str,
        /// The certificate's value.
        certificate: u8,
        /// The report's value.
        report: u8,
    },
    /// The report's signature does not verify with the endorsement key.
    #[error("the report signature does not verify with the endorsement key: {0}")]
    Signature(String),
    /// The guest policy allows debugging: its memory can be read by the host.
    #[error("policy: the guest allows debugging (its memory is readable by the host)")]
    DebugAllowed,
    /// The guest policy allows a migration agent, which can read the guest's memory to move it.
    #[error("policy: the guest allows a migration agent (which can read its memory)")]
    MigrationAgentAllowed,
    /// The platform runs with SMT and the policy refuses it.
    #[error(
        "policy: the host runs with SMT enabled (a sibling thread shares the core), which is refused"
    )]
    SmtEnabled,
    /// No minimum TCB is set for the report's product line.
    #[error(
        "policy: no minimum TCB is set for {product}: set one (PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC]) \
         from AMD's security bulletins"
    )]
    NoMinimumTcb {
        /// The product line.
        product: crate::Product,
    },
    /// A policy setting could not be read.
    #[error("{0}")]
    Policy(String),
    /// The report comes from a less privileged VMPL than allowed.
    #[error("policy: the report is from VMPL {found}, at most {max} is allowed")]
    Vmpl {
        /// The report's VMPL.
        found: u32,
        /// The highest allowed.
        max: u32,
    },
    /// A TCB component is below the minimum.
    #[error("policy: {component} SPL {found} is below the minimum {minimum}")]
    TcbTooLow {
        /// The component.
        component: &'static str,
        /// The report's value.
        found: u8,
        /// The minimum.
        minimum: u8,
    },
    /// REPORT_DATA is not the expected binding.
    #[error(
        "REPORT_DATA does not match the expected binding of the vault's keys and the verifier's nonce"
    )]
    ReportDataMismatch,
    /// The evidence is for another vault, registry or chain than the one expected.
    #[error("the evidence is for {found}, not {expected}")]
    WrongVault {
        /// What the evidence names.
        found: String,
        /// What was expected.
        expected: String,
    },
    /// The launch measurement is not one the owner approved.
    #[error("measurement {measurement} is not approved for this vault")]
    MeasurementNotApproved {
        /// The measurement, hex.
        measurement: String,
    },
}

/// The verification result type.
pub type Result<T, E = AttestError> = std::result::Result<T, E>;

impl std::fmt::Display for EndorsementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Vcek => "VCEK",
            Self::Vlek => "VLEK",
        })
    }
}
