//! The simulated SEV-SNP backend, for development and CI without AMD hardware: a TEST-ONLY chain built like
//! AMD's (RSA-PSS/SHA-384 ARK and ASK, a P-384 VCEK carrying AMD's extensions) and reports signed like AMD
//! signs them (ECDSA P-384 over bytes 0..0x2A0). The same verifier checks them; only a verifier configured
//! to accept test roots does, and it then says the evidence is [`crate::Verified::test_only`].

use std::str::FromStr;

use p384::ecdsa::{SigningKey, signature::DigestSigner};
use rand_core::OsRng;
use rsa::{RsaPrivateKey, pkcs8::EncodePublicKey, pss, signature::RandomizedSigner};
use sev::{
    certs::snp::ecdsa::Signature,
    firmware::{
        guest::{AttestationReport, GuestPolicy, PlatformInfo},
        host::TcbVersion,
    },
    parser::ByteParser,
};
use sha2::{Digest, Sha384};
use x509_cert::{
    Certificate, TbsCertificate, Version,
    der::{
        Encode, EncodePem,
        asn1::{BitString, Ia5String, OctetString},
        pem::LineEnding,
    },
    ext::Extension,
    name::Name,
    serial_number::SerialNumber,
    spki::{DynSignatureAlgorithmIdentifier, SubjectPublicKeyInfoOwned},
    time::{Time, Validity},
};

use crate::{AttestError, Evidence, Product, Result, Tcb, TrustRoot};

/// RSA modulus size of the test-only ARK and ASK. AMD's are 4096 bits; the verifier does not depend on the
/// size, and 2048 keeps platform set-up fast in tests.
const RSA_BITS: usize = 2048;

/// What the simulated guest puts in its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuestConfig {
    /// The launch measurement.
    pub measurement: [u8; 48],
    /// REPORT_DATA.
    pub report_data: [u8; 64],
    /// Whether the guest policy allows debugging.
    pub debug: bool,
    /// Whether the guest policy allows a migration agent.
    pub migration_agent: bool,
    /// Whether the platform runs with SMT enabled.
    pub smt_enabled: bool,
    /// The VMPL the report is requested from.
    pub vmpl: u32,
}

impl GuestConfig {
    /// A guest as a vault is launched: no debugging, no migration agent, VMPL 0, on a host with SMT.
    pub fn vault(measurement: [u8; 48], report_data: [u8; 64]) -> Self {
        Self {
            measurement,
            report_data,
            debug: false,
            migration_agent: false,
            smt_enabled: true,
            vmpl: 0,
        }
    }
}

/// A simulated SNP platform: one chip with its VCEK, under a test-only root.
pub struct SimulatedPlatform {
    root: TrustRoot,
    ark_pem: String,
    bundle_pem: String,
    vcek_key: SigningKey,
    vcek_der: Vec<u8>,
    chip_id: [u8; 64],
    tcb: Tcb,
}

