//! The sandbox against the attacks a tool could make: each test runs a real program confined, through
//! the crate's own launcher, and checks what got out.

use std::{path::Path, time::Instant};

mod tools;

use dnavault_sandbox::{Ended, Error, Limits, Sandbox, Scratch, Tool};

/// The launcher Cargo built beside these tests.
const LAUNCHER: &str = env!("CARGO_BIN_EXE_dnavault-sandboxed");

async fn sandbox() -> Sandbox {
    Sandbox::probe(LAUNCHER)
        .await
        .expect("this machine can confine a tool")
}

/// `tool` run confined in `scratch` under `limits`.
async fn run(tool: &Tool, scratch: &Scratch, limits: &Limits) -> dnavault_sandbox::Outcome {
    sandbox().await.run(tool, scratch, limits).await.unwrap()
}

fn scratch() -> Scratch {
    Scratch::new_in(Path::new("/dev/shm")).unwrap()
}

/// A bash script that may run the system's commands (the attacks need a shell; the real tools below list
/// exactly their files).
fn sh(script: &str) -> Tool {
    let mut tool = Tool::new("/bin/bash", ["-c", script]);
    tool.reads = system();
    tool
}

/// The system's commands and libraries.
fn system() -> Vec<std::path::PathBuf> {
    ["/usr", "/lib", "/lib64", "/bin"].map(Into::into).to_vec()
}

/// `program` with `args`, reading the system's commands and libraries.
fn command(program: &str, args: &[&str]) -> Tool {
    let mut tool = Tool::new(program, args.iter().copied());
    tool.reads = system();
    tool
}

fn quick() -> Limits {
    Limits {
        cpu_seconds: 5,
        memory_bytes: 256 << 20,
        output_bytes: 1 << 20,
        wall_seconds: 20,
    }
}

#[tokio::test]
async fn a_confined_tool_reads_its_input_and_writes_its_output() {
    let scratch = scratch();
    scratch
        .add_input("genome.txt", b"chr1\t12345\tA\tG\n")
        .unwrap();
    let tool = sh("cut -f2 ../inputs/genome.txt > positions.txt && cat positions.txt");
    let outcome = run(&tool, &scratch, &quick()).await;
    assert!(outcome.succeeded(), "{outcome:?}");
    assert_eq!(outcome.stdout, b"12345\n");
    assert_eq!(
        scratch.read_output("positions.txt", 64).unwrap(),
        b"12345\n"
    );
}

#[tokio::test]
async fn a_tool_cannot_open_a_socket_even_to_a_listener_on_loopback() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let scratch = scratch();
    let tool = sh(&format!(
        "exec 3<>/dev/tcp/127.0.0.1/{port} && echo connected"
    ));
    let outcome = run(&tool, &scratch, &quick()).await;
    assert!(!outcome.succeeded(), "{outcome:?}");
    assert!(outcome.stdout.is_empty());
    let said = String::from_utf8_lossy(&outcome.stderr);
    assert!(said.contains("Operation not permitted"), "{said}");
    let accepted =
        tokio::time::timeout(std::time::Duration::from_millis(200), listener.accept()).await;
    assert!(accepted.is_err(), "nothing reached the listener");
}

#[tokio::test]
async fn a_tool_cannot_write_outside_its_working_directory() {
    let outside = tempfile::tempdir().unwrap();
    let escape = outside.path().join("escape");
    let scratch = scratch();
    scratch.add_input("genome.txt", b"the genome").unwrap();
    let script = format!(
        "echo x > {}; echo x > /dev/shm/escape; echo x >> ../inputs/genome.txt; rm -f ../inputs/genome.txt; ln ../inputs/genome.txt here; echo x > in-scratch",
        escape.display()
    );
    let outcome = run(&sh(&script), &scratch, &quick()).await;
    let said = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(said.matches("Permission denied").count(), 4, "{said}");
    // Landlock refuses a link to a file beneath another rule as a cross-device one.
    assert!(said.contains("failed to create hard link"), "{said}");
    assert!(!scratch.work().join("here").exists());
    assert!(!escape.exists() && !Path::new("/dev/shm/escape").exists());
    assert_eq!(
        std::fs::read(scratch.inputs().join("genome.txt")).unwrap(),
        b"the genome"
    );
    assert_eq!(
        scratch.read_output("in-scratch", 8).unwrap(),
        b"x\n",
        "its own directory is writable"
    );
}

#[tokio::test]
async fn a_tool_cannot_read_what_it_was_not_given() {
    let secrets = tempfile::tempdir().unwrap();
    let secret = secrets.path().join("vault.key");
    std::fs::write(&secret, "the data key").unwrap();
    let scratch = scratch();
    let script = format!("cat {}; cat /etc/hostname; ls /root", secret.display());
    let outcome = run(&sh(&script), &scratch, &quick()).await;
    assert!(!outcome.succeeded());
    assert!(
        outcome.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&outcome.stdout)
    );
    let said = String::from_utf8_lossy(&outcome.stderr);
    assert_eq!(said.matches("Permission denied").count(), 3, "{said}");
}

