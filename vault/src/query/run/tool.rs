//! Running an approved analysis tool on the genome: its manifest's files checked against their hashes, the
//! genome decrypted into a memory-backed scratch directory (never the host's disk), the arguments filled
//! from the query (regions inside the grant's panel, the very scoring file it pins), the tool confined in
//! the sandbox under the manifest's limits, and only its declared outputs kept. The scratch directory is
//! zeroed and removed when the run ends, however it ends.

use std::{
    io::Read,
    path::{Path, PathBuf},
};

use dnavault_genome::score::ScoringFile;
use dnavault_protocol::{
    descriptor::ScoreFile,
    query::{RunTool, ToolOutput, ToolResult},
    tool::{STDOUT, ToolManifest},
};
use dnavault_sandbox::{Ended, Limits, Sandbox, Scratch, Tool};

use super::{GenomeObject, RunError, described_as, one_genome};

/// Where scratch directories are made: memory-backed in the guest (the sandbox refuses any other).
const SCRATCH_ROOT: &str = "/dev/shm";

/// Why a tool did not run or did not finish. What it printed is not repeated: it could quote the genome.
#[derive(Debug, thiserror::Error)]
pub enum ToolError {
    /// The kernel here cannot confine a tool, so none runs.
    #[error("analysis tools cannot run on this vault's machine: {0}")]
    Unavailable(String),
    /// A file the manifest pins differs from its hash: the tool was altered since it was approved.
    #[error("the analysis tool was altered since its owner approved it: {0}")]
    Altered(dnavault_sandbox::Error),
    /// A run asked through the built-in analyses.
    #[error("an analysis tool runs only through the vault's sandbox")]
    NotHere,
    /// The query gives no value for a placeholder the tool's arguments need.
    #[error("the tool's arguments need {0}, which the query does not give")]
    Missing(&'static str),
    /// The tool needs the genome's tabix index and the vault has none stored.
    #[error("the tool needs the genome's tabix index; its owner uploads one (tabix -p vcf)")]
    NoIndex,
    /// The tool ended otherwise than with success.
    #[error("the analysis tool {how}")]
    Failed {
        /// How it ended, in words.
        how: String,
        /// The start of what it printed on standard error: for the owner's audit log only.
        complaint: String,
    },
    /// A declared output was missing or over its limit.
    #[error("the analysis tool's output: {0}")]
    Output(dnavault_sandbox::Error),
    /// The scratch directory or the sandbox failed.
    #[error("running the analysis tool: {0}")]
    Sandbox(dnavault_sandbox::Error),
}

/// Runs `run` with the tool `manifest` names (`run.tool` is its hash: the grant checked it) on `genome`,
/// under `score` when the grant pins a scoring file.
pub(crate) async fn run(
    sandbox: &Sandbox,
    run: &RunTool,
    manifest: &ToolManifest,
    score: Option<&ScoreFile>,
    genome: Vec<GenomeObject>,
) -> Result<ToolResult, RunError> {
    let prepared = {
        let (run, manifest, score) = (run.clone(), manifest.clone(), score.cloned());
        tokio::task::spawn_blocking(move || prepare(&run, &manifest, score.as_ref(), genome))
            .await
            .map_err(|error| ToolError::Failed {
                how: format!("could not be prepared: {error}"),
                complaint: String::new(),
            })??
    };
    let Prepared { scratch, tool } = prepared;
    let limits = Limits {
        cpu_seconds: manifest.limits.cpu_seconds,
        memory_bytes: manifest.limits.memory_bytes,
        output_bytes: manifest.limits.output_bytes,
        wall_seconds: manifest.limits.wall_seconds,
    };
    let outcome = sandbox
        .run(&tool, &scratch, &limits)
        .await
        .map_err(ToolError::Sandbox)?;
    if !outcome.succeeded() {
        let complaint = String::from_utf8_lossy(&outcome.stderr[..outcome.stderr.len().min(2048)]);
        return Err(ToolError::Failed {
            how: ended(outcome.ended),
            complaint: complaint.into_owned(),
        }
        .into());
    }
    let mut outputs = Vec::with_capacity(manifest.outputs.len());
    for name in &manifest.outputs {
        let bytes = match name.as_str() {
            STDOUT => outcome.stdout.clone(),
            file => scratch
                .read_output(file, manifest.limits.output_bytes)
                .map_err(ToolError::Output)?,
        };
        outputs.push(ToolOutput {
            name: name.clone(),
            bytes: bytes.into(),
        });
    }
    Ok(ToolResult {
        tool: run.tool,
        name: manifest.name.clone(),
        version: manifest.version.clone(),
        outputs,
    })
}

/// A scratch directory holding the run's inputs, and the tool, verified, with its arguments filled.
struct Prepared {
    scratch: Scratch,
    tool: Tool,
}

/// Checks the tool's files, decrypts what it reads into a new scratch directory and fills its arguments.
fn prepare(
    run: &RunTool,
    manifest: &ToolManifest,
    score: Option<&ScoreFile>,
    genome: Vec<GenomeObject>,
) -> Result<Prepared, RunError> {
    let pinned = |file: &dnavault_protocol::tool::File| (PathBuf::from(&file.path), file.sha256.0);
    // Checked at every run, before anything is decrypted. What runs is what was hashed as long as no one
    // writes the files between here and the exec: the guest image's files are read-only to the vault.
    let verified = Tool::verified(
        pinned(&manifest.executable),
        manifest.files.iter().map(pinned),
        Vec::<String>::new(),
    )
    .map_err(ToolError::Altered)?;
    let scratch = Scratch::new_in(Path::new(SCRATCH_ROOT)).map_err(ToolError::Sandbox)?;
    let object = one_genome(genome)?;
    let takes = manifest.placeholders();
    let name = genome_name(object.id.as_str());
    let genome_path = add(&scratch, name, object.reader)?;
    // Beside the genome, where tools look for it (`bcftools -r` needs it), whether or not an argument
    // names it.
    let index_path = match object.index {
        Some(index) => Some(add(&scratch, &format!("{name}.tbi"), index)?),
        None if takes.contains(&"{index}") => return Err(ToolError::NoIndex.into()),
        None => None,
    };
    let weights_path = match (&run.scoring_file, score) {
        (Some(text), Some(score)) => Some(weights(&scratch, text, score)?),
        _ => None,
    };
    let regions = (!run.regions.is_empty()).then(|| {
        run.regions
            .iter()
            .map(|r| format!("{}:{}-{}", r.chrom, r.start, r.end))
            .collect::<Vec<_>>()
            .join(",")
    });
    let shown = |path: &Path| path.display().to_string();
    let args = manifest
        .arguments_with(|placeholder| match placeholder {
            "{genome}" => Some(shown(&genome_path)),
            "{index}" => index_path.as_deref().map(shown),
            "{regions}" => regions.clone(),
            "{weights}" => weights_path.as_deref().map(shown),
            _ => None,
        })
        .map_err(ToolError::Missing)?;
    let mut tool = verified;
    tool.args = args;
    Ok(Prepared { scratch, tool })
}

/// The input name a genome object gets: its kind's usual ending, which tools read formats by.
fn genome_name(id: &str) -> &'static str {
    match id {
        id if id.ends_with(".bcf") => "genome.bcf",
        id if id.ends_with(".gz") || id.ends_with(".bgz") => "genome.vcf.gz",
        _ => "genome.vcf",
    }
}

