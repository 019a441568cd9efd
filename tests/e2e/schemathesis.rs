//! The vault's and the website's OpenAPI descriptions held to what they serve, by schemathesis (PyPI, pinned
//! in script/schemathesis/requirements.txt, installed by script/test): requests it generates from each
//! description, good and bad, against a booted vault and the website over its chain. No answer is a server
//! error, and every status, content type and body is one the description names.

use std::process::Command;

use dnavault_tests::{booted_vault, chain_with_vault, web::WebProcess};

/// What schemathesis checks: no 5xx, and responses as described.
const CHECKS: &str = "not_a_server_error,status_code_conformance,content_type_conformance,\
                      response_schema_conformance";

fn description(path: &str) -> String {
    format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs schemathesis on the description at `spec` against `url`; its report when it finds anything.
fn schemathesis(spec: &str, url: &str, extra: &[&str]) -> Result<(), String> {
    let tool = std::env::var("DNAVAULT_SCHEMATHESIS").expect(
        "DNAVAULT_SCHEMATHESIS names the schemathesis executable: run the tests with script/test, which \
         installs it",
    );
    let output = Command::new(tool)
        .args([
            "run",
            spec,
            "--url",
            url.trim_end_matches('/'),
            "--checks",
            CHECKS,
        ])
        .args([
            "--max-examples",
            "25",
            "--workers",
            "1",
            "--seed",
            "1",
            "--no-color",
        ])
        .args(extra)
        .output()
        .unwrap();
    match output.status.success() {
        true => Ok(()),
        false => Err(String::from_utf8_lossy(&output.stdout).into_owned()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_vault_and_the_website_answer_as_they_describe() {
    let (chain, _seed, _owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = tokio::task::block_in_place(|| booted_vault(&chain, dir.path()));
    let website = WebProcess::start(&chain, dir.path(), &[]);
    website.indexed_with(&chain).await;
    let vault_spec = description("vault/api/openapi.json");
    let web_spec = description("web/api/openapi.json");
    tokio::task::block_in_place(|| {
        schemathesis(&vault_spec, &vault.url, &["--tls-verify", "false"])
            .unwrap_or_else(|report| panic!("the vault:\n{report}"));
        schemathesis(&web_spec, &website.url, &[])
            .unwrap_or_else(|report| panic!("the website:\n{report}"));
    });
}
