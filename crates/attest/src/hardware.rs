//! Evidence from AMD hardware through the Linux guest driver (`/dev/sev-guest`), using the `sev` crate's
//! guest firmware API: an extended report, whose certificate table carries the VCEK or VLEK when the host
//! supplies it, else a cached VCEK fetched ahead of time from AMD's key distribution service.
//! It cannot run outside an SNP guest; verification of what it returns is tested on recorded evidence.

use std::path::PathBuf;

use sev::firmware::{guest::Firmware, host::CertType};

use crate::{AttestError, Backend, EndorsementKind, Evidence, Result};

/// The hardware backend.
#[derive(Debug, Clone, Default)]
pub struct Hardware {
    /// A VCEK (DER or PEM) to use when the host's certificate table has none.
    pub cached_vcek: Option<PathBuf>,
    /// The VMPL to request the report for (0 unless the guest runs under an SVSM).
    pub vmpl: u32,
}

impl Backend for Hardware {
    fn attest(&self, report_data: [u8; 64]) -> Result<Evidence> {
        let device = |e: &dyn std::fmt::Display| {
            AttestError::MalformedReport(format!("/dev/sev-guest: {e}"))
        };
        let mut firmware = Firmware::open().map_err(|e| device(&e))?;
        let (report, certificates) = firmware
            .get_ext_report(None, Some(report_data), Some(self.vmpl))
            .map_err(|e| device(&e))?;
        let from_table =
            certificates
                .into_iter()
                .flatten()
                .find_map(|entry| match entry.cert_type {
                    CertType::VCEK => Some((entry.data().to_vec(), EndorsementKind::Vcek)),
                    CertType::VLEK => Some((entry.data().to_vec(), EndorsementKind::Vlek)),
                    _ => None,
                });
        let (certificate, kind) = match (from_table, &self.cached_vcek) {
            (Some(found), _) => (found.0, Some(found.1)),
            (None, Some(path)) => (std::fs::read(path).map_err(|e| device(&e))?, None),
            (None, None) => {
                return Err(AttestError::MalformedCertificate {
                    which: "endorsement key",
                    reason: "the host supplied no VCEK/VLEK and no cached VCEK is configured"
                        .into(),
                });
            }
        };
        let mut evidence = Evidence::new(report, &certificate)?;
        evidence.declared_kind = kind;
        Ok(evidence)
    }

    fn is_test_only(&self) -> bool {
        false
    }
}
