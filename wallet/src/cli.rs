//! Command-line arguments and the session every command runs in.

mod audit;
mod boot;
mod hpke;
mod inbox;
mod keys;
mod owner;
mod register;
mod registry;
mod request;
mod session;
mod sign;
mod upload;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub(crate) use session::Session;

/// The DNA Vault wallet: one 12-word recovery phrase, every key, and your signature on everything that
/// happens to your vaults.
#[derive(Debug, Parser)]
#[command(name = "dnavault-wallet", version, about, long_about = None)]
pub(crate) struct Cli {
    /// The wallet's directory (keystore and config).
    #[arg(long, env = "DNAVAULT_HOME", global = true, value_name = "DIR")]
    home: Option<PathBuf>,
    /// Read the keystore passphrase from this file (else $DNAVAULT_PASSWORD, else a prompt).
    #[arg(long, global = true, value_name = "FILE")]
    password_file: Option<PathBuf>,
    /// Print results as JSON.
    #[arg(long, global = true)]
    json: bool,
    /// Sign without asking (for scripts): the explanation is still printed to standard error.
    #[arg(long, short = 'y', global = true)]
    yes: bool,
    /// scrypt cost (log2 N) for new keystores. Lowering it weakens the keystore: tests only.
    #[arg(long, env = "DNAVAULT_KDF_LOG_N", global = true, hide = true)]
    kdf_log_n: Option<u8>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a wallet: 12 new words, shown once, and an encrypted keystore.
    New(keys::NewArgs),
    /// Restore a wallet from its words (from a file or standard input, never the command line).
    Restore(keys::RestoreArgs),
    /// Show an account's address and the wallet's public key fingerprints.
    Show(keys::ShowArgs),
    /// Show the recovery words (only when you mean to write them down again).
    Export,
    /// Show or set the chain and registry the wallet uses.
    Config(keys::ConfigArgs),
    /// Print the TLS client certificate (and optionally write its private key, 0600).
    TlsCert(keys::TlsCertArgs),
    /// OpenPGP: export the public key, sign, verify, encrypt, decrypt.
    #[command(subcommand)]
    Pgp(keys::PgpCommand),
    /// HPKE: open results a vault sealed to you.
    #[command(subcommand)]
    Hpke(hpke::HpkeCommand),
    /// Sign an eth_signTypedData_v4 JSON document.
    SignTypedData(sign::SignTypedDataArgs),
    /// Print the EIP-712 digest of an eth_signTypedData_v4 JSON document.
    TypedDataHash(sign::TypedDataHashArgs),
    /// Sign a message with EIP-191 (personal_sign).
    SignMessage(sign::SignMessageArgs),
    /// Register a new vault, owned by your account (your transaction).
    RegisterVault(register::RegisterArgs),
    /// Allow a researcher to run an analysis on your vault.
    Grant(registry::GrantArgs),
    /// Withdraw a researcher's access.
    Revoke(registry::RevokeArgs),
    /// Approve new vault code (an SNP launch measurement).
    ApproveMeasurement(registry::MeasurementArgs),
    /// Withdraw approval of vault code.
    RevokeMeasurement(registry::MeasurementArgs),
    /// Install an analysis tool in your vault (approve its manifest's hash: a code update).
    ApproveTool(registry::ToolArgs),
    /// Remove an installed analysis tool.
    RevokeTool(registry::ToolArgs),
    /// Print a tool manifest's identity (the hash owners approve and grants name).
    ToolId(registry::ToolIdArgs),
    /// Bind a booted vault's attested signing key.
    BindVaultKey(registry::BindArgs),
    /// Answer a sealed vault's boot request: verify it, then release its data key.
    Boot(boot::BootArgs),
    /// Put a file (a VCF, its index, a raw genotype file) into your vault, encrypted.
    Upload(upload::UploadArgs),
    /// Read your vault's audit log: uploads, queries, refusals, anchored receipts.
    Audit(audit::AuditArgs),
    /// Sign a boot approval by hand (off-chain; `boot` does this after verifying the vault).
    ApproveBoot(registry::BootArgs),
    /// Approve one query under a grant that asks for it (off-chain).
    ApproveQuery(registry::QueryArgs),
    /// Researchers: file an access request for a vault on-chain.
    RequestAccess(request::RequestArgs),
    /// Deny a researcher's pending access request to your vault (your transaction).
    DenyRequest(request::DenyArgs),
    /// Void messages you signed for a vault that are not used yet (a grant handed over and not relayed).
    CancelSignatures(registry::CancelArgs),
    /// Your relay inbox: pair it, list what waits in words, answer boot requests.
    #[command(subcommand)]
    Inbox(inbox::InboxCommand),
}

pub(crate) async fn run(cli: Cli) -> eyre::Result<()> {
    let session = Session::new(
        cli.home,
        cli.password_file,
        cli.json,
        cli.yes,
        cli.kdf_log_n,
    )?;
    match cli.command {
        Command::New(args) => keys::new(&session, args),
        Command::Restore(args) => keys::restore(&session, args),
        Command::Show(args) => keys::show(&session, &args),
        Command::Export => keys::export(&session),
        Command::Config(args) => keys::config(&session, args).await,
        Command::TlsCert(args) => keys::tls_cert(&session, &args),
        Command::Pgp(command) => keys::pgp(&session, command),
        Command::Hpke(command) => hpke::run(&session, command),
        Command::SignTypedData(args) => sign::sign_typed_data(&session, args).await,
        Command::TypedDataHash(args) => sign::typed_data_hash(&session, &args),
        Command::SignMessage(args) => sign::sign_message(&session, args).await,
        Command::RegisterVault(args) => register::register_vault(&session, args).await,
        Command::Grant(args) => registry::grant(&session, args).await,
        Command::Revoke(args) => registry::revoke(&session, args).await,
        Command::ApproveMeasurement(args) => registry::approve_measurement(&session, args).await,
        Command::RevokeMeasurement(args) => registry::revoke_measurement(&session, args).await,
        Command::ApproveTool(args) => registry::approve_tool(&session, args).await,
        Command::RevokeTool(args) => registry::revoke_tool(&session, args).await,
        Command::ToolId(args) => registry::tool_id(&session, &args),
        Command::BindVaultKey(args) => registry::bind_vault_key(&session, args).await,
        Command::Boot(args) => boot::run(&session, args).await,
        Command::Upload(args) => upload::run(&session, args).await,
        Command::Audit(args) => audit::run(&session, args).await,
        Command::ApproveBoot(args) => registry::approve_boot(&session, args).await,
        Command::ApproveQuery(args) => registry::approve_query(&session, args).await,
        Command::CancelSignatures(args) => registry::cancel_signatures(&session, args).await,
        Command::RequestAccess(args) => request::request_access(&session, args).await,
        Command::DenyRequest(args) => request::deny_request(&session, args).await,
        Command::Inbox(command) => inbox::run(&session, command).await,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
