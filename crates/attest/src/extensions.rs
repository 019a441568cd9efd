//! AMD's X.509 extensions on a VCEK or VLEK (OIDs 1.3.6.1.4.1.3704.1.*): which product, which TCB the key
//! was issued for, and (VCEK) which chip.

use x509_cert::{
    Certificate,
    der::{
        Decode,
        asn1::{Ia5String, ObjectIdentifier, OctetString},
    },
};

use crate::{AttestError, Result};

const PRODUCT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.2");
const BL_SPL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.3.1");
const TEE_SPL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.3.2");
const SNP_SPL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.3.3");
const UCODE_SPL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.3.8");
const FMC_SPL: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.3.9");
const HW_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.4");
const CSP_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.3704.1.5");

/// The AMD extensions of an endorsement key certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AmdExtensions {
    /// `Milan-B0`, `Genoa-A1`, ... (absent on some VLEKs).
    pub product_name: Option<String>,
    /// Bootloader SPL.
    pub bootloader: u8,
    /// PSP OS (TEE) SPL.
    pub tee: u8,
    /// SNP firmware SPL.
    pub snp: u8,
    /// Microcode SPL.
    pub microcode: u8,
    /// FMC SPL (Turin and later).
    pub fmc: Option<u8>,
    /// The chip's hwID (VCEK only).
    pub hw_id: Option<[u8; 64]>,
    /// The cloud provider's id (VLEK only).
    pub csp_id: Option<String>,
}

impl AmdExtensions {
    /// Reads the extensions; a missing SPL or a malformed value is an error naming the extension.
    pub fn read(cert: &Certificate) -> Result<Self> {
        let find = |oid: ObjectIdentifier| {
            let mut matching = cert
                .tbs_certificate
                .extensions
                .iter()
                .flatten()
                .filter(|e| e.extn_id == oid);
            let first = matching.next().map(|e| e.extn_value.as_bytes());
            if matching.next().is_some() {
                Err(())
            } else {
                Ok(first)
            }
        };
        let required_spl = |name: &'static str, oid| -> Result<u8> {
            let value =
                find(oid)
                    .map_err(|()| duplicate(name))?
                    .ok_or_else(|| AttestError::Extension {
                        name,
                        reason: "missing".into(),
                    })?;
            spl(name, value)
        };
        let optional = |name: &'static str, oid| find(oid).map_err(|()| duplicate(name));
        Ok(Self {
            product_name: optional("productName", PRODUCT_NAME)?
                .map(|v| {
                    Ia5String::from_der(v).map(|s| s.to_string()).map_err(|e| {
                        AttestError::Extension {
                            name: "productName",
                            reason: e.to_string(),
                        }
                    })
                })
                .transpose()?,
            bootloader: required_spl("blSPL", BL_SPL)?,
            tee: required_spl("teeSPL", TEE_SPL)?,
            snp: required_spl("snpSPL", SNP_SPL)?,
            microcode: required_spl("ucodeSPL", UCODE_SPL)?,
            fmc: optional("fmcSPL", FMC_SPL)?
                .map(|v| spl("fmcSPL", v))
                .transpose()?,
            hw_id: optional("hwID", HW_ID)?.map(hw_id).transpose()?,
            csp_id: optional("cspID", CSP_ID)?
                .map(|v| {
                    Ia5String::from_der(v).map(|s| s.to_string()).map_err(|e| {
                        AttestError::Extension {
                            name: "cspID",
                            reason: e.to_string(),
                        }
                    })
                })
                .transpose()?,
        })
    }
}

fn duplicate(name: &'static str) -> AttestError {
    AttestError::Extension {
        name,
        reason: "appears more than once".into(),
    }
}

fn spl(name: &'static str, value: &[u8]) -> Result<u8> {
    u8::from_der(value).map_err(|e| AttestError::Extension {
        name,
        reason: format!("not a small INTEGER: {e}"),
    })
}

/// The hwID: a DER OCTET STRING of 64 bytes, or (certificates issued before AMD fixed the encoding) the 64
/// raw bytes themselves.
fn hw_id(value: &[u8]) -> Result<[u8; 64]> {
    let bad = |reason: String| AttestError::Extension {
        name: "hwID",
        reason,
    };
    if let Ok(raw) = <[u8; 64]>::try_from(value) {
        return Ok(raw);
    }
    let octets = OctetString::from_der(value)
        .map_err(|e| bad(format!("neither 64 raw bytes nor an OCTET STRING: {e}")))?;
    octets
        .as_bytes()
        .try_into()
        .map_err(|_| bad(format!("{} bytes, expected 64", octets.as_bytes().len())))
}
