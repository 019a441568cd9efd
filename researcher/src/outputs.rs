//! A tool run's outputs, written as files: each under the name its manifest declares, never outside the
//! directory the researcher chose and never over a file already there.

use std::path::{Path, PathBuf};

use dnavault_protocol::{query::ToolResult, tool::ToolManifest};

/// Why the outputs were not written.
#[derive(Debug, thiserror::Error)]
pub enum OutputsError {
    /// An output the granted manifest does not declare, or whose name is not a plain file name.
    #[error(
        "the vault returned an output named {0:?}, which the granted tool does not declare as a file name"
    )]
    Undeclared(String),
    /// A file an output would be written to is there already.
    #[error("{0} exists already: choose another --outputs-dir, or move it away")]
    Exists(PathBuf),
    /// The file could not be written (or already exists).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Checks, before a query is spent, that no file `manifest`'s outputs would be written to exists in `dir`.
pub fn ready(manifest: &ToolManifest, dir: &Path) -> Result<(), OutputsError> {
    match manifest
        .outputs
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.exists())
    {
        Some(path) => Err(OutputsError::Exists(path)),
        None => Ok(()),
    }
}

/// Writes each output of `result` to `dir`/NAME (`stdout` for the tool's standard output) and returns the
/// paths. Every name must be one `manifest` declares and a plain file name; existing files are kept.
pub fn write(
    result: &ToolResult,
    manifest: &ToolManifest,
    dir: &Path,
) -> Result<Vec<PathBuf>, OutputsError> {
    for output in &result.outputs {
        let declared = manifest.outputs.contains(&output.name);
        if !declared || !plain_file_name(&output.name) {
            return Err(OutputsError::Undeclared(output.name.clone()));
        }
    }
    std::fs::create_dir_all(dir).map_err(|source| OutputsError::Write {
        path: dir.to_owned(),
        source,
    })?;
    result
        .outputs
        .iter()
        .map(|output| {
            let path = dir.join(&output.name);
            let written = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut file| std::io::Write::write_all(&mut file, &output.bytes));
            written
                .map(|()| path.clone())
                .map_err(|source| OutputsError::Write { path, source })
        })
        .collect()
}

/// One path component that names a file: not empty, `.` or `..`, no separator or NUL.
fn plain_file_name(name: &str) -> bool {
    !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use dnavault_protocol::query::ToolOutput;

    fn manifest(outputs: &[&str]) -> ToolManifest {
        let file = dnavault_protocol::tool::File {
            path: "/usr/bin/true".into(),
            sha256: Default::default(),
        };
        ToolManifest {
            name: "t".into(),
            version: "1".into(),
            executable: file,
            files: Vec::new(),
            arguments: Vec::new(),
            outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
            limits: dnavault_protocol::tool::Limits {
                cpu_seconds: 1,
                memory_bytes: 1,
                output_bytes: 1,
                wall_seconds: 1,
            },
        }
    }

    fn result(names: &[&str]) -> ToolResult {
        ToolResult {
            tool: Default::default(),
            name: "t".into(),
            version: "1".into(),
            outputs: names
                .iter()
                .map(|name| ToolOutput {
                    name: (*name).into(),
                    bytes: name.as_bytes().to_vec().into(),
                })
                .collect(),
        }
    }

    #[test]
    fn declared_outputs_are_written_under_their_names() {
        let dir = tempfile::tempdir().unwrap();
        let written = write(
            &result(&["stdout", "out.sscore"]),
            &manifest(&["stdout", "out.sscore"]),
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            written,
            [dir.path().join("stdout"), dir.path().join("out.sscore")]
        );
        assert_eq!(std::fs::read(&written[1]).unwrap(), b"out.sscore");
    }

    #[test]
    fn an_undeclared_or_escaping_name_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        // Declared by the manifest but not a plain file name: refused all the same.
        for name in ["../stdout", "..", "a/b", ""] {
            let refused = write(&result(&[name]), &manifest(&[name]), &out);
            assert!(
                matches!(refused, Err(OutputsError::Undeclared(ref n)) if n == name),
                "{name:?}: {refused:?}"
            );
        }
        // An output the manifest does not declare: not even the declared one is written.
        let refused = write(&result(&["stdout", "other"]), &manifest(&["stdout"]), &out);
        assert!(matches!(refused, Err(OutputsError::Undeclared(ref n)) if n == "other"));
        assert!(!out.exists(), "nothing was written");
        assert!(!dir.path().join("stdout").exists());
    }

    #[test]
    fn an_existing_file_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        assert!(ready(&manifest(&["stdout"]), dir.path()).is_ok());
        std::fs::write(dir.path().join("stdout"), b"mine").unwrap();
        let told = ready(&manifest(&["other", "stdout"]), dir.path());
        assert!(
            matches!(told, Err(OutputsError::Exists(ref p)) if *p == dir.path().join("stdout"))
        );
        let refused = write(&result(&["stdout"]), &manifest(&["stdout"]), dir.path());
        assert!(matches!(refused, Err(OutputsError::Write { .. })));
        assert_eq!(std::fs::read(dir.path().join("stdout")).unwrap(), b"mine");
    }
}
