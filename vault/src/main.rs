//! `dnavault-vault`: The DNA Vault service: sealed until its owner's wallet releases the data key; stores a genome encrypted and runs consented queries. Its commands arrive with the attestation and genome-store work.

use clap::Parser;

/// The DNA Vault service: sealed until its owner's wallet releases the data key; stores a genome encrypted and runs consented queries. Its commands arrive with the attestation and genome-store work.
#[derive(Parser)]
#[command(name = "dnavault-vault", version, about)]
struct Cli {}

fn main() {
    let Cli {} = Cli::parse();
    eprintln!(
        "dnavault-vault {}: no commands yet; see --help",
        env!("CARGO_PKG_VERSION")
    );
    std::process::exit(2);
}
