//! `dnavault-researcher`: ask one vault or fan a query out to many, with results opened and receipts checked.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::Arc,
};

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use clap::{Args, Parser, Subcommand};
use dnavault_attest::Verifier;
use dnavault_protocol::{
    descriptor::Descriptor,
    purpose::Purpose,
    query::{
        AlleleCounts, BeaconAllele, GenotypeLookup, OwnerApproval, PolygenicScore, Position, Query,
        Region,
    },
};
use dnavault_researcher::{
    AttestedVault, Chain, Prepared, Researcher, Terms,
    fanout::{Target, fan_out, total_allele_counts},
};
use eyre::{WrapErr, bail, eyre};
use serde_json::json;
use zeroize::Zeroizing;

#[derive(Debug, Parser)]
#[command(
    name = "dnavault-researcher",
    version,
    about = "Consented queries on DNA Vaults"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Prints the researcher's address (what owners grant to) and HPKE key.
    Whoami(KeyArgs),
    /// Asks one vault; prints the opened result and the checked receipt as JSON.
    Query {
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        chain: ChainArgs,
        /// The vault's URL.
        #[arg(long)]
        vault: String,
        /// The vault's id in the registry.
        #[arg(long)]
        vault_id: u64,
        #[command(flatten)]
        terms: TermsArgs,
        #[command(flatten)]
        query: QueryArgs,
        /// Sign the request (valid for an hour) and write it to FILE instead of sending it: for a grant that
        /// asks the owner to approve each query, the owner approves this file with `dnavault-wallet
        /// approve-query --submission FILE`.
        #[arg(long, value_name = "FILE", conflicts_with_all = ["submission", "approval"])]
        prepare_only: Option<PathBuf>,
        /// Send the request prepared in FILE (by --prepare-only) instead of building one.
        #[arg(long, value_name = "FILE")]
        submission: Option<PathBuf>,
        /// The owner's approval of this request, as `dnavault-wallet approve-query` prints it.
        #[arg(long, value_name = "FILE")]
        approval: Option<PathBuf>,
        /// Ask the vault's owner to approve this request through the relay at URL (the website's), wait
        /// for the answer and attach it: for a grant that asks for each query's approval.
        #[arg(long, value_name = "URL", conflicts_with_all = ["approval", "prepare_only"])]
        approval_via: Option<String>,
        /// How long to wait for the owner's answer through the relay, in seconds.
        #[arg(long, default_value_t = 600)]
        approval_wait: u64,
        /// For a tool run: write each output to a file in DIR under the name the granted manifest declares
        /// (`stdout` for its standard output), instead of printing it in hex; an existing file is kept.
        #[arg(long, value_name = "DIR")]
        outputs_dir: Option<PathBuf>,
    },
    /// Asks many vaults at once; prints which answered and which refused (and why), and for allele counts
    /// the totals over the vaults that answered.
    FanOut {
        #[command(flatten)]
        key: KeyArgs,
        #[command(flatten)]
        chain: ChainArgs,
        /// The vaults: one `VAULT_ID URL` per line.
        #[arg(long, value_name = "FILE")]
        vaults: PathBuf,
        #[command(flatten)]
        terms: TermsArgs,
        #[command(flatten)]
        query: QueryArgs,
    },
}

/// What the query is asked under.
#[derive(Debug, Args)]
struct TermsArgs {
    /// The analysis descriptor of the grant to ask under (JSON; see crates/protocol/descriptors): the query
    /// must lie inside it.
    #[arg(long, value_name = "FILE")]
    descriptor: Option<PathBuf>,
    /// The purpose this query is for, in DUO terms the grant's purpose must cover: a permission, then the
    /// modifiers you accept (`HMB+NCU`, `DS/MONDO:0007254`, `DUO:0000042`).
    #[arg(long)]
    purpose: Option<String>,
}

impl TermsArgs {
    fn read(&self) -> eyre::Result<Terms> {
        let (Some(descriptor), Some(purpose)) = (&self.descriptor, &self.purpose) else {
            bail!("name the grant's --descriptor and the query's --purpose");
        };
        Ok(Terms {
            descriptor: read_descriptor(descriptor)?,
            purpose: Purpose::parse(purpose).wrap_err("--purpose")?,
        })
    }
}

#[derive(Debug, Args)]
struct KeyArgs {
    /// A file holding the researcher's Ethereum private key (hex).
    #[arg(long, env = "DNAVAULT_RESEARCHER_KEY_FILE", value_name = "FILE")]
    key_file: PathBuf,
}

