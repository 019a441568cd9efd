//! Each real report verifies; every tampering and every wrong root fails with the right error.

use dnavault_attest::{
    AttestError, EndorsementKind, ExpectedReportData, MinimumTcb, Policy, Product,
    ReportDataBinding, TrustRoot, Verifier,
};

use crate::{evidence, vector};

/// A time within the recorded VLEK's validity (2025-06-15).
const VLEK_VALID: u64 = 1_750_000_000;

fn verifier() -> Verifier {
    Verifier::production(Policy::default())
}

#[test]
fn every_real_report_verifies() {
    for (report, cert, product) in [
        ("test-report.bin", "test-vcek.der", Product::Milan),
        ("az-milan-snp-report.bin", "az_vcek.der", Product::Milan),
        (
            "az-genoa-snp-report.bin",
            "az-genoa-vcek.pem",
            Product::Genoa,
        ),
    ] {
        let verified = verifier()
            .verify(&evidence(report, cert), ExpectedReportData::Unchecked)
            .unwrap_or_else(|e| panic!("{report}: {e}"));
        assert_eq!(verified.product, product, "{report}");
        assert_eq!(verified.kind, EndorsementKind::Vcek);
        assert!(!verified.test_only);
        assert_eq!(verified.vmpl, 0);
    }
}

#[test]
fn vlek_report_verifies_through_the_asvk() {
    // This VLEK was valid from 2024-12-10 to 2025-12-10: verify as of its validity, and see it expire.
    let policy = Policy {
        max_vmpl: 1,
        ..Policy::default()
    };
    let vlek = evidence("test-vlek-report.bin", "test-vlek.der");
    let verified = Verifier::production(policy.clone())
        .verify_at(&vlek, ExpectedReportData::Unchecked, VLEK_VALID)
        .unwrap();
    assert_eq!(verified.kind, EndorsementKind::Vlek);
    assert_eq!(verified.vmpl, 1);
    // The default policy wants VMPL 0.
    let err = verifier()
        .verify_at(&vlek, ExpectedReportData::Unchecked, VLEK_VALID)
        .unwrap_err();
    assert_eq!(err, AttestError::Vmpl { found: 1, max: 0 });
    let err = Verifier::production(policy)
        .verify(&vlek, ExpectedReportData::Unchecked)
        .unwrap_err();
    assert_eq!(
        err,
        AttestError::CertificateValidity {
            which: "endorsement key",
            not_before: 1_733_868_861,
            not_after: 1_765_404_861
        }
    );
}

#[test]
fn flipping_any_signed_bit_fails_the_signature() {
    let good = evidence("test-report.bin", "test-vcek.der");
    let mut signature_failures = 0;
    for byte in 0..dnavault_attest::SIGNED_LEN {
        let mut tampered = good.clone();
        tampered.report[byte] ^= 1 << (byte % 8);
        match verifier().verify(&tampered, ExpectedReportData::Unchecked) {
            Err(AttestError::Signature(_)) => signature_failures += 1,
            // Reserved bytes that must be zero, the version and the algorithm are refused while parsing,
            // before the signature is looked at.
            Err(AttestError::MalformedReport(_))
            | Err(AttestError::UnsupportedReportVersion(_))
            | Err(AttestError::UnsupportedSignatureAlgorithm(_)) => {}
            other => panic!("byte {byte:#x}: expected a refusal, got {other:?}"),
        }
    }
    // 466 of the 672 signed bytes are fields; the rest are reserved and must be zero.
    assert_eq!(
        signature_failures, 466,
        "flips that reached the signature check"
    );
}

