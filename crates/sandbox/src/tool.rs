//! The program a run starts and the files it may read, checked against their hashes.

use std::{io::Read, path::PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// A tool to run: its executable, its arguments and every file it may read (its loader, libraries and
/// data files; nothing else of the system is visible to it).
#[derive(Debug, Clone)]
pub struct Tool {
    /// The executable.
    pub program: PathBuf,
    /// Its arguments (paths absolute, or relative to its working directory, [`crate::Scratch::work`]).
    pub args: Vec<String>,
    /// Files and directories it may read and execute.
    pub reads: Vec<PathBuf>,
}

impl Tool {
    /// `program` with `args`, reading nothing but its inputs until [`Tool::reads`] lists more.
    pub fn new(
        program: impl Into<PathBuf>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            reads: vec![],
        }
    }

    /// `program` and `files`, each checked now against its SHA-256 (refused, naming the first that
    /// differs, if one was altered by so much as a byte), with `args`.
    pub fn verified(
        program: (PathBuf, [u8; 32]),
        files: impl IntoIterator<Item = (PathBuf, [u8; 32])>,
        args: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self> {
        let files: Vec<_> = files.into_iter().collect();
        for (path, expected) in std::iter::once(&program).chain(&files) {
            let found = sha256_of(path)?;
            if found != *expected {
                return Err(Error::Altered {
                    path: path.clone(),
                    expected: *expected,
                    found,
                });
            }
        }
        let mut tool = Self::new(program.0, args);
        tool.reads = files.into_iter().map(|(path, _)| path).collect();
        Ok(tool)
    }
}

/// The SHA-256 of the file at `path`.
pub fn sha256_of(path: &std::path::Path) -> Result<[u8; 32]> {
    let io = |source| Error::Io {
        what: "hashing",
        path: path.into(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buffer).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hasher.finalize().into())
}
