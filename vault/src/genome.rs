//! `dnavault-vault genome ...`: the vault's analyses on the owner's own plaintext file, without a chain, so
//! anyone can check them against bcftools and plink2.

use std::{io::Write, path::PathBuf};

use clap::{Args, Subcommand};
use dnavault_genome::{Genome, lookup::Query, score::ScoringFile};

#[derive(Debug, Subcommand)]
pub(crate) enum GenomeCommand {
    /// Genotypes at regions (as `bcftools view -R` takes them) or rsIDs: one line per variant found.
    Lookup(LookupArgs),
    /// A polygenic score from a PGS Catalog scoring file, with plink2's no-mean-imputation semantics.
    Prs(PrsArgs),
    /// Read a whole genome file (VCF, BCF, 23andMe, AncestryDNA) as the vault does before storing it.
    Check(CheckArgs),
}

#[derive(Debug, Args)]
pub(crate) struct CheckArgs {
    /// The file.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The sample of a multi-sample VCF.
    #[arg(long)]
    sample: Option<String>,
}

#[derive(Debug, Args)]
pub(crate) struct PrsArgs {
    /// The genome: VCF, bgzipped VCF or BCF.
    #[arg(long, value_name = "FILE")]
    input: PathBuf,
    /// The PGS Catalog scoring file (format 2.0; harmonized columns used where present; gzip read).
    #[arg(long, value_name = "FILE")]
    score: PathBuf,
    /// The sample (required when the file has several).
    #[arg(long)]
    sample: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
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
        GenomeCommand::Prs(args) => prs(&args),
        GenomeCommand::Check(args) => {
            let file = std::fs::File::open(&args.input)
                .map_err(|e| eyre::eyre!("{}: {e}", args.input.display()))?;
            let summary =
                dnavault_genome::check::check(&args.input, Box::new(file), args.sample.as_deref())?;
            println!("{}", serde_json::to_string(&summary)?);
            Ok(())
        }
    }
}

fn prs(args: &PrsArgs) -> eyre::Result<()> {
    let score = ScoringFile::read(&args.score)?;
    let mut genome = Genome::open(&args.input, args.sample.as_deref())?;
    let result = dnavault_genome::prs::score(&mut genome, &score)?;
    if args.json {
        println!("{}", serde_json::to_string(&result)?);
    } else {
        println!(
            "{} {}: score {} from {} of {} variants ({} missing, {} missing genotype, {} allele mismatch, {} ambiguous)",
            result.sample.as_deref().unwrap_or("sample"),
            result.pgs_id.as_deref().unwrap_or("score"),
            result.score_sum,
            result.variants_matched,
            result.variants_total,
            result.variants_missing,
            result.variants_missing_genotype,
            result.variants_allele_mismatch,
            result.variants_ambiguous
        );
    }
    Ok(())
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
