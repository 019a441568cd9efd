//! Running a tool: the limits, the confined child, what it printed and how it ended.

use std::{
    os::unix::process::ExitStatusExt,
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use tokio::io::{AsyncRead, AsyncReadExt};

use nix::{
    sys::signal::{Signal, killpg},
    unistd::Pid,
};

use crate::{
    Error, Result, Scratch, Tool,
    confine::{COMPLAINT, LAUNCH, LAUNCH_FAILED, Spec},
};

/// What stderr keeps of a tool's complaints.
const STDERR_LIMIT: u64 = 64 * 1024;

/// A tool's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Limits {
    /// CPU seconds.
    pub cpu_seconds: u64,
    /// Address space, and the largest file it may write (its scratch is memory too), in bytes.
    pub memory_bytes: u64,
    /// The most its standard output may hold, in bytes.
    pub output_bytes: u64,
    /// Wall-clock seconds before it is killed.
    pub wall_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            cpu_seconds: 60,
            memory_bytes: 2 << 30,
            output_bytes: 16 << 20,
            wall_seconds: 120,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this code.
    Exited(i32),
    /// It used up its CPU seconds.
    CpuLimit,
    /// It tried to write a file larger than its limit.
    FileTooLarge,
    /// It printed more than its output limit, and was killed.
    OutputTooLarge,
    /// It ran past its wall-clock limit, and was killed.
    TimedOut,
    /// A signal ended it.
    Signalled(i32),
}

/// What a run printed and how it ended.
#[derive(Debug)]
pub struct Outcome {
    /// How it ended.
    pub ended: Ended,
    /// Its standard output (at most the output limit).
    pub stdout: Vec<u8>,
    /// The start of its standard error.
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// Whether it exited with 0.
    pub fn succeeded(&self) -> bool {
        self.ended == Ended::Exited(0)
    }
}

/// The kernel's confinement, checked to be all there, and the launcher that enters it.
#[derive(Debug, Clone)]
pub struct Sandbox {
    launcher: PathBuf,
}

impl Sandbox {
    /// Checks with a trial run (`/bin/true`, confined) that `launcher` (an executable whose `main` calls
    /// [`crate::launch_if_asked`] first: the vault's own) can confine a tool here; refuses, saying what is
    /// missing, where the kernel cannot.
    pub async fn probe(launcher: impl Into<PathBuf>) -> Result<Self> {
        let sandbox = Self {
            launcher: launcher.into(),
        };
        let scratch = Scratch::new_in(Path::new("/dev/shm"))?;
        let mut trial = Tool::new("/bin/true", Vec::<String>::new());
        trial.reads = ["/lib", "/lib64", "/usr/lib"].map(PathBuf::from).to_vec();
        let outcome = sandbox.run(&trial, &scratch, &Limits::default()).await?;
        if !outcome.succeeded() {
            return Err(Error::Unavailable {
                what: "a confined trial run".into(),
                why: format!("/bin/true ended {:?}", outcome.ended),
            });
        }
        Ok(sandbox)
    }

    /// Runs `tool` confined, in `scratch`'s working directory, under `limits`.
    pub async fn run(&self, tool: &Tool, scratch: &Scratch, limits: &Limits) -> Result<Outcome> {
        let mut reads = tool.reads.clone();
        reads.extend([tool.program.clone(), scratch.inputs()]);
        let spec = Spec {
            program: tool.program.clone(),
            args: tool.args.clone(),
            reads,
            writable: scratch.work(),
            limits: *limits,
        };
        let spec = serde_json::to_string(&spec).map_err(|source| Error::Spawn {
            program: tool.program.clone(),
            source: std::io::Error::other(format!("a path that is not UTF-8: {source}")),
        })?;
        let mut child = tokio::process::Command::new(&self.launcher)
            .args([LAUNCH, &spec])
            .current_dir(scratch.work())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", scratch.work())
            .env("TMPDIR", scratch.work())
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|source| Error::Spawn {
                program: self.launcher.clone(),
                source,
            })?;
        let group = child
            .id()
            .and_then(|pid| i32::try_from(pid).ok())
            .map(Pid::from_raw);
        let (stdout, stderr) = (child.stdout.take(), child.stderr.take());
        let waited = async {
            let ((stdout, over), (stderr, _)) = tokio::join!(
                capped(stdout, limits.output_bytes),
                capped(stderr, STDERR_LIMIT)
            );
            let status = if over { None } else { Some(child.wait().await) };
            (status, stdout, stderr)
        };
        let ended = tokio::time::timeout(Duration::from_secs(limits.wall_seconds), waited).await;
        // Whatever it started dies with it (the launcher made it a process group's leader).
        if let Some(group) = group {
            let _ = killpg(group, Signal::SIGKILL);
        }
        let Ok((status, stdout, stderr)) = ended else {
            return Ok(Outcome {
                ended: Ended::TimedOut,
                stdout: vec![],
                stderr: vec![],
            });
        };
        let Some(status) = status else {
            return Ok(Outcome {
                ended: Ended::OutputTooLarge,
                stdout,
                stderr,
            });
        };
        let status = status.map_err(|source| Error::Spawn {
            program: self.launcher.clone(),
            source,
        })?;
        if status.code() == Some(LAUNCH_FAILED) {
            let said = String::from_utf8_lossy(&stderr);
            if let Some(why) = said.lines().find_map(|line| line.strip_prefix(COMPLAINT)) {
                return Err(Error::Unavailable {
                    what: "the confinement".into(),
                    why: why.into(),
                });
            }
        }
        Ok(Outcome {
            ended: ended_by(status),
            stdout,
            stderr,
        })
    }
}

fn ended_by(status: std::process::ExitStatus) -> Ended {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ended::Exited(code),
        (None, Some(libc::SIGXCPU)) => Ended::CpuLimit,
        (None, Some(libc::SIGXFSZ)) => Ended::FileTooLarge,
        (None, Some(signal)) => Ended::Signalled(signal),
        (None, None) => Ended::Signalled(0),
    }
}

/// Up to `limit` bytes of `stream`, and whether it had more (then the rest is not read).
async fn capped(stream: Option<impl AsyncRead + Unpin>, limit: u64) -> (Vec<u8>, bool) {
    let Some(stream) = stream else {
        return (vec![], false);
    };
    let mut bytes = Vec::new();
    let mut head = stream.take(limit + 1);
    let _ = head.read_to_end(&mut bytes).await;
    let over = bytes.len() as u64 > limit;
    bytes.truncate(limit as usize);
    (bytes, over)
}
