//! A descriptor the vault (or whoever started it) leaves open without close-on-exec would pass Landlock by
//! (it checks paths when they are opened): the launcher closes it before the tool starts. (Its own test
//! binary: the leak would reach every other test's tool too.)

use std::path::Path;

use dnavault_sandbox::{Limits, Sandbox, Scratch, Tool};

#[tokio::test]
async fn a_descriptor_of_the_vault_does_not_reach_the_tool() {
    let sandbox = Sandbox::probe(env!("CARGO_BIN_EXE_dnavault-sandboxed"))
        .await
        .unwrap();
    let secret = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(secret.path(), "the data key").unwrap();
    // `dup` makes a copy without close-on-exec: what a careless open in the vault would leave.
    let leaked = nix::unistd::dup(secret.as_file()).unwrap();
    let fd = std::os::fd::AsRawFd::as_raw_fd(&leaked);
    let scratch = Scratch::new_in(Path::new("/dev/shm")).unwrap();
    let script = format!("cat <&{fd}; ls /proc/self/fd/{fd} && echo open");
    let mut tool = Tool::new("/bin/bash", ["-c", script.as_str()]);
    tool.reads = ["/usr", "/lib", "/lib64", "/bin"].map(Into::into).to_vec();
    let outcome = sandbox
        .run(&tool, &scratch, &Limits::default())
        .await
        .unwrap();
    assert!(!outcome.succeeded(), "{outcome:?}");
    assert!(
        outcome.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&outcome.stdout)
    );
    let said = String::from_utf8_lossy(&outcome.stderr);
    assert!(said.contains("Bad file descriptor"), "{said}");
    // Outside the sandbox the same script reads it: the descriptor was there to leak.
    let bare = std::process::Command::new("/bin/bash")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bare.stdout).contains("the data key"));
}