#[derive(Debug, Args)]
struct ChainArgs {
    /// The chain's JSON-RPC URL.
    #[arg(long, env = "DNAVAULT_RPC_URL")]
    rpc_url: String,
    /// The VaultRegistry's address.
    #[arg(long)]
    registry: Address,
    /// Accept vaults on a SIMULATED platform whose test-only roots are in this PEM bundle (development only).
    #[arg(long, value_name = "PEM")]
    accept_test_platform: Option<PathBuf>,
    /// Raise the minimum TCB for a product line (repeat per product):
    /// PRODUCT=BOOTLOADER.TEE.SNP.MICROCODE[.FMC], e.g. genoa=10.0.23.84.
    #[arg(long = "min-tcb", value_name = "SPEC")]
    min_tcb: Vec<String>,
    /// Refuse a vault whose host runs with SMT enabled.
    #[arg(long)]
    refuse_smt: bool,
}

#[derive(Debug, Args)]
#[group(multiple = false)]
struct QueryArgs {
    /// Genotypes at the rsIDs in FILE (one per line).
    #[arg(long, value_name = "FILE")]
    rsid_file: Option<PathBuf>,
    /// Genotypes in the regions in FILE (what `bcftools view -R` takes: CHROM POS or CHROM BEG END).
    #[arg(long, value_name = "FILE")]
    regions_file: Option<PathBuf>,
    /// Allele counts at the positions in FILE (CHROM POS per line).
    #[arg(long, value_name = "FILE")]
    allele_counts: Option<PathBuf>,
    /// A polygenic score with the PGS Catalog scoring file FILE (plain text).
    #[arg(long, value_name = "FILE")]
    score: Option<PathBuf>,
    /// A Beacon v2 allele query: the Beacon request body in FILE (JSON).
    #[arg(long, value_name = "FILE")]
    beacon: Option<PathBuf>,
    /// Any query, as JSON in FILE (`{"kind": ...}`).
    #[arg(long, value_name = "FILE")]
    query_file: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = tokio::runtime::Runtime::new()
        .wrap_err("cannot start the runtime")
        .and_then(|runtime| runtime.block_on(run(cli.command)));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> eyre::Result<()> {
    match command {
        Command::Whoami(key) => {
            let researcher = researcher(&key)?;
            let who = json!({
                "address": researcher.address().to_checksum(None),
                "recipientKey": researcher.recipient_key(),
            });
            println!("{who}");
        }
        Command::Query {
            key,
            chain,
            vault,
            vault_id,
            terms,
            query,
            prepare_only,
            submission,
            approval,
            approval_via,
            approval_wait,
            outputs_dir,
        } => {
            let researcher = researcher(&key)?;
            // Checked before anything is sent, so a query is not spent on outputs that cannot be written.
            let tool = match &outputs_dir {
                Some(dir) => {
                    let tool = granted_tool(&terms)?;
                    dnavault_researcher::outputs::ready(&tool, dir)?;
                    Some(tool)
                }
                None => None,
            };
            // What to send is read (and a malformed query refused) before the network is needed.
            let source = match &submission {
                Some(path) => Source::Prepared(read_json(path)?),
                None => Source::New(query.build()?, Box::new(terms.read()?)),
            };
            let (client, verifier) = connect(&chain).await?;
            let domain = client.domain();
            let prepared = match source {
                Source::Prepared(submission) => Prepared::from_submission(*submission, &domain),
                Source::New(query, terms) => {
                    let waits = prepare_only.is_some() || approval_via.is_some();
                    let lifetime = if waits { 3600 } else { 300 };
                    researcher.prepare(vault_id, &query, &terms, &domain, lifetime)?
                }
            };
            if let Some(path) = prepare_only {
                std::fs::write(&path, serde_json::to_vec_pretty(&prepared.submission)?)
                    .wrap_err_with(|| path.display().to_string())?;
                let written = json!({ "requestHash": prepared.request_hash, "submission": path });
                println!("{}", serde_json::to_string_pretty(&written)?);
                return Ok(());
            }
            let prepared = match (&approval, &approval_via) {
                (Some(path), _) => prepared.approved(owner_approval(path)?)?,
                (None, Some(relay)) => {
                    let wait = std::time::Duration::from_secs(approval_wait);
                    let approval = dnavault_researcher::approval::through_relay(
                        relay,
                        &client,
                        &researcher,
                        &prepared,
                        vault_id,
                        wait,
                    )
                    .await?;
                    prepared.approved(approval)?
                }
                (None, None) => prepared,
            };
            let attested = AttestedVault::connect(&vault, vault_id, &client, &verifier).await?;
            let opened = attested.deliver(&researcher, &prepared, &client).await?;
            let mut answer = json!({
                "vaultId": vault_id,
                "kind": opened.result.kind(),
                "result": opened.result,
                "receiptHash": opened.receipt_hash,
                "vaultKey": opened.vault_key,
            });
            if let (Some(dir), Some(tool)) = (&outputs_dir, &tool) {
                match written_outputs(&opened.result, tool, dir) {
                    Ok(written) => answer["result"]["outputs"] = written,
                    // The query is spent: its answer is printed whole rather than lost.
                    Err(error) => {
                        println!("{}", serde_json::to_string_pretty(&answer)?);
                        return Err(error.wrap_err("the answer is printed with its outputs in hex"));
                    }
                }
            }
            println!("{}", serde_json::to_string_pretty(&answer)?);
        }
        Command::FanOut {
            key,
            chain,
            vaults,
            terms,
            query,
        } => {
            let researcher = Arc::new(researcher(&key)?);
            let query = query.build()?;
            let terms = terms.read()?;
            let targets = read_targets(&vaults)?;
            let (client, verifier) = connect(&chain).await?;
            let verifier = Arc::new(verifier);
            let outcomes = fan_out(researcher, &client, verifier, &targets, &query, &terms).await;
            let answered = outcomes.iter().filter(|o| o.result.is_some()).count();
            let mut report = json!({
                "asked": outcomes.len(),
                "answered": answered,
                "refused": outcomes.len() - answered,
                "outcomes": outcomes,
            });
            if matches!(query, Query::AlleleCounts(_)) {
                report["totals"] =
                    serde_json::to_value(total_allele_counts(&outcomes).map_err(|e| eyre!(e))?)?;
            }
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(())
}

fn researcher(args: &KeyArgs) -> eyre::Result<Researcher> {
    let text = Zeroizing::new(
        std::fs::read_to_string(&args.key_file)
            .wrap_err_with(|| format!("cannot read {}", args.key_file.display()))?,
    );
    let signer: PrivateKeySigner = text.trim().parse().map_err(|_| {
        eyre!(
            "{} does not hold a hex private key",
            args.key_file.display()
        )
    })?;
    Ok(Researcher::new(signer))
}

async fn connect(args: &ChainArgs) -> eyre::Result<(Chain, Verifier)> {
    let chain = Chain::connect(&args.rpc_url, args.registry).await?;
    let pem = match &args.accept_test_platform {
        None => None,
        Some(path) => {
            eprintln!(
                "WARNING: accepting vaults on a SIMULATED platform (test-only roots {})",
                path.display()
            );
            Some(std::fs::read(path).wrap_err_with(|| path.display().to_string())?)
        }
    };
    let policy = dnavault_attest::Policy::configured(&args.min_tcb, !args.refuse_smt)?;
    let verifier = dnavault_attest::vault::verifier(pem.as_deref(), policy)?;
    Ok((chain, verifier))
}

/// What `query` sends: a submission prepared earlier, or a query built from the flags.
enum Source {
    Prepared(Box<dnavault_protocol::query::QuerySubmission>),
    New(Query, Box<Terms>),
}

/// A JSON document from `path`.
fn read_json<T: serde::de::DeserializeOwned>(path: &Path) -> eyre::Result<T> {
    serde_json::from_str(&read(path)?)
        .wrap_err_with(|| format!("{} is not what it should be", path.display()))
}

/// The owner's approval in `path`, as `dnavault-wallet approve-query` prints it (the signed typed-data
/// document).
fn owner_approval(path: &Path) -> eyre::Result<OwnerApproval> {
    let signed: serde_json::Value = read_json(path)?;
    if signed["typedData"]["primaryType"] != "QueryApproval" {
        bail!("{} is not a signed QueryApproval", path.display());
    }
    let approval = serde_json::from_value(signed["typedData"]["message"].clone())
        .wrap_err_with(|| format!("{}: the QueryApproval message", path.display()))?;
    let signature = serde_json::from_value(signed["signature"].clone())
        .wrap_err_with(|| format!("{}: the signature", path.display()))?;
    Ok(OwnerApproval {
        approval,
        signature,
    })
}

/// The manifest of the tool the grant's `--descriptor` names.
fn granted_tool(terms: &TermsArgs) -> eyre::Result<dnavault_protocol::tool::ToolManifest> {
    let Some(path) = &terms.descriptor else {
        bail!(
            "--outputs-dir needs the grant's --descriptor: its tool's manifest names the outputs"
        );
    };
    match read_descriptor(path)? {
        Descriptor::RunTool { tool, .. } => Ok(*tool),
        _ => bail!(
            "--outputs-dir is for a tool run, and {} grants no tool",
            path.display()
        ),
    }
}

/// Writes a tool run's outputs into `dir`; what the answer says of them instead of their bytes.
fn written_outputs(
    result: &dnavault_protocol::query::QueryResult,
    tool: &dnavault_protocol::tool::ToolManifest,
    dir: &Path,
) -> eyre::Result<serde_json::Value> {
    let dnavault_protocol::query::QueryResult::RunTool(ran) = result else {
        bail!(
            "the vault answered a {} query, not a tool run",
            result.kind()
        );
    };
    let paths = dnavault_researcher::outputs::write(ran, tool, dir)?;
    let outputs = ran.outputs.iter().zip(paths).map(
        |(output, path)| json!({ "name": output.name, "file": path, "bytes": output.bytes.len() }),
    );
    Ok(serde_json::Value::Array(outputs.collect()))
}

/// An analysis descriptor from a JSON file, checked.
fn read_descriptor(path: &std::path::Path) -> eyre::Result<Descriptor> {
    let text = std::fs::read_to_string(path).wrap_err_with(|| path.display().to_string())?;
    let descriptor: Descriptor = serde_json::from_str(&text)
        .wrap_err_with(|| format!("{} is not an analysis descriptor", path.display()))?;
    descriptor
        .check()
        .wrap_err_with(|| format!("{} is not a valid analysis descriptor", path.display()))?;
    Ok(descriptor)
}

impl QueryArgs {
    fn build(&self) -> eyre::Result<Query> {
        let query = if let Some(path) = &self.rsid_file {
            Query::GenotypeLookup(GenotypeLookup {
                rsids: lines(path)?.into_iter().map(|(_, line)| line).collect(),
                regions: Vec::new(),
            })
        } else if let Some(path) = &self.regions_file {
            let regions = lines(path)?
                .into_iter()
                .map(|(number, line)| region(path, number, &line))
                .collect::<eyre::Result<_>>()?;
            Query::GenotypeLookup(GenotypeLookup {
                regions,
                rsids: Vec::new(),
            })
        } else if let Some(path) = &self.allele_counts {
            let positions = lines(path)?
                .into_iter()
                .map(|(number, line)| {
                    let region = region(path, number, &line)?;
                    Ok(Position {
                        chrom: region.chrom,
                        pos: region.start,
                    })
                })
                .collect::<eyre::Result<_>>()?;
            Query::AlleleCounts(AlleleCounts { positions })
        } else if let Some(path) = &self.score {
            Query::PolygenicScore(PolygenicScore {
                scoring_file: read(path)?,
            })
        } else if let Some(path) = &self.beacon {
            let request = serde_json::from_str(&read(path)?)
                .wrap_err_with(|| format!("{} is not a Beacon v2 request body", path.display()))?;
            Query::BeaconAllele(Box::new(BeaconAllele { request }))
        } else if let Some(path) = &self.query_file {
            serde_json::from_str(&read(path)?)
                .wrap_err_with(|| format!("{} is not a query", path.display()))?
        } else {
            bail!(
                "name a query (--rsid-file, --regions-file, --allele-counts, --score, --beacon, --query-file)"
            );
        };
        query.check()?;
        Ok(query)
    }
}

fn read(path: &Path) -> eyre::Result<String> {
    std::fs::read_to_string(path).wrap_err_with(|| format!("cannot read {}", path.display()))
}

/// Non-empty, non-comment lines with their 1-based numbers.
fn lines(path: &Path) -> eyre::Result<Vec<(usize, String)>> {
    Ok(read(path)?
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim().to_owned()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect())
}

fn region(path: &Path, number: usize, line: &str) -> eyre::Result<Region> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    let position = |text: &str| {
        text.parse::<u64>()
            .map_err(|_| eyre!("{}:{number}: `{text}` is not a position", path.display()))
    };
    let (start, end) = match fields.as_slice() {
        [_, pos] => (position(pos)?, position(pos)?),
        [_, start, end, ..] => (position(start)?, position(end)?),
        _ => bail!(
            "{}:{number}: expected CHROM POS or CHROM BEG END",
            path.display()
        ),
    };
    Ok(Region {
        chrom: fields[0].to_owned(),
        start,
        end,
    })
}

fn read_targets(path: &Path) -> eyre::Result<Vec<Target>> {
    lines(path)?
        .into_iter()
        .map(|(number, line)| {
            let mut fields = line.split_whitespace();
            let (Some(id), Some(url), None) = (fields.next(), fields.next(), fields.next()) else {
                bail!("{}:{number}: expected `VAULT_ID URL`", path.display());
            };
            Ok(Target {
                vault_id: id
                    .parse()
                    .map_err(|_| eyre!("{}:{number}: `{id}` is not a vault id", path.display()))?,
                url: url.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_command_line_is_well_formed() {
        <super::Cli as clap::CommandFactory>::command().debug_assert();
    }
}
