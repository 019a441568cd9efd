//! The verifier.

use p384::ecdsa::{VerifyingKey, signature::DigestVerifier};
use sev::{
    certs::snp::{Certificate, Chain, Verifiable, ca},
    firmware::guest::AttestationReport,
    parser::ByteParser,
};
use sha2::{Digest, Sha384};
use x509_cert::der::{Decode, DecodePem};

use crate::{
    AmdExtensions, AttestError, GuestSettings, Policy, Product, REPORT_LEN, Result, SIGNED_LEN,
    TrustRoot,
};

/// The kind of key that signs reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EndorsementKind {
    /// Versioned Chip Endorsement Key: one chip, certified by AMD through the ASK.
    Vcek,
    /// Versioned Loaded Endorsement Key: a cloud provider's, certified by AMD through the ASVK.
    Vlek,
}

/// What a vault presents: its report and the certificate of the key that signed it.
#[derive(Debug, Clone)]
pub struct Evidence {
    /// The raw 1184-byte report.
    pub report: Vec<u8>,
    /// The VCEK or VLEK certificate, DER.
    pub endorsement_key: Vec<u8>,
    /// The product line, when known (else read from the certificate).
    pub product: Option<Product>,
    /// The key kind the evidence claims (e.g. from the host's certificate table), checked against the
    /// certificate.
    pub declared_kind: Option<EndorsementKind>,
}

impl Evidence {
    /// Evidence from a report and a certificate in DER or PEM.
    pub fn new(report: Vec<u8>, certificate: &[u8]) -> Result<Self> {
        let der = if certificate.starts_with(b"-----BEGIN") {
            let cert = x509_cert::Certificate::from_pem(certificate).map_err(|e| {
                AttestError::MalformedCertificate {
                    which: "endorsement key",
                    reason: e.to_string(),
                }
            })?;
            x509_cert::der::Encode::to_der(&cert).map_err(|e| {
                AttestError::MalformedCertificate {
                    which: "endorsement key",
                    reason: e.to_string(),
                }
            })?
        } else {
            certificate.to_vec()
        };
        Ok(Self {
            report,
            endorsement_key: der,
            product: None,
            declared_kind: None,
        })
    }
}

/// What REPORT_DATA must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedReportData {
    /// The binding of the vault's keys and this verifier's nonce ([`crate::ReportDataBinding`]).
    Binding([u8; 64]),
    /// Not checked: for inspecting evidence only, never for trusting a vault.
    Unchecked,
}

/// A TCB version: the security patch levels of the platform's components.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Tcb {
    /// PSP bootloader.
    pub bootloader: u8,
    /// PSP OS.
    pub tee: u8,
    /// SNP firmware.
    pub snp: u8,
    /// CPU microcode.
    pub microcode: u8,
    /// FMC (Turin and later).
    pub fmc: Option<u8>,
}

/// What a verified report says.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verified {
    /// The product line whose root the chain leads to.
    pub product: Product,
    /// The kind of key that signed.
    pub kind: EndorsementKind,
    /// The report version.
    pub version: u32,
    /// The launch measurement.
    #[serde(with = "hex_bytes")]
    pub measurement: [u8; 48],
    /// The chip id (zeros when the guest masks it).
    #[serde(with = "hex_bytes")]
    pub chip_id: [u8; 64],
    /// The TCB the report was signed at.
    pub reported_tcb: Tcb,
    /// REPORT_DATA.
    #[serde(with = "hex_bytes")]
    pub report_data: [u8; 64],
    /// HOST_DATA.
    #[serde(with = "hex_bytes")]
    pub host_data: [u8; 32],
    /// The VMPL the report was requested from.
    pub vmpl: u32,
    /// True when the chain leads to a test-only root: the simulated backend, not real hardware.
    pub test_only: bool,
    /// What the guest policy and the platform allow (debugging, a migration agent, SMT), as checked.
    pub guest: GuestSettings,
    /// The minimum TCB the report was held to, for its product line.
    pub minimum_tcb: Tcb,
}

impl Verified {
    /// Fails unless `approved` accepts the report's launch measurement (the owner's on-chain approvals).
    pub fn require_measurement(&self, approved: impl FnOnce(&[u8; 48]) -> bool) -> Result<()> {
        if approved(&self.measurement) {
            Ok(())
        } else {
            Err(AttestError::MeasurementNotApproved {
                measurement: hex(&self.measurement),
            })
        }
    }
}

/// Verifies evidence against pinned roots and a policy.
///
/// Chain verifications that succeeded are remembered (per root and endorsement key certificate), so a
/// verifier that sees the same VCEK again checks only the report; validity, signature and policy are
/// checked on every call.
#[derive(Debug, Clone)]
pub struct Verifier {
    roots: Vec<TrustRoot>,
    policy: Policy,
    verified_chains: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<[u8; 32]>>>,
}

