//! Runs an unchanged analysis tool (bcftools, plink2) confined, for the vault: the tool sees its own files
//! and the inputs read-only, writes only in a private scratch directory kept in memory (never the host's
//! disk) and wiped afterwards, has no network, and is killed at its CPU, memory, file-size and wall-clock
//! limits.
//!
//! The confinement is what the Linux kernel offers, all of it required: new user, network and IPC
//! namespaces (no interface but a down loopback, no privilege over anything outside), a Landlock domain
//! (file access only beneath the paths given, no TCP, no signals or abstract sockets outside the sandbox),
//! a seccomp filter (no sockets, no tracing, no mounts, no new namespaces, no kernel keyring, no
//! io_uring), no new privileges, and rlimits. [`Sandbox::probe`] runs a trial and refuses, saying which
//! part is missing, where the kernel cannot give all of it.
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
//! let tool = Tool::new("/usr/bin/bcftools", ["view", "-H", input.as_str()]);
//! let outcome = sandbox.run(&tool, &scratch, &Limits::default()).await?;
//! assert!(outcome.succeeded());
//! # Ok(()) }
//! ```

mod confine;
mod error;
mod run;
mod scratch;

pub use confine::launch_if_asked;
pub use error::{Error, Result};
pub use run::{Ended, Limits, Outcome, Sandbox, Tool};
pub use scratch::Scratch;
