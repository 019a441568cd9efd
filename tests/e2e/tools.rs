//! The vault's own executable launches analysis tools confined (its `main` enters the sandbox when asked,
//! before anything else): a trial run passes, a tool it launches cannot write outside its scratch
//! directory, and a launch request it cannot read starts nothing.

use std::path::Path;

use dnavault_sandbox::{Limits, Sandbox, Scratch, Tool};
use dnavault_tests::binary;

#[tokio::test]
async fn the_vault_binary_launches_a_tool_confined_and_refuses_a_garbled_launch() {
    let sandbox = Sandbox::probe(binary("dnavault-vault"))
        .await
        .expect("the vault's executable confines a tool on this machine");
    let scratch = Scratch::new_in(Path::new("/dev/shm")).unwrap();
    let outside = tempfile::tempdir().unwrap();
    let escape = outside.path().join("escape");
    let script = format!("echo genome > {}; echo done > kept", escape.display());
    let mut tool = Tool::new("/bin/bash", ["-c", script.as_str()]);
    tool.reads = ["/usr", "/lib", "/lib64", "/bin"].map(Into::into).to_vec();
    let outcome = sandbox
        .run(&tool, &scratch, &Limits::default())
        .await
        .unwrap();
    assert!(String::from_utf8_lossy(&outcome.stderr).contains("Permission denied"));
    assert!(
        !escape.exists(),
        "nothing was written outside the scratch directory"
    );
    assert_eq!(scratch.read_output("kept", 16).unwrap(), b"done\n");

    let garbled = std::process::Command::new(binary("dnavault-vault"))
        .args(["--dnavault-sandbox-launch", "{\"program\": \"/bin/sh\""])
        .output()
        .unwrap();
    assert_eq!(garbled.status.code(), Some(125));
    let said = String::from_utf8_lossy(&garbled.stderr);
    assert!(
        said.starts_with("dnavault-sandbox: the launch spec:"),
        "{said}"
    );
}