impl Verifier {
    /// AMD's roots for every product line. Test-only roots are refused whatever the policy says until one is
    /// added with [`Self::with_test_root`].
    pub fn production(policy: Policy) -> Self {
        Self {
            roots: Product::ALL.into_iter().map(TrustRoot::amd).collect(),
            policy,
            verified_chains: Default::default(),
        }
    }

    /// Adds a test-only root; it is used only when the policy accepts test roots.
    pub fn with_test_root(mut self, root: TrustRoot) -> Self {
        self.roots.push(root);
        self
    }

    /// Verifies `evidence` now.
    pub fn verify(&self, evidence: &Evidence, expected: ExpectedReportData) -> Result<Verified> {
        let now = dnavault_protocol::clock::unix_now().unwrap_or_default();
        self.verify_at(evidence, expected, now)
    }

    /// Verifies `evidence` as of Unix time `now` (certificate validity is checked at that time).
    pub fn verify_at(
        &self,
        evidence: &Evidence,
        expected: ExpectedReportData,
        now: u64,
    ) -> Result<Verified> {
        let report = parse_report(&evidence.report)?;
        let cert = x509_cert::Certificate::from_der(&evidence.endorsement_key).map_err(|e| {
            AttestError::MalformedCertificate {
                which: "endorsement key",
                reason: e.to_string(),
            }
        })?;
        let kind = certificate_kind(&cert)?;
        if let Some(declared) = evidence.declared_kind.filter(|d| *d != kind) {
            return Err(AttestError::EndorsementKindMismatch {
                report: declared.to_string(),
                certificate: kind.to_string(),
            });
        }
        let extensions = AmdExtensions::read(&cert)?;
        let product = match evidence.product {
            Some(product) => Some(product),
            None => extensions
                .product_name
                .as_deref()
                .map(str::parse)
                .transpose()?,
        };
        let root = self.chain(product, kind, &cert, &evidence.endorsement_key)?;
        check_validity("endorsement key", &cert, now)?;
        for (which, ca) in [
            ("ARK", &root.ark),
            (
                if kind == EndorsementKind::Vcek {
                    "ASK"
                } else {
                    "ASVK"
                },
                signer(root, kind),
            ),
        ] {
            check_validity(which, &x509_cert::Certificate::from(ca.clone()), now)?;
        }
        check_signature(&evidence.report, &report, &cert)?;

        let report_kind = match report.key_info.signing_key() {
            0 => EndorsementKind::Vcek,
            1 => EndorsementKind::Vlek,
            other => {
                return Err(AttestError::EndorsementKindMismatch {
                    report: format!("signing key {other}"),
                    certificate: kind.to_string(),
                });
            }
        };
        if report_kind != kind {
            return Err(AttestError::EndorsementKindMismatch {
                report: report_kind.to_string(),
                certificate: kind.to_string(),
            });
        }
        let reported_tcb = Tcb {
            bootloader: report.reported_tcb.bootloader,
            tee: report.reported_tcb.tee,
            snp: report.reported_tcb.snp,
            microcode: report.reported_tcb.microcode,
            fmc: report.reported_tcb.fmc,
        };
        check_extensions(&extensions, kind, &report.chip_id, &reported_tcb)?;
        let (guest, minimum_tcb) = self.policy.check(&report, root.product, &reported_tcb)?;
        if let ExpectedReportData::Binding(expected) = expected
            && expected != report.report_data
        {
            return Err(AttestError::ReportDataMismatch);
        }
        Ok(Verified {
            product: root.product,
            kind,
            version: report.version,
            measurement: report.measurement,
            chip_id: report.chip_id,
            reported_tcb,
            report_data: report.report_data,
            host_data: report.host_data,
            vmpl: report.vmpl,
            test_only: root.test_only,
            guest,
            minimum_tcb,
        })
    }

    /// Finds the root the key chains to: AMD's first; test-only roots only when the policy accepts them.
    fn chain(
        &self,
        product: Option<Product>,
        kind: EndorsementKind,
        cert: &x509_cert::Certificate,
        vek_der: &[u8],
    ) -> Result<&TrustRoot> {
        let vek = Certificate::from(cert.clone());
        let candidates = || {
            self.roots
                .iter()
                .enumerate()
                .filter(|(_, r)| product.is_none_or(|p| r.product == p))
        };
        let verifies = |index: usize, root: &TrustRoot| {
            let key: [u8; 32] = sha2::Sha256::new()
                .chain_update((index as u64).to_be_bytes())
                .chain_update([kind as u8])
                .chain_update(vek_der)
                .finalize()
                .into();
            let cache = || {
                self.verified_chains
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
            };
            if cache().contains(&key) {
                return Ok(());
            }
            let chain = Chain {
                ca: ca::Chain {
                    ark: root.ark.clone(),
                    ask: signer(root, kind).clone(),
                },
                vek: vek.clone(),
            };
            (&chain).verify().map_err(|e| e.to_string())?;
            cache().insert(key);
            Ok::<(), String>(())
        };
        let mut first_failure = None;
        for (index, root) in candidates().filter(|(_, r)| !r.test_only) {
            match verifies(index, root) {
                Ok(()) => return Ok(root),
                Err(reason) => {
                    first_failure.get_or_insert((root.product, reason));
                }
            }
        }
        for (index, root) in candidates().filter(|(_, r)| r.test_only) {
            if verifies(index, root).is_ok() {
                return if self.policy.accept_test_roots {
                    Ok(root)
                } else {
                    Err(AttestError::TestRootRefused)
                };
            }
        }
        let (product, reason) = first_failure.unwrap_or((
            product.unwrap_or(Product::Milan),
            "no root for this product".into(),
        ));
        Err(AttestError::Chain {
            product,
            kind,
            reason,
        })
    }
}

