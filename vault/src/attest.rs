//! `dnavault-vault attest verify`: checks an SNP report and its VCEK/VLEK against AMD's pinned roots.

use std::{path::PathBuf, process::ExitCode};

use clap::{Args, Subcommand};
use dnavault_attest::{Evidence, ExpectedReportData, Policy, Product, Verifier};
use eyre::{WrapErr, eyre};
use serde_json::json;

#[derive(Debug, Subcommand)]
pub(crate) enum AttestCommand {
    /// Verify a report: prints measurement, chip id, TCB and report data, or the failed check (exit 1).
    Verify(VerifyArgs),
}

#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The raw 1184-byte attestation report.
    #[arg(long, value_name = "FILE")]
    report: PathBuf,
    /// The VCEK or VLEK certificate (DER or PEM).
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// The product line (milan, genoa, turin); read from the certificate when absent.
    #[arg(long)]
    product: Option<Product>,
    /// The REPORT_DATA the report must carry (128 hex digits); without it REPORT_DATA is shown, not checked.
    #[arg(long, value_name = "HEX")]
    report_data: Option<String>,
    /// The least privileged VMPL accepted.
    #[arg(long, default_value_t = 0)]
    max_vmpl: u32,
    /// Raise the minimum TCB for a product line (repeat per product):
    /// PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC].
    #[arg(long = "min-tcb", value_name = "SPEC")]
    min_tcb: Vec<String>,
    /// Refuse a report from a host running with SMT enabled.
    #[arg(long)]
    refuse_smt: bool,
    /// Check certificate validity at this Unix time instead of now (for recorded evidence).
    #[arg(long, value_name = "UNIX")]
    at: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: AttestCommand) -> eyre::Result<ExitCode> {
    match command {
        AttestCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> eyre::Result<ExitCode> {
    let report = std::fs::read(&args.report).wrap_err_with(|| args.report.display().to_string())?;
    let cert = std::fs::read(&args.cert).wrap_err_with(|| args.cert.display().to_string())?;
    let expected = match &args.report_data {
        Some(text) => {
            let bytes = hex::decode(text.trim().trim_start_matches("0x"))
                .wrap_err("--report-data is not hex")?;
            ExpectedReportData::Binding(
                bytes
                    .try_into()
                    .map_err(|_| eyre!("--report-data must be 64 bytes"))?,
            )
        }
        None => ExpectedReportData::Unchecked,
    };
    let verifier = Verifier::production(Policy {
        max_vmpl: args.max_vmpl,
        ..Policy::configured(&args.min_tcb, !args.refuse_smt)?
    });
    let outcome = Evidence::new(report, &cert).and_then(|mut evidence| {
        evidence.product = args.product;
        match args.at {
            Some(at) => verifier.verify_at(&evidence, expected, at),
            None => verifier.verify(&evidence, expected),
        }
    });
    let verified = match outcome {
        Ok(verified) => verified,
        Err(failure) => {
            if args.json {
                println!(
                    "{}",
                    json!({ "verified": false, "failure": failure.to_string() })
                );
            } else {
                eprintln!("NOT VERIFIED: {failure}");
            }
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.json {
        let mut value = serde_json::to_value(&verified)?;
        value["verified"] = json!(true);
        value["reportDataChecked"] = json!(args.report_data.is_some());
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        let tcb = verified.reported_tcb;
        println!(
            "verified:     yes: report v{} signed by a {} (AMD {} root)",
            verified.version, verified.kind, verified.product
        );
        println!("measurement:  {}", hex::encode(verified.measurement));
        println!("chip id:      {}", hex::encode(verified.chip_id));
        println!(
            "reported TCB: bootloader {} tee {} snp {} microcode {}{}",
            tcb.bootloader,
            tcb.tee,
            tcb.snp,
            tcb.microcode,
            tcb.fmc.map(|f| format!(" fmc {f}")).unwrap_or_default()
        );
        println!("vmpl:         {}", verified.vmpl);
        println!(
            "report data:  {}{}",
            hex::encode(verified.report_data),
            if args.report_data.is_some() {
                " (matches)"
            } else {
                " (not checked)"
            }
        );
    }
    Ok(ExitCode::SUCCESS)
}
