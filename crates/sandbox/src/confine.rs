//! The launcher's side of a run: started by [`crate::Sandbox::run`] as `LAUNCHER --dnavault-sandbox-launch
//! SPEC`, single-threaded and before anything else, it confines itself (a new session, rlimits, new user,
//! network and IPC namespaces, Landlock, seccomp) and then becomes the tool with `exec`, so the tool starts
//! confined and cannot undo any of it. A step that fails stops the launch: it says which, and exits 125.

use std::{
    collections::BTreeMap,
    ffi::OsStr,
    os::unix::process::CommandExt,
    path::{Path, PathBuf},
};

use landlock::{
    ABI, Access, AccessFs, AccessNet, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, Scope, path_beneath_rules,
};
use nix::{
    sched::{CloneFlags, unshare},
    sys::resource::{Resource, setrlimit},
};
use seccompiler::{BpfProgram, SeccompAction, SeccompFilter};
use serde::{Deserialize, Serialize};

use crate::Limits;

/// The argument that asks an executable to launch a sandboxed tool.
pub(crate) const LAUNCH: &str = "--dnavault-sandbox-launch";

/// The exit code of a launch that failed before the tool started.
pub(crate) const LAUNCH_FAILED: i32 = 125;

/// What the launcher prefixes its complaint with.
pub(crate) const COMPLAINT: &str = "dnavault-sandbox: ";

/// The Landlock ABI required: 6 (Linux 6.12) is the first to scope signals and abstract sockets.
const LANDLOCK_ABI: ABI = ABI::V6;

/// What every tool may read besides its own files: the loader's cache (which names libraries, not loads
/// them: a library loads only if the tool lists it) and the two harmless devices. `/dev/null` is writable.
const SYSTEM_READ_ONLY: [&str; 3] = ["/etc/ld.so.cache", "/dev/urandom", "/dev/zero"];

/// System calls a tool never needs and a tool breaking out would: they fail with `EPERM`, as `socket`
/// does. (`clone3` stays: glibc starts threads with it and falls back only on `ENOSYS`; the namespaces it
/// could make are nested inside the sandbox's, under the same Landlock domain.)
const DENIED: [i64; 29] = [
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_reboot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_userfaultfd,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_personality,
];

/// What a launch runs and under which confinement.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Spec {
    /// The tool's executable.
    pub(crate) program: PathBuf,
    /// Its arguments.
    pub(crate) args: Vec<String>,
    /// What it may read and execute, besides the system's libraries.
    pub(crate) reads: Vec<PathBuf>,
    /// The one directory it may write.
    pub(crate) writable: PathBuf,
    /// Its limits.
    pub(crate) limits: Limits,
}

/// When this process was started as a sandbox launcher, confines itself and becomes the tool (never
/// returning); otherwise returns at once. Call it first in `main`.
pub fn launch_if_asked() {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(LAUNCH)) {
        return;
    }
    let spec = args
        .next()
        .ok_or("no launch spec".to_owned())
        .and_then(|text| {
            serde_json::from_slice::<Spec>(text.as_encoded_bytes())
                .map_err(|e| format!("the launch spec: {e}"))
        });
    let failed = match spec.and_then(|spec| confine(&spec).map(|()| spec)) {
        Ok(spec) => {
            let error = std::process::Command::new(&spec.program)
                .args(&spec.args)
                .exec();
            format!("starting {}: {error}", spec.program.display())
        }
        Err(error) => error,
    };
    eprintln!("{COMPLAINT}{failed}");
    std::process::exit(LAUNCH_FAILED);
}

/// Confines this (single-threaded) process; which step failed, if one did.
fn confine(spec: &Spec) -> Result<(), String> {
    close_inherited()?;
    let step = |what: &'static str| move |error: nix::Error| format!("{what}: {error}");
    nix::unistd::setsid().map_err(step("a new session"))?;
    for (resource, soft, hard) in rlimits(&spec.limits) {
        setrlimit(resource, soft, hard).map_err(step("a resource limit"))?;
    }
    unshare(CloneFlags::CLONE_NEWUSER | CloneFlags::CLONE_NEWNET | CloneFlags::CLONE_NEWIPC)
        .map_err(step("new user, network and IPC namespaces"))?;
    let reads: Vec<&Path> = spec.reads.iter().map(PathBuf::as_path).collect();
    landlock(&reads, &spec.writable).map_err(|e| format!("Landlock ABI 6: {e}"))?;
    let filter = filter().map_err(|e| format!("the seccomp filter: {e}"))?;
    seccompiler::apply_filter(&filter).map_err(|e| format!("the seccomp filter: {e}"))
}