fn signer(root: &TrustRoot, kind: EndorsementKind) -> &Certificate {
    match kind {
        EndorsementKind::Vcek => &root.ask,
        EndorsementKind::Vlek => &root.asvk,
    }
}

fn parse_report(raw: &[u8]) -> Result<AttestationReport> {
    if raw.len() != REPORT_LEN {
        return Err(AttestError::MalformedReport(format!(
            "{} bytes, a report is {REPORT_LEN}",
            raw.len()
        )));
    }
    let report = AttestationReport::from_bytes(raw)
        .map_err(|e| AttestError::MalformedReport(e.to_string()))?;
    if !(2..=5).contains(&report.version) {
        return Err(AttestError::UnsupportedReportVersion(report.version));
    }
    if report.sig_algo != 1 {
        return Err(AttestError::UnsupportedSignatureAlgorithm(report.sig_algo));
    }
    Ok(report)
}

fn certificate_kind(cert: &x509_cert::Certificate) -> Result<EndorsementKind> {
    let subject = cert.tbs_certificate.subject.to_string();
    let common_name = subject
        .split(',')
        .find_map(|part| part.trim().strip_prefix("CN="))
        .unwrap_or_default();
    match common_name {
        "VCEK" | "SEV-VCEK" => Ok(EndorsementKind::Vcek),
        "VLEK" | "SEV-VLEK" => Ok(EndorsementKind::Vlek),
        other => Err(AttestError::MalformedCertificate {
            which: "endorsement key",
            reason: format!("common name `{other}` is neither VCEK nor VLEK"),
        }),
    }
}

fn check_validity(which: &'static str, cert: &x509_cert::Certificate, now: u64) -> Result<()> {
    let validity = &cert.tbs_certificate.validity;
    let not_before = validity.not_before.to_unix_duration().as_secs();
    let not_after = validity.not_after.to_unix_duration().as_secs();
    if now < not_before || now > not_after {
        return Err(AttestError::CertificateValidity {
            which,
            not_before,
            not_after,
        });
    }
    Ok(())
}

/// Verifies the ECDSA P-384 signature over the raw signed bytes as received, not a re-encoding of the
/// parsed report, so that every signed byte counts.
fn check_signature(
    raw: &[u8],
    report: &AttestationReport,
    cert: &x509_cert::Certificate,
) -> Result<()> {
    let sec1 = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    let key =
        VerifyingKey::from_sec1_bytes(sec1).map_err(|e| AttestError::MalformedCertificate {
            which: "endorsement key",
            reason: format!("not a P-384 key: {e}"),
        })?;
    let signature = p384::ecdsa::Signature::try_from(&report.signature)
        .map_err(|e| AttestError::Signature(e.to_string()))?;
    key.verify_digest(Sha384::new_with_prefix(&raw[..SIGNED_LEN]), &signature)
        .map_err(|_| AttestError::Signature("ECDSA P-384 verification failed".into()))
}

fn check_extensions(
    ext: &AmdExtensions,
    kind: EndorsementKind,
    chip_id: &[u8; 64],
    tcb: &Tcb,
) -> Result<()> {
    if kind == EndorsementKind::Vcek {
        let hw_id = ext.hw_id.ok_or(AttestError::Extension {
            name: "hwID",
            reason: "missing on a VCEK".into(),
        })?;
        if &hw_id != chip_id {
            return Err(AttestError::ChipIdMismatch);
        }
    }
    for (component, certificate, report) in [
        ("bootloader", ext.bootloader, tcb.bootloader),
        ("TEE", ext.tee, tcb.tee),
        ("SNP", ext.snp, tcb.snp),
        ("microcode", ext.microcode, tcb.microcode),
    ] {
        if certificate != report {
            return Err(AttestError::TcbMismatch {
                component,
                certificate,
                report,
            });
        }
    }
    if let (Some(certificate), Some(report)) = (ext.fmc, tcb.fmc)
        && certificate != report
    {
        return Err(AttestError::TcbMismatch {
            component: "FMC",
            certificate,
            report,
        });
    }
    Ok(())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

mod hex_bytes {
    pub(super) fn serialize<S: serde::Serializer, const N: usize>(
        bytes: &[u8; N],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::hex(bytes))
    }
}
