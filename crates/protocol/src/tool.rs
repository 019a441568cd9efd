//! Tool manifests: an existing analysis program (bcftools, plink2), unchanged, described exactly enough
//! that its hash can be approved on-chain like a launch measurement and a grant can name it. A manifest
//! names the program and its version, the SHA-256 of its executable and of every file it loads (its
//! loader and libraries, its data files), the argument template the vault fills in, the outputs that may
//! leave and its limits. Its identity is the EIP-712 struct hash of [`hashed::ToolManifest`] (no domain: it
//! is not a signature), which the vault recomputes from the manifest it is given and checks, with every
//! file's hash, before each run.
//!
//! An argument is either a literal or, whole, one placeholder: `{genome}` (the genome's VCF), `{index}`
//! (its tabix index), `{regions}` (the query's regions, each inside the grant's panel) or `{weights}` (the
//! granted scoring file). A value always fills one whole argument: there is no shell and no splicing.
//!
//! ```
//! use dnavault_protocol::tool::ToolManifest;
//!
//! let text = r#"{
//!   "name": "bcftools query", "version": "1.16",
//!   "executable": {"path": "/usr/bin/bcftools", "sha256": "0x1111111111111111111111111111111111111111111111111111111111111111"},
//!   "files": [],
//!   "arguments": ["query", "-r", "{regions}", "-f", "%CHROM\t%POS[\t%GT]\n", "{genome}"],
//!   "outputs": ["stdout"],
//!   "limits": {"cpuSeconds": 30, "memoryBytes": 536870912, "outputBytes": 1048576, "wallSeconds": 60}
//! }"#;
//! let manifest: ToolManifest = serde_json::from_str(text).unwrap();
//! assert!(manifest.check().is_ok());
//! assert_ne!(manifest.id(), alloy::primitives::B256::ZERO);
//! ```

use alloy::{primitives::B256, sol_types::SolStruct};
use serde::{Deserialize, Serialize};

/// The manifest as its identity hashes it: EIP-712 structs, type strings locked by tests.
pub mod hashed {
    alloy::sol! {
        /// One file a tool loads, by its absolute path and the SHA-256 of its bytes.
        #[derive(Debug, PartialEq, Eq)]
        struct ToolFile {
            string path;
            bytes32 sha256;
        }

        /// What a tool may use: CPU seconds, address space (and largest file) in bytes, output bytes, and
        /// wall-clock seconds.
        #[derive(Debug, PartialEq, Eq)]
        struct ToolLimits {
            uint64 cpuSeconds;
            uint64 memoryBytes;
            uint64 outputBytes;
            uint64 wallSeconds;
        }

        /// What a tool's identity commits to.
        #[derive(Debug, PartialEq, Eq)]
        struct ToolManifest {
            string name;
            string version;
            ToolFile executable;
            ToolFile[] files;
            string[] arguments;
            string[] outputs;
            ToolLimits limits;
        }
    }
}

/// The placeholders an argument may be.
pub const PLACEHOLDERS: [&str; 4] = ["{genome}", "{index}", "{regions}", "{weights}"];

/// The output that is the tool's standard output rather than a file it writes.
pub const STDOUT: &str = "stdout";

/// The most files a manifest may list, and outputs it may declare.
pub const MAX_FILES: usize = 256;

/// The longest name or version a manifest may give, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// A file by path and hash, as manifests carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    /// The absolute path inside the vault's image.
    pub path: String,
    /// The SHA-256 of its bytes.
    pub sha256: B256,
}

/// A tool's limits, as manifests carry them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Limits {
    /// CPU seconds.
    pub cpu_seconds: u64,
    /// Address space, and the largest file it may write, in bytes.
    pub memory_bytes: u64,
    /// The most any one output may hold, in bytes.
    pub output_bytes: u64,
    /// Wall-clock seconds.
    pub wall_seconds: u64,
}

/// A tool's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolManifest {
    /// What it is called (`bcftools query`).
    pub name: String,
    /// Its version (`1.16`).
    pub version: String,
    /// Its executable.
    pub executable: File,
    /// Every other file it loads: its loader and libraries, its data files.
    pub files: Vec<File>,
    /// The argument template.
    pub arguments: Vec<String>,
    /// What may leave: [`STDOUT`] or names of files it writes in its working directory.
    pub outputs: Vec<String>,
    /// Its limits.
    pub limits: Limits,
}

/// What is wrong with a manifest.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// A field that must say something is empty.
    #[error("the manifest's {field} is empty")]
    Empty {
        /// The field.
        field: &'static str,
    },
    /// A name shown to the owner that holds a control character or is too long to show.
    #[error(
        "the manifest's {field} must be at most {MAX_NAME_CHARS} characters, none of them control characters"
    )]
    Text {
        /// The field.
        field: &'static str,
    },
    /// A path that is not absolute and plain.
    #[error("{what} `{path}` is not an absolute path without `..`")]
    Path {
        /// Which file (`executable`, `files[3]`).
        what: String,
        /// The path.
        path: String,
    },
    /// An argument that looks like a placeholder but is not one.
    #[error(
        "arguments[{index}] `{argument}` is not a literal without braces or one of {PLACEHOLDERS:?}"
    )]
    Placeholder {
        /// Its position.
        index: usize,
        /// The argument.
        argument: String,
    },
    /// An output that is neither stdout nor a plain file name.
    #[error("outputs[{index}] `{output}` is not `stdout` or a plain file name")]
    Output {
        /// Its position.
        index: usize,
        /// The output.
        output: String,
    },
    /// A limit of zero, or a list that is too long.
    #[error("the manifest's {what} is out of bounds")]
    Bounds {
        /// Which (`limits.cpuSeconds`, `files`).
        what: &'static str,
    },
}