/// Closes every descriptor but standard input, output and error: whatever the vault, or whoever started
/// it, left open without close-on-exec would pass Landlock by (it checks paths when they are opened).
/// Then checks that none is left.
fn close_inherited() -> Result<(), String> {
    #[allow(unsafe_code)]
    // SAFETY: this single-threaded process owns no descriptor above 2 that anything will use again: the
    // launcher has opened nothing yet, and it execs the tool next.
    let closed = unsafe { libc::close_range(3, libc::c_uint::MAX, 0) };
    if closed != 0 {
        return Err(format!(
            "closing inherited descriptors: {}",
            std::io::Error::last_os_error()
        ));
    }
    let listing =
        std::fs::read_dir("/proc/self/fd").map_err(|e| format!("listing open descriptors: {e}"))?;
    for entry in listing.flatten() {
        let Ok(fd) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let target = std::fs::read_link(entry.path()).unwrap_or_default();
        // The listing itself is open while it is read.
        let listing_itself = target.starts_with("/proc") && target.ends_with("fd");
        if fd > 2 && !listing_itself {
            return Err(format!(
                "descriptor {fd} ({}) is still open",
                target.display()
            ));
        }
    }
    Ok(())
}

/// Restricts this process to reading and executing beneath `reads` (and [`SYSTEM_READ_ONLY`]), to
/// everything beneath `writable`, and to no TCP, no signals and no abstract sockets outside its domain.
fn landlock(reads: &[&Path], writable: &Path) -> Result<(), String> {
    let text = |e: landlock::RulesetError| e.to_string();
    let read = AccessFs::from_read(LANDLOCK_ABI);
    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessFs::from_all(LANDLOCK_ABI))
        .and_then(|r| r.handle_access(AccessNet::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.scope(Scope::from_all(LANDLOCK_ABI)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(SYSTEM_READ_ONLY, read)))
        .and_then(|r| {
            r.add_rules(path_beneath_rules(
                ["/dev/null"],
                AccessFs::from_all(LANDLOCK_ABI),
            ))
        })
        .map_err(text)?;
    for path in reads {
        ruleset = ruleset.add_rule(beneath(path, read)?).map_err(text)?;
    }
    ruleset = ruleset
        .add_rule(beneath(writable, AccessFs::from_all(LANDLOCK_ABI))?)
        .map_err(text)?;
    let status = ruleset.restrict_self().map_err(text)?;
    if status.ruleset != RulesetStatus::FullyEnforced || !status.no_new_privs {
        return Err(format!("only partly enforced ({status:?})"));
    }
    Ok(())
}

fn beneath(
    path: &Path,
    access: landlock::BitFlags<AccessFs>,
) -> Result<PathBeneath<PathFd>, String> {
    let fd = PathFd::new(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // A file takes only the rights that apply to files (not reading or making directories).
    let access = if path.is_dir() {
        access
    } else {
        access & AccessFs::from_file(LANDLOCK_ABI)
    };
    Ok(PathBeneath::new(fd, access))
}

/// The seccomp filter: [`DENIED`] and `socket` fail with `EPERM`, the rest is allowed.
fn filter() -> Result<BpfProgram, seccompiler::BackendError> {
    let mut rules: BTreeMap<i64, Vec<seccompiler::SeccompRule>> =
        DENIED.iter().map(|&call| (call, Vec::new())).collect();
    rules.insert(libc::SYS_socket, Vec::new());
    let arch = std::env::consts::ARCH.try_into()?;
    let denied = SeccompFilter::new(
        rules,
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EPERM as u32),
        arch,
    )?;
    denied.try_into()
}

/// The rlimits: CPU seconds (SIGXCPU, then SIGKILL a second later), the address space, the largest file
/// (the scratch directory is memory, so its files count as memory), no core dumps.
fn rlimits(limits: &Limits) -> [(Resource, u64, u64); 4] {
    [
        (
            Resource::RLIMIT_CPU,
            limits.cpu_seconds,
            limits.cpu_seconds + 1,
        ),
        (
            Resource::RLIMIT_AS,
            limits.memory_bytes,
            limits.memory_bytes,
        ),
        (
            Resource::RLIMIT_FSIZE,
            limits.memory_bytes,
            limits.memory_bytes,
        ),
        (Resource::RLIMIT_CORE, 0, 0),
    ]
}