impl SimulatedPlatform {
    /// A new platform with fresh keys (a few seconds: RSA key generation).
    pub fn new() -> Result<Self> {
        let product = Product::Milan;
        let tcb = Tcb {
            bootloader: 4,
            tee: 0,
            snp: 23,
            microcode: 213,
            fmc: None,
        };
        let mut chip_id = [0u8; 64];
        rand_core::RngCore::fill_bytes(&mut OsRng, &mut chip_id);

        let ark_key = rsa_key()?;
        let ask_key = rsa_key()?;
        let asvk_key = rsa_key()?;
        let ark_name = name("CN=ARK-Milan TEST-ONLY,OU=DNA Vault simulated SEV-SNP,O=NOT AMD")?;
        let ark = issue(&ark_name, &ark_name, spki(&ark_key)?, &ark_key, 1, vec![])?;
        let ask = issue(
            &name("CN=SEV-Milan TEST-ONLY,O=NOT AMD")?,
            &ark_name,
            spki(&ask_key)?,
            &ark_key,
            2,
            vec![],
        )?;
        let asvk = issue(
            &name("CN=SEV-VLEK-Milan TEST-ONLY,O=NOT AMD")?,
            &ark_name,
            spki(&asvk_key)?,
            &ark_key,
            3,
            vec![],
        )?;

        let vcek_key = SigningKey::random(&mut OsRng);
        let vcek_spki =
            SubjectPublicKeyInfoOwned::from_key(*vcek_key.verifying_key()).map_err(sim_error)?;
        let vcek = issue(
            &name("CN=SEV-VCEK,OU=DNA Vault simulated SEV-SNP,O=NOT AMD")?,
            &name("CN=SEV-Milan TEST-ONLY,O=NOT AMD")?,
            vcek_spki,
            &ask_key,
            4,
            amd_extensions(&tcb, &chip_id)?,
        )?;
        let pem = |cert: &Certificate| cert.to_pem(LineEnding::LF).map_err(sim_error);
        let (ark_pem, ask_pem, asvk_pem) = (pem(&ark)?, pem(&ask)?, pem(&asvk)?);
        let root = TrustRoot::test_only(
            product,
            ark_pem.as_bytes(),
            ask_pem.as_bytes(),
            asvk_pem.as_bytes(),
        )?;
        let bundle_pem = format!("{ask_pem}{ark_pem}{asvk_pem}");
        Ok(Self {
            root,
            ark_pem,
            bundle_pem,
            vcek_key,
            vcek_der: vcek.to_der().map_err(sim_error)?,
            chip_id,
            tcb,
        })
    }

    /// The platform's test-only root, for a verifier configured to accept it.
    pub fn trust_root(&self) -> TrustRoot {
        self.root.clone()
    }

    /// The test-only ARK, PEM.
    pub fn ark_pem(&self) -> &str {
        &self.ark_pem
    }

    /// The test-only ASK, ARK and ASVK as a PEM bundle in AMD's order, for a verifier to load.
    pub fn root_bundle_pem(&self) -> &str {
        &self.bundle_pem
    }

    /// The VCEK certificate, DER.
    pub fn vcek_der(&self) -> &[u8] {
        &self.vcek_der
    }

    /// A signed report for a guest, with the VCEK: evidence as a real platform gives it.
    pub fn attest(&self, guest: &GuestConfig) -> Result<Evidence> {
        let tcb = TcbVersion {
            fmc: None,
            bootloader: self.tcb.bootloader,
            tee: self.tcb.tee,
            snp: self.tcb.snp,
            microcode: self.tcb.microcode,
        };
        // ABI 1.55, SMT allowed, the reserved bit 17 set as the ABI requires, debug and migration agent as
        // configured.
        let mut policy = GuestPolicy::from(0x3_0000u64 | (1 << 8) | 55);
        policy.set_debug_allowed(guest.debug);
        policy.set_migrate_ma_allowed(guest.migration_agent);
        let mut report = AttestationReport {
            version: 3,
            policy,
            vmpl: guest.vmpl,
            sig_algo: 1,
            current_tcb: tcb,
            reported_tcb: tcb,
            committed_tcb: tcb,
            launch_tcb: tcb,
            report_data: guest.report_data,
            measurement: guest.measurement,
            chip_id: self.chip_id,
            plat_info: PlatformInfo::from(u64::from(guest.smt_enabled)),
            cpuid_fam_id: Some(0x19),
            cpuid_mod_id: Some(0x01),
            cpuid_step: Some(0x01),
            ..Default::default()
        };
        let unsigned = report.to_bytes().map_err(sim_error)?;
        let signature: p384::ecdsa::Signature = self
            .vcek_key
            .sign_digest(Sha384::new_with_prefix(&unsigned[..crate::SIGNED_LEN]));
        let (r, s) = signature.split_bytes();
        report.signature = Signature::new(little_endian_72(&r), little_endian_72(&s));
        let raw = report.to_bytes().map_err(sim_error)?;
        let mut evidence = Evidence::new(raw.to_vec(), &self.vcek_der)?;
        evidence.product = Some(Product::Milan);
        Ok(evidence)
    }
}

