//! dnavault-researcher on the command line: its key, and the queries it refuses to send.
//! (Queries against a running vault are tested in tests/e2e/query.rs, which runs this binary.)

use std::process::{Command, Output};

fn researcher(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_dnavault-researcher"))
        .args(args)
        .env_remove("DNAVAULT_RPC_URL")
        .env_remove("DNAVAULT_RESEARCHER_KEY_FILE")
        .output()
        .unwrap()
}

fn text(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
}

#[test]
fn whoami_prints_the_address_of_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    // Anvil's account 2.
    std::fs::write(
        &key,
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a\n",
    )
    .unwrap();
    let output = researcher(&["whoami", "--key-file", key.to_str().unwrap()]);
    assert!(output.status.success(), "{}", text(&output));
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        printed["address"],
        "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"
    );
    assert_eq!(printed["recipientKey"].as_str().unwrap().len(), 66);

    std::fs::write(&key, "not a key").unwrap();
    let output = researcher(&["whoami", "--key-file", key.to_str().unwrap()]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("does not hold a hex private key"),
        "{}",
        text(&output)
    );
    // The key is never echoed.
    assert!(!text(&output).contains("not a key"), "{}", text(&output));
}

#[test]
fn malformed_queries_are_refused_before_anything_is_sent() {
    let (dir, key) = key_file();
    let positions = dir.path().join("positions");
    let query = dir.path().join("query.json");
    std::fs::write(&query, r#"{"kind":"genotype-lookup"}"#).unwrap();
    let descriptor = dir.path().join("descriptor.json");
    std::fs::write(&descriptor, COUNTS).unwrap();
    let cases: [(&str, &str, &str); 3] = [
        (
            "22\tx\n",
            "--allele-counts",
            "positions:1: `x` is not a position",
        ),
        ("22\n", "--allele-counts", "positions:1: expected CHROM POS"),
        ("", "--query-file", "name regions or rsids"),
    ];
    for (content, flag, expected) in cases {
        if !content.is_empty() {
            std::fs::write(&positions, content).unwrap();
        }
        let file = if flag == "--query-file" {
            &query
        } else {
            &positions
        };
        // An unreachable chain: the query is refused before it is needed.
        let output = offline_query(
            &key,
            &[
                flag,
                file.to_str().unwrap(),
                "--descriptor",
                descriptor.to_str().unwrap(),
            ],
        );
        assert!(!output.status.success(), "{expected}");
        assert!(text(&output).contains(expected), "{}", text(&output));
    }
}

#[test]
fn a_malformed_descriptor_is_refused_before_anything_is_sent() {
    let (dir, key) = key_file();
    let positions = dir.path().join("positions");
    std::fs::write(&positions, "22\t50326116\n").unwrap();
    let descriptor = dir.path().join("descriptor.json");
    for (content, expected) in [
        (
            r#"{"analysis": "dnavault/query/allele-counts/v9"}"#,
            "is not an analysis descriptor",
        ),
        (
            r#"{"analysis": "dnavault/query/allele-counts/v2", "panel": {"name": "x", "assembly": "hg19", "regions": [], "rsids": ["rs1"]}}"#,
            "assembly: `hg19` is not GRCh37 or GRCh38",
        ),
    ] {
        std::fs::write(&descriptor, content).unwrap();
        let output = offline_query(
            &key,
            &[
                "--descriptor",
                descriptor.to_str().unwrap(),
                "--allele-counts",
                positions.to_str().unwrap(),
            ],
        );
        assert!(!output.status.success(), "{expected}");
        assert!(text(&output).contains(expected), "{}", text(&output));
    }
}

/// An allele-counts descriptor over one window of chr22.
const COUNTS: &str = r#"{"analysis": "dnavault/query/allele-counts/v2", "panel": {"name": "window",
    "assembly": "GRCh37", "regions": [{"chrom": "22", "start": 50326000, "end": 50360000, "gene": ""}],
    "rsids": []}}"#;