/// Decrypts `reader` into the scratch input `name` as it reads; its path.
fn add(scratch: &Scratch, name: &str, reader: impl Read) -> Result<PathBuf, RunError> {
    Ok(scratch
        .add_input_from(name, reader)
        .map_err(ToolError::Sandbox)?)
}

/// The scoring file, checked to be what the grant's words say, as the table the tool reads: its column
/// header and rows, without the `#` metadata lines (which plink2 and most tools do not skip).
fn weights(scratch: &Scratch, text: &str, score: &ScoreFile) -> Result<PathBuf, RunError> {
    let parsed = ScoringFile::parse(Path::new("scoringFile"), text).map_err(RunError::Scoring)?;
    described_as(
        &score.pgs_id,
        &score.trait_reported,
        score.variants,
        &parsed,
    )?;
    let table: String = text
        .lines()
        .filter(|line| !line.starts_with('#'))
        .flat_map(|line| [line, "\n"])
        .collect();
    Ok(scratch
        .add_input("weights.tsv", table.as_bytes())
        .map_err(ToolError::Sandbox)?)
}

/// How a run that did not succeed ended, in words.
fn ended(ended: Ended) -> String {
    match ended {
        Ended::Exited(code) => format!("exited with code {code}"),
        Ended::CpuLimit => "used up its CPU time and was stopped".into(),
        Ended::FileTooLarge => "tried to write a file larger than its limit and was stopped".into(),
        Ended::OutputTooLarge => "printed more than its output limit and was killed".into(),
        Ended::TimedOut => "ran past its time limit and was killed".into(),
        Ended::Signalled(signal) => format!("was ended by signal {signal}"),
    }
}
