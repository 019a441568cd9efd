//! A run's private directory, in memory: `inputs/` (read-only to the tool) and `work/` (its working
//! directory, where it writes). Every file is overwritten with zeros and removed when it is dropped.

use std::{
    fs,
    io::{Read, Write},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
};

use crate::{Error, Result};

/// A memory-backed scratch directory for one run, wiped when dropped.
#[derive(Debug)]
pub struct Scratch {
    dir: Option<tempfile::TempDir>,
}

impl Scratch {
    /// A new scratch directory under `root`, which must be memory-backed (`/dev/shm` in a guest).
    pub fn new_in(root: &Path) -> Result<Self> {
        if !in_memory(root)? {
            return Err(Error::NotInMemory { path: root.into() });
        }
        let dir = tempfile::Builder::new()
            .prefix("dnavault-run-")
            .permissions(fs::Permissions::from_mode(0o700))
            .tempdir_in(root)
            .map_err(|source| io("creating the scratch directory in", root, source))?;
        for sub in ["inputs", "work"] {
            let path = dir.path().join(sub);
            fs::create_dir(&path).map_err(|source| io("creating", &path, source))?;
        }
        Ok(Self { dir: Some(dir) })
    }

    /// The directory of the inputs (read-only to the tool).
    pub fn inputs(&self) -> PathBuf {
        self.root().join("inputs")
    }

    /// The tool's working directory, the only place it may write.
    pub fn work(&self) -> PathBuf {
        self.root().join("work")
    }

    /// Writes the input `name` (read-only, owner only); its path.
    pub fn add_input(&self, name: &str, bytes: &[u8]) -> Result<PathBuf> {
        self.add_input_from(name, bytes)
    }

    /// Writes the input `name` from `reader` as it reads (a decrypting reader: the whole plaintext is never
    /// held in memory at once; the buffer is zeroed after); its path.
    pub fn add_input_from(&self, name: &str, mut reader: impl Read) -> Result<PathBuf> {
        let path = self.inputs().join(plain(name)?);
        let mut file = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o400)
            .open(&path)
            .map_err(|source| io("creating the input", &path, source))?;
        let mut buffer = zeroize::Zeroizing::new(vec![0u8; 1 << 16]);
        loop {
            let n = match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(source) => return Err(io("reading the input for", &path, source)),
            };
            file.write_all(&buffer[..n])
                .map_err(|source| io("writing the input", &path, source))?;
        }
        Ok(path)
    }

    /// The output `name` the tool wrote in its working directory, refused if it is not a regular file
    /// (a link the tool planted is not followed) or is larger than `limit` bytes.
    pub fn read_output(&self, name: &str, limit: u64) -> Result<Vec<u8>> {
        let path = self.work().join(plain(name)?);
        let missing = || Error::NoOutput { name: name.into() };
        let file = fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
            .open(&path)
            .map_err(|_| missing())?;
        let meta = file.metadata().map_err(|_| missing())?;
        if !meta.is_file() {
            return Err(missing());
        }
        if meta.len() > limit {
            return Err(Error::OutputTooLarge {
                name: name.into(),
                limit,
            });
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|source| io("reading the output", &path, source))?;
        if bytes.len() as u64 > limit {
            return Err(Error::OutputTooLarge {
                name: name.into(),
                limit,
            });
        }
        Ok(bytes)
    }

    fn root(&self) -> &Path {
        self.dir.as_ref().expect("present until dropped").path()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(dir) = self.dir.take() {
            wipe(dir.path());
            // What wiping could not remove, the TempDir's own drop tries again.
            drop(dir);
        }
    }
}

/// Overwrites every regular file beneath `dir` with zeros, then removes it all (links are not followed).
fn wipe(dir: &Path) {
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => wipe(&path),
            Ok(kind) if kind.is_file() => zero(&path),
            _ => {}
        }
        let _ = fs::remove_file(&path).or_else(|_| fs::remove_dir(&path));
    }
}

fn zero(path: &Path) {
    let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
    let Ok(mut file) = fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
    else {
        return;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return;
    };
    let zeros = [0u8; 64 * 1024];
    let mut left = len;
    while left > 0 {
        let n = left.min(zeros.len() as u64) as usize;
        if file.write_all(&zeros[..n]).is_err() {
            return;
        }
        left -= n as u64;
    }
}

/// Whether `path` is on a file system that keeps its files in memory only.
fn in_memory(path: &Path) -> Result<bool> {
    use nix::sys::statfs::{FsType, TMPFS_MAGIC, statfs};
    /// ramfs's `statfs` type (nix names tmpfs's, not this one).
    const RAMFS_MAGIC: FsType = FsType(0x8584_58f6);
    let kind = statfs(path)
        .map_err(|errno| io("checking", path, errno.into()))?
        .filesystem_type();
    Ok(kind == TMPFS_MAGIC || kind == RAMFS_MAGIC)
}

/// `name` when it is a plain file name.
fn plain(name: &str) -> Result<&str> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(Error::BadName { name: name.into() });
    }
    Ok(name)
}

fn io(what: &'static str, path: &Path, source: std::io::Error) -> Error {
    Error::Io {
        what,
        path: path.into(),
        source,
    }
}
