//! `dnavault-wallet`: The owner's authenticator: one 12-word seed, every key, EIP-712 approvals. Its commands arrive with the wallet work.

use clap::Parser;

/// The owner's authenticator: one 12-word seed, every key, EIP-712 approvals. Its commands arrive with the wallet work.
#[derive(Parser)]
#[command(name = "dnavault-wallet", version, about)]
struct Cli {}

fn main() {
    let Cli {} = Cli::parse();
    eprintln!(
        "dnavault-wallet {}: no commands yet; see --help",
        env!("CARGO_PKG_VERSION")
    );
    std::process::exit(2);
}