impl ToolManifest {
    /// The tool's identity: the struct hash owners approve and grants name.
    pub fn id(&self) -> B256 {
        self.to_struct().eip712_hash_struct()
    }

    /// The manifest as the EIP-712 struct its identity hashes.
    pub fn to_struct(&self) -> hashed::ToolManifest {
        use hashed::{ToolFile, ToolLimits};
        let file = |f: &File| ToolFile {
            path: f.path.clone(),
            sha256: f.sha256,
        };
        hashed::ToolManifest {
            name: self.name.clone(),
            version: self.version.clone(),
            executable: file(&self.executable),
            files: self.files.iter().map(file).collect(),
            arguments: self.arguments.clone(),
            outputs: self.outputs.clone(),
            limits: ToolLimits {
                cpuSeconds: self.limits.cpu_seconds,
                memoryBytes: self.limits.memory_bytes,
                outputBytes: self.limits.output_bytes,
                wallSeconds: self.limits.wall_seconds,
            },
        }
    }

    /// Checks the manifest is well formed: names given, absolute plain paths, every braced argument a
    /// known placeholder, outputs stdout or plain names, limits above zero.
    pub fn check(&self) -> Result<(), ManifestError> {
        for (field, text) in [("name", &self.name), ("version", &self.version)] {
            if text.trim().is_empty() {
                return Err(ManifestError::Empty { field });
            }
            if text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
                return Err(ManifestError::Text { field });
            }
        }
        if self.outputs.is_empty() {
            return Err(ManifestError::Empty { field: "outputs" });
        }
        if self.files.len() > MAX_FILES || self.outputs.len() > MAX_FILES {
            return Err(ManifestError::Bounds {
                what: "files or outputs",
            });
        }
        absolute("executable".into(), &self.executable.path)?;
        for (i, file) in self.files.iter().enumerate() {
            absolute(format!("files[{i}]"), &file.path)?;
        }
        for (index, argument) in self.arguments.iter().enumerate() {
            let braced = argument.contains(['{', '}']);
            if braced && !PLACEHOLDERS.contains(&argument.as_str()) {
                return Err(ManifestError::Placeholder {
                    index,
                    argument: argument.clone(),
                });
            }
        }
        for (index, output) in self.outputs.iter().enumerate() {
            if output != STDOUT && !plain_name(output) {
                return Err(ManifestError::Output {
                    index,
                    output: output.clone(),
                });
            }
        }
        let limits = &self.limits;
        for (what, value) in [
            ("limits.cpuSeconds", limits.cpu_seconds),
            ("limits.memoryBytes", limits.memory_bytes),
            ("limits.outputBytes", limits.output_bytes),
            ("limits.wallSeconds", limits.wall_seconds),
        ] {
            if value == 0 {
                return Err(ManifestError::Bounds { what });
            }
        }
        Ok(())
    }

    /// What the owner reads of it before installing it or granting a run: its identity, program,
    /// arguments, the results that may leave and its limits.
    pub fn words(&self) -> Vec<(&'static str, String)> {
        let limits = &self.limits;
        vec![
            ("Tool", format!("{} {}", self.name, self.version)),
            ("Tool (manifest hash)", self.id().to_string()),
            (
                "Program",
                format!(
                    "{} (SHA-256 {})",
                    self.executable.path, self.executable.sha256
                ),
            ),
            (
                "Files it loads",
                format!("{}, each pinned by its SHA-256", self.files.len()),
            ),
            ("Arguments", self.arguments.join(" ")),
            ("Results that may leave", self.outputs.join(", ")),
            (
                "Limits",
                format!(
                    "{} s of CPU, {} s in all, {} MiB of memory, {} KiB per result",
                    limits.cpu_seconds,
                    limits.wall_seconds,
                    limits.memory_bytes >> 20,
                    limits.output_bytes >> 10
                ),
            ),
        ]
    }

    /// The placeholders its arguments use, in order of first use.
    pub fn placeholders(&self) -> Vec<&'static str> {
        let mut used = Vec::new();
        for argument in &self.arguments {
            if let Some(p) = PLACEHOLDERS.iter().find(|p| **p == argument.as_str())
                && !used.contains(p)
            {
                used.push(*p);
            }
        }
        used
    }

    /// The arguments with each placeholder replaced by `fill`'s value for it (a whole argument each);
    /// `None` from `fill` leaves the run without a value it needs, an error naming the placeholder.
    pub fn arguments_with(
        &self,
        mut fill: impl FnMut(&'static str) -> Option<String>,
    ) -> Result<Vec<String>, &'static str> {
        self.arguments
            .iter()
            .map(
                |argument| match PLACEHOLDERS.iter().find(|p| **p == argument.as_str()) {
                    Some(&placeholder) => fill(placeholder).ok_or(placeholder),
                    None => Ok(argument.clone()),
                },
            )
            .collect()
    }
}

fn absolute(what: String, path: &str) -> Result<(), ManifestError> {
    let plain = path.starts_with('/') && !path.split('/').any(|part| part == ".." || part == ".");
    if plain && !path.contains('\0') && path.len() > 1 {
        Ok(())
    } else {
        Err(ManifestError::Path {
            what,
            path: path.into(),
        })
    }
}

fn plain_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\0'])
}
