//! The wallet core for native phone apps (`native/`, UniFFI): its Python binding (`native/tests/test_core.py`)
//! and its Kotlin binding on the JVM (`native/tests/CoreTest.kt`, compiled with kotlinc from the npm package
//! `kotlin-compiler` against Debian's JNA) agree with the CLI. Both need the bindings `script/build-native`
//! makes, named by `DNAVAULT_NATIVE_BINDINGS` (script/test sets it).

use std::{path::PathBuf, process::Command};

use dnavault_tests::binary;

use crate::app::{passed, repository};

/// JNA, as Debian's libjna-java installs it.
const JNA: &str = "/usr/share/java/jna.jar";

/// The generated bindings; a missing directory fails the test with what to run.
fn bindings() -> PathBuf {
    let dir = std::env::var_os("DNAVAULT_NATIVE_BINDINGS")
        .map(PathBuf::from)
        .expect("DNAVAULT_NATIVE_BINDINGS is not set: run script/build-native and point it there");
    assert!(
        dir.join("libdnavault_native.so").is_file(),
        "{} holds no built library: run script/build-native",
        dir.display()
    );
    dir
}

#[test]
fn the_python_binding_agrees_with_the_cli() {
    let output = Command::new("python3")
        .arg(repository("native/tests/test_core.py"))
        .env("NATIVE", bindings())
        .env("WALLET", binary("dnavault-wallet"))
        .output()
        .unwrap();
    let printed = passed(output, "the Python binding's tests");
    assert!(printed.contains("\nOK"), "{printed}");
    assert!(!printed.contains("Ran 0 tests"), "{printed}");
}

#[test]
fn the_kotlin_binding_agrees_with_the_cli_on_the_jvm() {
    let native = bindings();
    let build = tempfile::tempdir().unwrap();
    let jar = build.path().join("core-test.jar");
    let compiled = Command::new(repository("node_modules/kotlin-compiler/bin/kotlinc"))
        .arg(native.join("kotlin/uniffi/dnavault_native/dnavault_native.kt"))
        .arg(repository("native/tests/CoreTest.kt"))
        .args(["-cp", JNA, "-include-runtime", "-nowarn", "-d"])
        .arg(&jar)
        .output()
        .unwrap();
    passed(compiled, "kotlinc");
    let output = Command::new("java")
        .arg(format!("-Djna.library.path={}", native.display()))
        .arg("-cp")
        .arg(format!("{}:{JNA}", jar.display()))
        .arg("CoreTestKt")
        .env("WALLET", binary("dnavault-wallet"))
        .env("MAIL", repository("wallet/tests/fixtures/eip712-mail.json"))
        .output()
        .unwrap();
    let printed = passed(output, "the Kotlin binding's tests");
    assert!(printed.contains("kotlin tests passed"), "{printed}");
}