#[tokio::test]
async fn a_tool_cannot_signal_a_process_outside_the_sandbox() {
    let mut bystander = std::process::Command::new("/bin/sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let scratch = scratch();
    let tool = command("/bin/kill", &["-KILL", &bystander.id().to_string()]);
    let outcome = run(&tool, &scratch, &quick()).await;
    assert!(!outcome.succeeded(), "{outcome:?}");
    assert!(
        bystander.try_wait().unwrap().is_none(),
        "the bystander lives"
    );
    bystander.kill().unwrap();
}

#[tokio::test]
async fn a_tool_cannot_make_namespaces_or_trace() {
    let scratch = scratch();
    let outcome = run(
        &command("/usr/bin/unshare", &["--net", "/bin/true"]),
        &scratch,
        &quick(),
    )
    .await;
    assert!(!outcome.succeeded(), "{outcome:?}");
    assert!(String::from_utf8_lossy(&outcome.stderr).contains("Operation not permitted"));
}

#[tokio::test]
async fn a_tool_past_its_cpu_time_is_stopped() {
    let limits = Limits {
        cpu_seconds: 1,
        ..quick()
    };
    let outcome = run(&sh("while :; do :; done"), &scratch(), &limits).await;
    assert_eq!(outcome.ended, Ended::CpuLimit);
}

#[tokio::test]
async fn a_tool_past_its_wall_clock_is_killed_with_what_it_started() {
    let limits = Limits {
        wall_seconds: 1,
        ..quick()
    };
    let scratch = scratch();
    let started = Instant::now();
    let outcome = run(
        &sh("sleep 30 & sleep 30; echo late > late"),
        &scratch,
        &limits,
    )
    .await;
    assert_eq!(outcome.ended, Ended::TimedOut);
    assert!(
        started.elapsed().as_secs() < 10,
        "killed at once, not after its sleep"
    );
    assert!(scratch.read_output("late", 8).is_err());
}

#[tokio::test]
async fn a_tool_that_prints_too_much_is_killed() {
    let limits = Limits {
        output_bytes: 4096,
        ..quick()
    };
    let outcome = run(&command("/usr/bin/yes", &["genome"]), &scratch(), &limits).await;
    assert_eq!(outcome.ended, Ended::OutputTooLarge);
    assert_eq!(outcome.stdout.len(), 4096);
}

#[tokio::test]
async fn a_tool_cannot_take_more_memory_or_file_space_than_its_limit() {
    let limits = Limits {
        memory_bytes: 64 << 20,
        ..quick()
    };
    let scratch = scratch();
    let hog = sh("x=$(head -c 100000000 /dev/zero | tr '\\0' a); echo ${#x}");
    let outcome = run(&hog, &scratch, &limits).await;
    assert!(
        !outcome.succeeded() && outcome.stdout.is_empty(),
        "{outcome:?}"
    );
    let said = String::from_utf8_lossy(&outcome.stderr);
    assert!(said.contains("cannot allocate"), "{said}");
    let big = sh("exec head -c 100000000 /dev/zero > big");
    let outcome = run(&big, &scratch, &limits).await;
    assert_eq!(outcome.ended, Ended::FileTooLarge, "{outcome:?}");
}

#[tokio::test]
async fn a_link_left_as_an_output_is_not_followed() {
    let scratch = scratch();
    let outcome = run(
        &sh("ln -s /etc/passwd result; mkdir dir"),
        &scratch,
        &quick(),
    )
    .await;
    assert!(outcome.succeeded(), "{outcome:?}");
    assert!(matches!(
        scratch.read_output("result", 1 << 20),
        Err(Error::NoOutput { .. })
    ));
    assert!(matches!(
        scratch.read_output("dir", 1 << 20),
        Err(Error::NoOutput { .. })
    ));
    assert!(matches!(
        scratch.read_output("../inputs", 1 << 20),
        Err(Error::BadName { .. })
    ));
}

#[tokio::test]
async fn an_output_over_its_limit_is_refused() {
    let scratch = scratch();
    run(&sh("head -c 2048 /dev/zero > out"), &scratch, &quick()).await;
    assert!(matches!(
        scratch.read_output("out", 1024),
        Err(Error::OutputTooLarge { limit: 1024, .. })
    ));
    assert_eq!(scratch.read_output("out", 2048).unwrap().len(), 2048);
}

#[test]
fn the_scratch_directory_is_in_memory_and_gone_after_the_run() {
    let on_disk = Scratch::new_in(Path::new(env!("CARGO_MANIFEST_DIR")));
    assert!(
        matches!(on_disk, Err(Error::NotInMemory { .. })),
        "{on_disk:?}"
    );
    let scratch = scratch();
    let input = scratch
        .add_input("genome.vcf", b"plaintext genome")
        .unwrap();
    std::fs::write(scratch.work().join("partial"), b"derived").unwrap();
    std::fs::create_dir(scratch.work().join("nested")).unwrap();
    std::fs::write(scratch.work().join("nested/deeper"), b"derived").unwrap();
    let root = input.parent().unwrap().parent().unwrap().to_owned();
    drop(scratch);
    assert!(!root.exists(), "{} is gone", root.display());
    for bad in ["", ".", "..", "a/b"] {
        assert!(
            matches!(scratch_bad(bad), Err(Error::BadName { .. })),
            "{bad:?}"
        );
    }
}

fn scratch_bad(name: &str) -> dnavault_sandbox::Result<std::path::PathBuf> {
    scratch().add_input(name, b"")
}

#[tokio::test]
async fn a_launcher_that_cannot_confine_refuses_to_run_the_tool() {
    // An executable that is not a launcher exits without running anything: the probe says so.
    let refused = Sandbox::probe("/bin/false").await;
    assert!(
        matches!(refused, Err(Error::Unavailable { .. })),
        "{refused:?}"
    );
}
