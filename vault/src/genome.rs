//! `dnavault-vault genome ...`: the vault's analyses on the owner's own plaintext file, without a chain, so
//! anyone can check them against bcftools and plink2.

use std::{io::Write, path::PathBuf};

use clap::{Args, Subcommand};
use dnavault_genome::{Genome, lookup::Query};

#[derive(Debug, Subcommand)]
pub(crate) enum GenomeCommand {
    /// Genotypes at regions (as `bcftools view -R` takes them) or rsIDs: one line per variant found.
    Lookup(LookupArgs),
}

#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// The genome: VCF, bgzipped VCF or BCF.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The sample (required when the file has several).
    #[arg(long)]
    sample: Option<String>,
    /// Tab-separated CHROM POS, or CHROM BEG END (1-based, inclusive).
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "rsid_file",
        conflicts_with = "rsid_file"
    )]
    regions_file: Option<PathBuf>,
    /// One rsID per line.
    #[arg(long, value_name = "FILE")]
    rsid_file: Option<PathBuf>,
    /// One JSON object per variant (chrom, pos, id, ref, alt, gt); else tab-separated columns.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(command: GenomeCommand) -> eyre::Result<()> {
    match command {
        GenomeCommand::Lookup(args) => lookup(&args),
    }
}

fn lookup(args: &LookupArgs) -> eyre::Result<()> {
    let query = match (&args.regions_file, &args.rsid_file) {
        (Some(regions), _) => Query::regions_file(regions)?,
        (None, Some(ids)) => Query::ids_file(ids)?,
        (None, None) => eyre::bail!("give --regions-file or --rsid-file"),
    };
    let mut genome = Genome::open(&args.input, args.sample.as_deref())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for variant in dnavault_genome::lookup::lookup(&mut genome, &query) {
        let variant = variant?;
        if args.json {
            serde_json::to_writer(&mut out, &variant)?;
            writeln!(out)?;
        } else {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}",
                variant.chrom, variant.pos, variant.id, variant.reference, variant.alt, variant.gt
            )?;
        }
    }
    out.flush()?;
    Ok(())
}
