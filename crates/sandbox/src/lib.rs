//! Runs an unchanged analysis tool (bcftools, plink2) confined, for the vault: the tool sees only its
//! executable and the libraries and data files it lists (each checked against its SHA-256 first) and its
//! inputs, read-only; writes only in a private scratch directory kept in memory (never the host's
//! disk) and wiped afterwards, has no network, and is killed at its CPU, memory, file-size and wall-clock
//! limits.
//!
//! The confinement is what the Linux kernel offers, all of it required: no descriptor inherited from the
//! vault (all are closed), new user, network and IPC namespaces (no interface but a down loopback, no
//! privilege over anything outside), a Landlock domain (file access only beneath the paths given, no
//! TCP, no signals or abstract sockets outside the sandbox), a seccomp filter (no sockets, no tracing, no
//! mounts, no new namespaces, no kernel keyring, no io_uring), no new privileges, and rlimits.
//! [`Sandbox::probe`] runs a trial and refuses, saying which part is missing, where the kernel cannot
//! give all of it.
//!
//! ```no_run
//! # async fn run() -> Result<(), dnavault_sandbox::Error> {
//! use dnavault_sandbox::{Limits, Sandbox, Scratch, Tool};
//!
//! // The vault's `main` calls `dnavault_sandbox::launch_if_asked()` first; its own executable launches.
//! let sandbox = Sandbox::probe(std::env::current_exe().unwrap()).await?;
//! let scratch = Scratch::new_in("/dev/shm".as_ref())?;
//! scratch.add_input("genome.vcf", b"##fileformat=VCFv4.2\n")?;
//! let input = scratch.inputs().join("genome.vcf").display().to_string();
//! // The executable and every library it loads, by the SHA-256 its manifest pins (checked here).
//! let pinned = |path: &str| (path.into(), [0u8; 32]);
//! let libraries = ["/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"].map(pinned);
//! let tool = Tool::verified(pinned("/usr/bin/bcftools"), libraries, ["view", "-H", input.as_str()])?;
//! let outcome = sandbox.run(&tool, &scratch, &Limits::default()).await?;
//! assert!(outcome.succeeded());
//! # Ok(()) }
//! ```

mod confine;
mod error;
mod run;
mod scratch;
mod tool;

pub use confine::launch_if_asked;
pub use error::{Error, Result};
pub use run::{Ended, Limits, Outcome, Sandbox};
pub use scratch::Scratch;
pub use tool::{Tool, sha256_of};
