//! Compiles `contracts/src` with foundry-compilers through the solc-js shim (`script/solc`, no svm downloads)
//! and writes the artifacts that `dnavault-protocol` embeds, so a plain `cargo build` needs neither Node nor
//! solc.
//!
//! ```text
//! cargo run -p dnavault-contracts-gen            # regenerate crates/protocol/artifacts/
//! cargo run -p dnavault-contracts-gen -- --check # fail if the committed artifacts are stale
//! ```

use std::{
    fs,
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::Parser;
use eyre::{Context, bail, eyre};
use foundry_compilers::{
    ProjectBuilder, ProjectPathsConfig,
    artifacts::{
        BytecodeHash, EvmVersion, Remapping, Settings, SettingsMetadata,
        output_selection::OutputSelection,
    },
    solc::{Solc, SolcCompiler, SolcSettings},
};
use serde_json::{Value, json};

/// Contracts whose artifacts are embedded, and the settings they are compiled with. The settings match
/// foundry.toml so that forge's gas figures describe the same bytecode.
const CONTRACTS: &[&str] = &["VaultRegistry"];
const OPTIMIZER_RUNS: usize = 1_000_000;

#[derive(Parser)]
#[command(about = "Compile contracts/ and write (or check) the artifacts dnavault-protocol embeds")]
struct Args {
    /// Do not write; fail if the committed artifacts differ from a fresh compilation.
    #[arg(long)]
    check: bool,
    /// The workspace root (defaults to the one this crate belongs to).
    #[arg(long)]
    root: Option<PathBuf>,
}

fn main() -> eyre::Result<ExitCode> {
    let args = Args::parse();
    let root = match args.root {
        Some(root) => root,
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."),
    }
    .canonicalize()
    .wrap_err("the workspace root does not exist")?;
    let out_dir = root.join("crates/protocol/artifacts");

    let artifacts = compile(&root)?;
    let mut stale = Vec::new();
    for (name, artifact) in &artifacts {
        let path = out_dir.join(format!("{name}.json"));
        let text = serde_json::to_string_pretty(artifact)? + "\n";
        if args.check {
            if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                stale.push(path);
            }
        } else {
            fs::create_dir_all(&out_dir)?;
            fs::write(&path, text).wrap_err_with(|| format!("writing {}", path.display()))?;
            println!("wrote {}", path.display());
        }
    }
    if stale.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for path in stale {
        eprintln!(
            "stale: {} (run `cargo run -p dnavault-contracts-gen` and commit)",
            path.display()
        );
    }
    Ok(ExitCode::FAILURE)
}

/// Compiles the contract sources and returns each embedded contract's trimmed artifact.
fn compile(root: &Path) -> eyre::Result<Vec<(&'static str, Value)>> {
    let shim = root.join("script/solc");
    let openzeppelin = root.join("node_modules/@openzeppelin/contracts");
    if !openzeppelin.is_dir() {
        bail!(
            "{} is missing: run `npm ci --ignore-scripts` (script/test does)",
            openzeppelin.display()
        );
    }
    let solc = Solc::new(&shim)
        .wrap_err_with(|| format!("the solc shim at {} does not run", shim.display()))?;
    let version = solc.version.to_string();

    let paths = ProjectPathsConfig::builder()
        .root(root)
        .sources(root.join("contracts/src"))
        .remapping(Remapping {
            context: None,
            name: "@openzeppelin/contracts/".into(),
            path: format!("{}/", openzeppelin.display()),
        })
        .build_with_root(root);
    let project = ProjectBuilder::<SolcCompiler>::default()
        .paths(paths)
        .settings(SolcSettings {
            settings: settings(),
            ..Default::default()
        })
        .ephemeral()
        .no_artifacts()
        .offline()
        .build(SolcCompiler::Specific(solc))?;

    let output = project.compile()?;
    // Our own sources are held to zero warnings; nothing else is compiled here.
    if output.has_compiler_errors() || output.has_compiler_warnings() {
        bail!("solc reported problems:\n{output}");
    }
    let mut artifacts = Vec::new();
    for &name in CONTRACTS {
        let artifact = output
            .find_first(name)
            .ok_or_else(|| eyre!("no artifact for {name}"))?;
        let full = serde_json::to_value(artifact)?;
        artifacts.push((
            name,
            json!({
                "contractName": name,
                "compiler": format!("solc {version} (solc-js via script/solc), optimizer runs {OPTIMIZER_RUNS}"),
                "abi": full["abi"],
                "bytecode": { "object": full["bytecode"]["object"] },
                "deployedBytecode": { "object": full["deployedBytecode"]["object"] },
            }),
        ));
    }
    Ok(artifacts)
}

fn settings() -> Settings {
    let mut settings = Settings::new(OutputSelection::default_output_selection());
    settings.optimizer.enabled = Some(true);
    settings.optimizer.runs = Some(OPTIMIZER_RUNS);
    settings.evm_version = Some(EvmVersion::Prague);
    settings.metadata = Some(SettingsMetadata::new(BytecodeHash::None, false));
    settings
}
