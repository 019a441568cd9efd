//! `dnavault-vault`: the DNA Vault service, and the tools its owner uses around it.

mod attest;
mod genome;
mod measure;
mod serve;
mod tool_manifest;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tracing_subscriber::fmt::format::FmtSpan;

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
    /// Run a vault: it starts sealed and serves its boot request over attested TLS.
    Serve(Box<serve::ServeArgs>),
    /// Seal a running vault: it wipes its keys and stops.
    Seal(serve::ControlArgs),
    /// A running vault's status.
    Status(serve::ControlArgs),
    /// Ask the owner, through the relay, to approve new code for this vault; waits for the registry to
    /// show it approved, or for the owner's no.
    ProposeUpdate(serve::ProposeArgs),
    /// Ask the owner, through the relay, to install an analysis tool in this vault (by its manifest);
    /// waits for the registry to show it approved, or for the owner's no.
    ProposeTool(serve::ProposeToolArgs),
    /// The launch measurement a guest will have, to approve before it boots.
    Measure(measure::MeasureArgs),
    /// SEV-SNP attestation.
    #[command(subcommand)]
    Attest(attest::AttestCommand),
    /// The manifest of an installed analysis program (bcftools, plink2), for its owner to approve.
    ToolManifest(tool_manifest::ToolManifestArgs),
    /// The vault's analyses on your own plaintext genome file (no chain, no vault).
    #[command(subcommand)]
    Genome(genome::GenomeCommand),
}

fn main() -> ExitCode {
    // Started by the vault itself to run an analysis tool confined: confine, then become the tool. First,
    // while this process has one thread (new namespaces need that).
    dnavault_sandbox::launch_if_asked();
    // `DNAVAULT_LOG_SPAN_TIMES=1` logs each enabled span's time as it closes (with
    // `RUST_LOG=info,dnavault_vault::stage=debug`, every stage of every query: the load test reads them).
    let span_times = std::env::var_os("DNAVAULT_LOG_SPAN_TIMES").is_some_and(|v| v == "1");
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_span_events(if span_times {
            FmtSpan::CLOSE
        } else {
            FmtSpan::NONE
        })
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Attest(command) => attest::run(command),
        Command::Genome(command) => genome::run(command).map(|()| ExitCode::SUCCESS),
        Command::ToolManifest(args) => tool_manifest::run(args).map(|()| ExitCode::SUCCESS),
        Command::Measure(args) => measure::run(args).map(|()| ExitCode::SUCCESS),
        Command::Serve(args) => runtime(serve::serve(*args)),
        Command::Seal(args) => runtime(serve::seal(args)),
        Command::Status(args) => runtime(serve::status(args)),
        Command::ProposeUpdate(args) => runtime(serve::propose_update(args)),
        Command::ProposeTool(args) => runtime(serve::propose_tool(args)),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime(work: impl Future<Output = eyre::Result<()>>) -> eyre::Result<ExitCode> {
    tokio::runtime::Runtime::new()?.block_on(work)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
