//! The pinned trust anchors: AMD's ARK, ASK and ASVK for each product line, and test-only roots.

use std::{fmt, str::FromStr};

use sev::certs::snp::Certificate;
use x509_cert::der::{DecodePem, Encode};

use crate::{AttestError, Result};

/// An SEV-SNP product line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Product {
    /// 3rd generation EPYC.
    Milan,
    /// 4th generation EPYC.
    Genoa,
    /// 5th generation EPYC.
    Turin,
}

impl Product {
    /// Every product line.
    pub const ALL: [Self; 3] = [Self::Milan, Self::Genoa, Self::Turin];

    fn bundle(self) -> &'static [u8] {
        match self {
            Self::Milan => include_bytes!("../roots/milan_ask_ark_asvk.pem"),
            Self::Genoa => include_bytes!("../roots/genoa_ask_ark_asvk.pem"),
            Self::Turin => include_bytes!("../roots/turin_ask_ark_asvk.pem"),
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Milan => "Milan",
            Self::Genoa => "Genoa",
            Self::Turin => "Turin",
        })
    }
}

impl FromStr for Product {
    type Err = AttestError;

    /// `milan`, `Genoa`, or a VCEK's product name such as `Milan-B0`.
    fn from_str(text: &str) -> Result<Self> {
        let family = text.split('-').next().unwrap_or_default();
        Self::ALL
            .into_iter()
            .find(|p| p.to_string().eq_ignore_ascii_case(family))
            .ok_or_else(|| AttestError::UnknownProduct(text.to_owned()))
    }
}

/// One product's root of trust: the ARK, and the ASK (for VCEKs) and ASVK (for VLEKs) it signed.
#[derive(Debug, Clone)]
pub struct TrustRoot {
    /// The product line.
    pub product: Product,
    pub(crate) ark: Certificate,
    pub(crate) ask: Certificate,
    pub(crate) asvk: Certificate,
    /// Whether this root is a test-only one (the simulated backend's).
    pub test_only: bool,
}

impl TrustRoot {
    /// AMD's root for `product`, from the copy compiled into this crate.
    pub fn amd(product: Product) -> Self {
        let certs = x509_cert::Certificate::load_pem_chain(product.bundle())
            .expect("the pinned AMD bundle parses");
        let [ask, ark, asvk]: [x509_cert::Certificate; 3] = certs
            .try_into()
            .expect("the pinned AMD bundle holds ASK, ARK and ASVK");
        Self {
            product,
            ark: ark.into(),
            ask: ask.into(),
            asvk: asvk.into(),
            test_only: false,
        }
    }

    /// A test-only root from PEM certificates. A verifier accepts it only when configured to.
    pub fn test_only(
        product: Product,
        ark_pem: &[u8],
        ask_pem: &[u8],
        asvk_pem: &[u8],
    ) -> Result<Self> {
        let read = |which: &'static str, pem: &[u8]| {
            x509_cert::Certificate::from_pem(pem)
                .map(Certificate::from)
                .map_err(|e| AttestError::MalformedCertificate {
                    which,
                    reason: e.to_string(),
                })
        };
        Ok(Self {
            product,
            ark: read("ARK", ark_pem)?,
            ask: read("ASK", ask_pem)?,
            asvk: read("ASVK", asvk_pem)?,
            test_only: true,
        })
    }

    /// A test-only root from a PEM bundle in AMD's order (ASK, ARK, ASVK), as the simulated platform writes.
    pub fn test_only_bundle(product: Product, bundle: &[u8]) -> Result<Self> {
        let certs = x509_cert::Certificate::load_pem_chain(bundle).map_err(|e| {
            AttestError::MalformedCertificate {
                which: "test root bundle",
                reason: e.to_string(),
            }
        })?;
        let [ask, ark, asvk]: [x509_cert::Certificate; 3] =
            certs
                .try_into()
                .map_err(|v: Vec<_>| AttestError::MalformedCertificate {
                    which: "test root bundle",
                    reason: format!("{} certificates, expected ASK, ARK, ASVK", v.len()),
                })?;
        Ok(Self {
            product,
            ark: ark.into(),
            ask: ask.into(),
            asvk: asvk.into(),
            test_only: true,
        })
    }

    /// The ARK, DER.
    pub fn ark_der(&self) -> Vec<u8> {
        x509_cert::Certificate::from(self.ark.clone())
            .to_der()
            .expect("a parsed certificate re-encodes")
    }

    /// The ASK, DER.
    pub fn ask_der(&self) -> Vec<u8> {
        x509_cert::Certificate::from(self.ask.clone())
            .to_der()
            .expect("a parsed certificate re-encodes")
    }
}
