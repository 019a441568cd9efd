//! `dnavault-web`: The DNA Vault website: chain indexer, vault directory, access requests, owner dashboard and approval relay. Its commands arrive with the website work.

use clap::Parser;

/// The DNA Vault website: chain indexer, vault directory, access requests, owner dashboard and approval relay. Its commands arrive with the website work.
#[derive(Parser)]
#[command(name = "dnavault-web", version, about)]
struct Cli {}

fn main() {
    let Cli {} = Cli::parse();
    eprintln!(
        "dnavault-web {}: no commands yet; see --help",
        env!("CARGO_PKG_VERSION")
    );
    std::process::exit(2);
}
