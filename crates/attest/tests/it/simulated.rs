//! The simulated backend: verified by the same code, accepted only when test roots are, and loud about it.

use std::sync::OnceLock;

use dnavault_attest::{
    AttestError, ExpectedReportData, Policy, ReportDataBinding, Verifier,
    simulated::{GuestConfig, SimulatedPlatform},
};

fn platform() -> &'static SimulatedPlatform {
    static PLATFORM: OnceLock<SimulatedPlatform> = OnceLock::new();
    PLATFORM.get_or_init(|| SimulatedPlatform::new().unwrap())
}

fn guest() -> GuestConfig {
    let binding = ReportDataBinding {
        vault_key: [7; 20],
        hpke_public_key: [8; 32],
        tls_spki_sha256: [9; 32],
        chain_view: [5; 32],
        nonce: [1; 32],
    };
    GuestConfig::vault([0xAB; 48], binding.report_data())
}

fn test_verifier() -> Verifier {
    Verifier::production(Policy {
        accept_test_roots: true,
        ..Policy::default()
    })
    .with_test_root(platform().trust_root())
}

#[test]
fn simulated_evidence_verifies_as_test_only() {
    let evidence = platform().attest(&guest()).unwrap();
    let verified = test_verifier()
        .verify(&evidence, ExpectedReportData::Binding(guest().report_data))
        .unwrap();
    assert!(verified.test_only, "evidence from a test root must say so");
    assert_eq!(verified.measurement, [0xAB; 48]);
    verified.require_measurement(|m| *m == [0xAB; 48]).unwrap();
}

#[test]
fn production_configuration_refuses_the_test_root() {
    let evidence = platform().attest(&guest()).unwrap();
    // Even with the root added, a policy that does not accept test roots refuses it.
    let strict = Verifier::production(Policy::default()).with_test_root(platform().trust_root());
    assert_eq!(
        strict
            .verify(&evidence, ExpectedReportData::Unchecked)
            .unwrap_err(),
        AttestError::TestRootRefused
    );
    // And a production verifier, which knows only AMD's roots, finds no chain at all.
    let err = Verifier::production(Policy::default())
        .verify(&evidence, ExpectedReportData::Unchecked)
        .unwrap_err();
    assert!(matches!(err, AttestError::Chain { .. }), "{err:?}");
    // Accepting test roots without naming one does not help either.
    let err = Verifier::production(Policy {
        accept_test_roots: true,
        ..Policy::default()
    })
    .verify(&evidence, ExpectedReportData::Unchecked)
    .unwrap_err();
    assert!(matches!(err, AttestError::Chain { .. }), "{err:?}");
}

#[test]
fn simulated_reports_are_checked_like_real_ones() {
    let debug = platform()
        .attest(&GuestConfig {
            debug: true,
            ..guest()
        })
        .unwrap();
    assert_eq!(
        test_verifier()
            .verify(&debug, ExpectedReportData::Unchecked)
            .unwrap_err(),
        AttestError::DebugAllowed
    );

    let migratable = platform()
        .attest(&GuestConfig {
            migration_agent: true,
            ..guest()
        })
        .unwrap();
    assert_eq!(
        test_verifier()
            .verify(&migratable, ExpectedReportData::Unchecked)
            .unwrap_err(),
        AttestError::MigrationAgentAllowed
    );

    // SMT is allowed by default and refused when the owner asks; either way the verdict says which.
    let verified = test_verifier()
        .verify(
            &platform().attest(&guest()).unwrap(),
            ExpectedReportData::Unchecked,
        )
        .unwrap();
    assert!(verified.guest.smt_enabled && !verified.guest.debug && !verified.guest.migration_agent);
    let no_smt = Verifier::production(Policy {
        accept_test_roots: true,
        allow_smt: false,
        ..Policy::default()
    })
    .with_test_root(platform().trust_root());
    assert_eq!(
        no_smt
            .verify(
                &platform().attest(&guest()).unwrap(),
                ExpectedReportData::Unchecked
            )
            .unwrap_err(),
        AttestError::SmtEnabled
    );
    let without_smt = platform()
        .attest(&GuestConfig {
            smt_enabled: false,
            ..guest()
        })
        .unwrap();
    assert!(
        no_smt
            .verify(&without_smt, ExpectedReportData::Unchecked)
            .is_ok()
    );

    let vmpl2 = platform()
        .attest(&GuestConfig { vmpl: 2, ..guest() })
        .unwrap();
    assert_eq!(
        test_verifier()
            .verify(&vmpl2, ExpectedReportData::Unchecked)
            .unwrap_err(),
        AttestError::Vmpl { found: 2, max: 0 }
    );

    let mut tampered = platform().attest(&guest()).unwrap();
    tampered.report[0x90] ^= 1; // inside REPORT_DATA
    assert!(matches!(
        test_verifier().verify(&tampered, ExpectedReportData::Unchecked),
        Err(AttestError::Signature(_))
    ));

    let other = ReportDataBinding {
        vault_key: [7; 20],
        hpke_public_key: [8; 32],
        tls_spki_sha256: [9; 32],
        chain_view: [5; 32],
        nonce: [2; 32],
    };
    let evidence = platform().attest(&guest()).unwrap();
    assert_eq!(
        test_verifier()
            .verify(&evidence, ExpectedReportData::Binding(other.report_data()))
            .unwrap_err(),
        AttestError::ReportDataMismatch,
        "a report for another nonce is a replay"
    );
}

#[test]
fn another_platforms_root_does_not_verify() {
    let other = SimulatedPlatform::new().unwrap();
    let evidence = other.attest(&guest()).unwrap();
    let err = test_verifier()
        .verify(&evidence, ExpectedReportData::Unchecked)
        .unwrap_err();
    assert!(matches!(err, AttestError::Chain { .. }), "{err:?}");
}
