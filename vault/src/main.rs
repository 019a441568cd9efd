//! `dnavault-vault`: the DNA Vault service. So far: inspecting and verifying SEV-SNP attestation evidence.

mod attest;

use dnavault_vault as _;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The DNA Vault service: sealed until its owner's wallet releases the data key; stores a genome encrypted
/// and runs consented queries.
#[derive(Debug, Parser)]
#[command(name = "dnavault-vault", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// SEV-SNP attestation.
    #[command(subcommand)]
    Attest(attest::AttestCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Attest(command) => attest::run(command),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
