//! `dnavault-vault attest verify` on real AMD evidence.

use std::process::Command;

fn vector(name: &str) -> String {
    format!(
        "{}/../crates/attest/tests/vectors/snp/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn verify(args: &[&str]) -> (i32, serde_json::Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_dnavault-vault"))
        .args(["attest", "verify", "--json"])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        serde_json::from_slice(&out.stdout).unwrap(),
    )
}

#[test]
fn prints_what_a_verified_report_says() {
    let (code, json) = verify(&[
        "--report",
        &vector("test-report.bin"),
        "--cert",
        &vector("test-vcek.der"),
    ]);
    assert_eq!(code, 0);
    assert_eq!(json["verified"], true);
    assert_eq!(json["product"], "Milan");
    assert_eq!(json["kind"], "Vcek");
    assert_eq!(
        json["measurement"],
        "a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c"
    );
    assert_eq!(json["reportedTcb"]["snp"], 8);
    assert_eq!(json["reportedTcb"]["microcode"], 115);
    assert_eq!(json["testOnly"], false);
    assert_eq!(json["reportDataChecked"], false);
}

#[test]
fn names_the_failed_check_and_exits_non_zero() {
    let (code, json) = verify(&[
        "--report",
        &vector("test-report.bin"),
        "--cert",
        &vector("test-vcek.der"),
        "--product",
        "genoa",
    ]);
    assert_eq!(code, 1);
    assert_eq!(json["verified"], false);
    assert!(
        json["failure"]
            .as_str()
            .unwrap()
            .starts_with("certificate chain: VCEK does not chain to AMD's Genoa root")
    );

    let (code, json) = verify(&[
        "--report",
        &vector("test-report.bin"),
        "--cert",
        &vector("test-vcek.der"),
        "--report-data",
        &"00".repeat(64),
    ]);
    assert_eq!(code, 1);
    assert!(
        json["failure"]
            .as_str()
            .unwrap()
            .starts_with("REPORT_DATA does not match")
    );
}

#[test]
fn recorded_evidence_checks_validity_at_a_given_time() {
    let args = [
        "--report",
        &vector("test-vlek-report.bin"),
        "--cert",
        &vector("test-vlek.der"),
        "--max-vmpl",
        "1",
    ];
    let (code, _) = verify(&args);
    assert_eq!(code, 1, "the VLEK expired on 2025-12-10");
    let mut at = args.to_vec();
    at.extend(["--at", "1750000000"]);
    let (code, json) = verify(&at);
    assert_eq!(code, 0);
    assert_eq!(json["kind"], "Vlek");
}