/// An AMD signature component: 48 big-endian bytes as 72 little-endian ones.
fn little_endian_72(big_endian: &[u8]) -> [u8; 72] {
    let mut out = [0u8; 72];
    for (i, byte) in big_endian.iter().rev().enumerate() {
        out[i] = *byte;
    }
    out
}

fn rsa_key() -> Result<RsaPrivateKey> {
    RsaPrivateKey::new(&mut OsRng, RSA_BITS).map_err(sim_error)
}

fn spki(key: &RsaPrivateKey) -> Result<SubjectPublicKeyInfoOwned> {
    let der = key.to_public_key().to_public_key_der().map_err(sim_error)?;
    SubjectPublicKeyInfoOwned::try_from(der.as_bytes()).map_err(sim_error)
}

fn name(text: &str) -> Result<Name> {
    Name::from_str(text).map_err(sim_error)
}

/// Signs a certificate with RSA-PSS/SHA-384, as AMD's ARK and ASK sign.
fn issue(
    subject: &Name,
    issuer: &Name,
    subject_public_key_info: SubjectPublicKeyInfoOwned,
    issuer_key: &RsaPrivateKey,
    serial: u8,
    extensions: Vec<Extension>,
) -> Result<Certificate> {
    let signer = pss::SigningKey::<Sha384>::new(issuer_key.clone());
    let algorithm = signer.signature_algorithm_identifier().map_err(sim_error)?;
    let validity = Validity {
        not_before: Time::UtcTime(
            x509_cert::der::asn1::UtcTime::from_unix_duration(std::time::Duration::from_secs(
                1_735_689_600,
            ))
            .map_err(sim_error)?,
        ),
        not_after: Time::GeneralTime(
            x509_cert::der::asn1::GeneralizedTime::from_unix_duration(
                std::time::Duration::from_secs(4_102_444_800),
            )
            .map_err(sim_error)?,
        ),
    };
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&[serial]).map_err(sim_error)?,
        signature: algorithm.clone(),
        issuer: issuer.clone(),
        validity,
        subject: subject.clone(),
        subject_public_key_info,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: (!extensions.is_empty()).then_some(extensions),
    };
    let signature = signer.sign_with_rng(&mut OsRng, &tbs.to_der().map_err(sim_error)?);
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: algorithm,
        signature: BitString::from_bytes(&Box::<[u8]>::from(signature)).map_err(sim_error)?,
    })
}

/// The AMD extensions a VCEK carries (OIDs 1.3.6.1.4.1.3704.1.*).
fn amd_extensions(tcb: &Tcb, chip_id: &[u8; 64]) -> Result<Vec<Extension>> {
    let ext = |oid: &str, value: Vec<u8>| -> Result<Extension> {
        Ok(Extension {
            extn_id: oid.parse().map_err(sim_error)?,
            critical: false,
            extn_value: OctetString::new(value).map_err(sim_error)?,
        })
    };
    let int = |v: u8| v.to_der().map_err(sim_error);
    Ok(vec![
        ext("1.3.6.1.4.1.3704.1.1", int(1)?)?,
        ext(
            "1.3.6.1.4.1.3704.1.2",
            Ia5String::new("Milan-B0")
                .map_err(sim_error)?
                .to_der()
                .map_err(sim_error)?,
        )?,
        ext("1.3.6.1.4.1.3704.1.3.1", int(tcb.bootloader)?)?,
        ext("1.3.6.1.4.1.3704.1.3.2", int(tcb.tee)?)?,
        ext("1.3.6.1.4.1.3704.1.3.3", int(tcb.snp)?)?,
        ext("1.3.6.1.4.1.3704.1.3.8", int(tcb.microcode)?)?,
        ext(
            "1.3.6.1.4.1.3704.1.4",
            OctetString::new(chip_id.to_vec())
                .map_err(sim_error)?
                .to_der()
                .map_err(sim_error)?,
        )?,
    ])
}

fn sim_error(e: impl std::fmt::Display) -> AttestError {
    AttestError::MalformedCertificate {
        which: "simulated",
        reason: e.to_string(),
    }
}
