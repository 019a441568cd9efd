//! `dnavault-vault tool-manifest`: the manifest of an installed program (a Debian package's bcftools or
//! plink2, unchanged), for its owner to read and approve: the SHA-256 of its executable and of every shared
//! library the dynamic loader resolves for it (`ldd`), the argument template, the outputs and the limits.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use clap::Args;
use dnavault_protocol::tool::{File, Limits, ToolManifest};
use eyre::{WrapErr, bail, eyre};

#[derive(Debug, Args)]
pub(crate) struct ToolManifestArgs {
    /// What the tool is called (`bcftools query`).
    #[arg(long)]
    name: String,
    /// Its version (`1.16`).
    #[arg(long)]
    version: String,
    /// The executable, by absolute path.
    #[arg(long, value_name = "FILE")]
    program: PathBuf,
    /// A declared output (`stdout` or a file name it writes); repeat for more.
    #[arg(long = "output", required = true)]
    outputs: Vec<String>,
    /// CPU seconds.
    #[arg(long, default_value_t = 60)]
    cpu_seconds: u64,
    /// Wall-clock seconds.
    #[arg(long, default_value_t = 120)]
    wall_seconds: u64,
    /// Address space (and largest file), MiB.
    #[arg(long, default_value_t = 2048)]
    memory_mib: u64,
    /// The most one output may hold, KiB.
    #[arg(long, default_value_t = 16384)]
    output_kib: u64,
    /// The argument template, after `--`: literals and whole placeholders ({genome}, {index}, {regions},
    /// {weights}).
    #[arg(last = true, required = true)]
    arguments: Vec<String>,
}

pub(crate) fn run(args: ToolManifestArgs) -> eyre::Result<()> {
    let pinned = |path: &Path| -> eyre::Result<File> {
        let sha256 = dnavault_sandbox::sha256_of(path)
            .wrap_err_with(|| format!("hashing {}", path.display()))?;
        Ok(File {
            path: path.display().to_string(),
            sha256: sha256.into(),
        })
    };
    let manifest = ToolManifest {
        name: args.name,
        version: args.version,
        executable: pinned(&args.program)?,
        files: libraries(&args.program)?
            .iter()
            .map(|path| pinned(path))
            .collect::<eyre::Result<_>>()?,
        arguments: args.arguments,
        outputs: args.outputs,
        limits: Limits {
            cpu_seconds: args.cpu_seconds,
            memory_bytes: args.memory_mib << 20,
            output_bytes: args.output_kib << 10,
            wall_seconds: args.wall_seconds,
        },
    };
    manifest.check()?;
    println!("{}", serde_json::to_string_pretty(&manifest)?);
    eprintln!("tool {}", manifest.id());
    Ok(())
}

/// The shared libraries the dynamic loader resolves for `program`, and the loader itself, sorted.
fn libraries(program: &Path) -> eyre::Result<Vec<PathBuf>> {
    let listed = Command::new("ldd")
        .arg(program)
        .env_clear()
        .output()
        .wrap_err("running ldd (Debian's libc-bin)")?;
    let text = String::from_utf8_lossy(&listed.stdout);
    if text.contains("not a dynamic executable") {
        return Ok(Vec::new());
    }
    if !listed.status.success() {
        bail!(
            "ldd {}: {}",
            program.display(),
            String::from_utf8_lossy(&listed.stderr)
        );
    }
    let mut paths = Vec::new();
    for line in text.lines() {
        // `libhts.so.3 => /lib/x86_64-linux-gnu/libhts.so.3 (0x...)`, `/lib64/ld-linux-x86-64.so.2 (0x...)`.
        let resolved = line.split_once("=>").map_or(line, |(_, path)| path).trim();
        if line.contains("not found") {
            return Err(eyre!(
                "{}: a library is missing: {}",
                program.display(),
                line.trim()
            ));
        }
        if let Some(path) = resolved
            .split_whitespace()
            .next()
            .filter(|p| p.starts_with('/'))
        {
            paths.push(PathBuf::from(path));
        }
    }
    paths.sort();
    paths.dedup();
    Ok(paths)
}