#[test]
fn a_wrong_products_root_fails_the_chain() {
    let mut milan = evidence("test-report.bin", "test-vcek.der");
    milan.product = Some(Product::Genoa);
    let err = verifier()
        .verify(&milan, ExpectedReportData::Unchecked)
        .unwrap_err();
    assert!(
        matches!(
            err,
            AttestError::Chain {
                product: Product::Genoa,
                kind: EndorsementKind::Vcek,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .starts_with("certificate chain: VCEK does not chain to AMD's Genoa root"),
        "{err}"
    );
}

#[test]
fn a_vlek_presented_as_a_vcek_fails() {
    let mut claimed = evidence("test-vlek-report.bin", "test-vlek.der");
    claimed.declared_kind = Some(EndorsementKind::Vcek);
    let err = verifier()
        .verify_at(&claimed, ExpectedReportData::Unchecked, VLEK_VALID)
        .unwrap_err();
    assert!(
        matches!(err, AttestError::EndorsementKindMismatch { .. }),
        "{err:?}"
    );

    // A VLEK offered for a report a VCEK signed does not verify it.
    let swapped = evidence("test-report.bin", "test-vlek.der");
    let err = verifier()
        .verify_at(&swapped, ExpectedReportData::Unchecked, VLEK_VALID)
        .unwrap_err();
    assert!(matches!(err, AttestError::Signature(_)), "{err:?}");
}

#[test]
fn the_vcek_must_belong_to_the_reporting_chip() {
    // Azure's Milan VCEK is genuine, but not the key of the chip that made test-report.bin.
    let err = verifier()
        .verify(
            &evidence("test-report.bin", "az_vcek.der"),
            ExpectedReportData::Unchecked,
        )
        .unwrap_err();
    assert!(
        matches!(err, AttestError::Signature(_) | AttestError::ChipIdMismatch),
        "{err:?}"
    );
}

#[test]
fn malformed_vceks_are_refused_clearly() {
    for cert in ["test-vcek-invalid-legacy.der", "test-vcek-invalid-new.der"] {
        let err = verifier()
            .verify(
                &evidence("test-report.bin", cert),
                ExpectedReportData::Unchecked,
            )
            .unwrap_err();
        let message = err.to_string();
        assert!(
            matches!(
                err,
                AttestError::Chain { .. }
                    | AttestError::MalformedCertificate { .. }
                    | AttestError::Extension { .. }
            ),
            "{cert}: {err:?}"
        );
        assert!(!message.is_empty());
    }
    let err = verifier()
        .verify(
            &evidence("test-report.bin", "test-report.bin"),
            ExpectedReportData::Unchecked,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            AttestError::MalformedCertificate {
                which: "endorsement key",
                ..
            }
        ),
        "{err:?}"
    );
    let mut short = evidence("test-report.bin", "test-vcek.der");
    short.report.truncate(1000);
    assert_eq!(
        verifier()
            .verify(&short, ExpectedReportData::Unchecked)
            .unwrap_err(),
        AttestError::MalformedReport("1000 bytes, a report is 1184".into())
    );
}

#[test]
fn report_data_and_measurement_are_enforced() {
    let good = evidence("test-report.bin", "test-vcek.der");
    let verified = verifier()
        .verify(&good, ExpectedReportData::Unchecked)
        .unwrap();
    verifier()
        .verify(&good, ExpectedReportData::Binding(verified.report_data))
        .unwrap();
    let other = ReportDataBinding {
        vault_key: [1; 20],
        hpke_public_key: [2; 32],
        tls_spki_sha256: [3; 32],
        chain_view: [5; 32],
        nonce: [4; 32],
    };
    assert_eq!(
        verifier()
            .verify(&good, ExpectedReportData::Binding(other.report_data()))
            .unwrap_err(),
        AttestError::ReportDataMismatch
    );
    verified
        .require_measurement(|m| *m == verified.measurement)
        .unwrap();
    let err = verified.require_measurement(|_| false).unwrap_err();
    assert!(matches!(err, AttestError::MeasurementNotApproved { .. }));
}

#[test]
fn minimum_tcb_is_enforced() {
    let good = evidence("test-report.bin", "test-vcek.der");
    let reported = verifier()
        .verify(&good, ExpectedReportData::Unchecked)
        .unwrap()
        .reported_tcb;
    let mut min_tcb = MinimumTcb::shipped();
    min_tcb
        .set(&format!(
            "milan={}.{}.{}.{}",
            reported.bootloader,
            reported.tee,
            reported.snp + 1,
            reported.microcode
        ))
        .unwrap();
    let policy = Policy {
        min_tcb,
        ..Policy::default()
    };
    let err = Verifier::production(policy)
        .verify(&good, ExpectedReportData::Unchecked)
        .unwrap_err();
    assert_eq!(
        err,
        AttestError::TcbTooLow {
            component: "SNP",
            found: reported.snp,
            minimum: reported.snp + 1
        }
    );
}

#[test]
fn certificates_are_checked_for_validity() {
    let good = evidence("test-report.bin", "test-vcek.der");
    let err = verifier()
        .verify_at(&good, ExpectedReportData::Unchecked, 0)
        .unwrap_err();
    assert!(
        matches!(
            err,
            AttestError::CertificateValidity {
                which: "endorsement key",
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn pinned_roots_are_amds() {
    for (product, ark, ask) in [
        (
            Product::Milan,
            sev::certs::snp::builtin::milan::ARK,
            sev::certs::snp::builtin::milan::ASK,
        ),
        (
            Product::Genoa,
            sev::certs::snp::builtin::genoa::ARK,
            sev::certs::snp::builtin::genoa::ASK,
        ),
        (
            Product::Turin,
            sev::certs::snp::builtin::turin::ARK,
            sev::certs::snp::builtin::turin::ASK,
        ),
    ] {
        let root = TrustRoot::amd(product);
        let der = |pem: &[u8]| {
            use x509_cert::der::{DecodePem, Encode};
            x509_cert::Certificate::from_pem(pem)
                .unwrap()
                .to_der()
                .unwrap()
        };
        assert_eq!(root.ark_der(), der(ark), "{product} ARK");
        assert_eq!(root.ask_der(), der(ask), "{product} ASK");
    }
    let _ = vector("test-report.bin");
}

#[test]
fn a_cached_chain_does_not_excuse_anything_else() {
    let verifier = verifier();
    let good = evidence("test-report.bin", "test-vcek.der");
    verifier
        .verify(&good, ExpectedReportData::Unchecked)
        .unwrap();
    let mut tampered = good.clone();
    tampered.report[0x90] ^= 1;
    assert!(matches!(
        verifier.verify(&tampered, ExpectedReportData::Unchecked),
        Err(AttestError::Signature(_))
    ));
    assert!(matches!(
        verifier.verify_at(&good, ExpectedReportData::Unchecked, 0),
        Err(AttestError::CertificateValidity { .. })
    ));
    let mut genoa = good.clone();
    genoa.product = Some(Product::Genoa);
    assert!(matches!(
        verifier.verify(&genoa, ExpectedReportData::Unchecked),
        Err(AttestError::Chain { .. })
    ));
    verifier
        .verify(&good, ExpectedReportData::Unchecked)
        .unwrap();
}

/// The shipped floor holds every real report it ships with; a product line without a floor is refused, not
/// waved through; the verdict names the floor applied.
#[test]
fn the_shipped_minimum_tcb_is_met_and_an_unset_one_refuses() {
    for (report, cert) in [
        ("az-milan-snp-report.bin", "az_vcek.der"),
        ("az-genoa-snp-report.bin", "az-genoa-vcek.pem"),
    ] {
        let verified = verifier()
            .verify(&evidence(report, cert), ExpectedReportData::Unchecked)
            .unwrap();
        let floor = MinimumTcb::shipped();
        assert_eq!(&verified.minimum_tcb, floor.of(verified.product).unwrap());
        assert!(verified.reported_tcb.snp >= verified.minimum_tcb.snp);
    }
    let none = Verifier::production(Policy {
        min_tcb: MinimumTcb::none(),
        ..Policy::default()
    });
    let err = none
        .verify(
            &evidence("az-genoa-snp-report.bin", "az-genoa-vcek.pem"),
            ExpectedReportData::Unchecked,
        )
        .unwrap_err();
    assert_eq!(
        err,
        AttestError::NoMinimumTcb {
            product: Product::Genoa
        }
    );
    assert!(err.to_string().contains("set one"), "{err}");
}