#[test]
fn a_purpose_that_is_not_one_is_refused_before_anything_is_sent() {
    let (dir, key) = key_file();
    let positions = dir.path().join("positions");
    std::fs::write(&positions, "22\t50326116\n").unwrap();
    let descriptor = dir.path().join("descriptor.json");
    std::fs::write(&descriptor, COUNTS).unwrap();
    for (purpose, expected) in [
        ("DS", "names its disease"),
        ("NCU", "the first term must be a DUO permission"),
        (
            "research",
            "is neither a DUO id (DUO:0000000) nor a DUO shorthand",
        ),
    ] {
        let mut args = vec!["--descriptor", descriptor.to_str().unwrap()];
        args.extend(["--allele-counts", positions.to_str().unwrap()]);
        let output = offline_query_for(&key, purpose, &args);
        assert!(!output.status.success(), "{expected}");
        assert!(text(&output).contains(expected), "{}", text(&output));
    }
}

/// `query` with `key` and `args`, for general research use, against a chain and a vault that do not answer.
fn offline_query(key: &std::path::Path, args: &[&str]) -> Output {
    offline_query_for(key, "GRU", args)
}

/// `query` with `key`, `purpose` and `args` against a chain and a vault that do not answer.
fn offline_query_for(key: &std::path::Path, purpose: &str, args: &[&str]) -> Output {
    let mut all = vec![
        "query",
        "--key-file",
        key.to_str().unwrap(),
        "--rpc-url",
        "http://127.0.0.1:9",
        "--registry",
        "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        "--vault",
        "https://127.0.0.1:9/",
        "--vault-id",
        "1",
        "--purpose",
        purpose,
    ];
    all.extend_from_slice(args);
    researcher(&all)
}

/// A directory holding Anvil account 2's key, and the key file's path.
fn key_file() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key");
    std::fs::write(
        &key,
        "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    )
    .unwrap();
    (dir, key)
}

/// A bcftools run over the same window as [`COUNTS`] (its hashes need not be real: nothing runs).
const RUN_TOOL: &str = r#"{"analysis": "dnavault/query/run-tool/v1",
    "tool": {"name": "bcftools query", "version": "1.16",
        "executable": {"path": "/usr/bin/bcftools",
            "sha256": "0x1111111111111111111111111111111111111111111111111111111111111111"},
        "files": [], "arguments": ["query", "-r", "{regions}", "-f", "%POS\\n", "{genome}"],
        "outputs": ["stdout"],
        "limits": {"cpuSeconds": 30, "memoryBytes": 536870912, "outputBytes": 1048576, "wallSeconds": 60}},
    "panel": {"name": "window", "assembly": "GRCh37",
        "regions": [{"chrom": "22", "start": 50326000, "end": 50360000, "gene": ""}], "rsids": []}}"#;

/// `--outputs-dir` is checked before anything is sent, so no query is spent on outputs it cannot write:
/// under a grant of no tool, and where a file an output would be written to exists (it is kept).
#[test]
fn outputs_that_cannot_be_written_are_refused_before_anything_is_sent() {
    let (dir, key) = key_file();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let query = dir.path().join("run.json");
    std::fs::write(
        &query,
        r#"{"kind": "run-tool", "tool": "0x11", "regions": []}"#,
    )
    .unwrap();
    let descriptor = dir.path().join("descriptor.json");
    for (content, expected) in [(COUNTS, "grants no tool"), (RUN_TOOL, "exists already")] {
        std::fs::write(&descriptor, content).unwrap();
        std::fs::write(out.join("stdout"), "kept").unwrap();
        let output = offline_query(
            &key,
            &[
                "--descriptor",
                descriptor.to_str().unwrap(),
                "--query-file",
                query.to_str().unwrap(),
                "--outputs-dir",
                out.to_str().unwrap(),
            ],
        );
        assert!(!output.status.success(), "{expected}");
        assert!(text(&output).contains(expected), "{}", text(&output));
        assert_eq!(std::fs::read_to_string(out.join("stdout")).unwrap(), "kept");
    }
}
