//! Existing analysis software in the vault. Its own executable launches tools confined (its `main` enters
//! the sandbox when asked, before anything else): a trial run passes, a tool it launches cannot write
//! outside its scratch directory, and a launch request it cannot read starts nothing. Through a grant:
//! Debian's bcftools and plink2, unchanged, answer what they answer on the plaintext outside the vault,
//! once the owner installs them; a tool not installed, one altered by a byte, and a run outside its grant
//! are refused; nothing of the genome is left in clear on disk or in memory-backed scratch.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use dnavault_protocol::{
    descriptor::{Descriptor, Panel, PanelRegion, ScoreFile, weights_digest},
    eip712::registry_domain,
    query::{Query, QueryResult, Region, RunTool},
    tool::ToolManifest,
};
use dnavault_researcher::Researcher;
use dnavault_sandbox::{Limits, Sandbox, Scratch, Tool};
use dnavault_tests::{binary, chain_with_vault, testdata};

use crate::{
    descriptors::{terms, under},
    query::{GENOME, SCORING, audit_at, connect, grant_scope, refused, vault_with_genome},
};

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

/// bcftools' query format in these tests: the records' sites and the person's genotype.
const FORMAT: &str = "%CHROM\t%POS\t%ID\t%REF\t%ALT[\t%GT]\n";

/// `program`'s manifest as `dnavault-vault tool-manifest` writes it, with `arguments` and `outputs`.
pub(crate) fn manifest(
    name: &str,
    program: &Path,
    outputs: &[&str],
    arguments: &[&str],
) -> ToolManifest {
    let mut command = Command::new(binary("dnavault-vault"));
    command.args(["tool-manifest", "--name", name, "--version", "test"]);
    command.arg("--program").arg(program);
    for output in outputs {
        command.args(["--output", output]);
    }
    let made = command.arg("--").args(arguments).output().unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    serde_json::from_slice(&made.stdout).unwrap()
}

/// `bcftools query -r {regions}` over the excerpt's first 100 kb, granted as a tool run.
fn bcftools_grant(program: &Path) -> Descriptor {
    let tool = manifest(
        "bcftools query",
        program,
        &["stdout"],
        &["query", "-r", "{regions}", "-f", FORMAT, "{genome}"],
    );
    Descriptor::RunTool {
        tool: Box::new(tool),
        panel: Some(Panel {
            name: "chr22 excerpt, first 100 kb".into(),
            assembly: "GRCh37".into(),
            regions: vec![PanelRegion {
                chrom: "22".into(),
                start: 50_300_000,
                end: 50_400_000,
                gene: String::new(),
            }],
            rsids: vec![],
        }),
        score: None,
    }
}

fn run_of(descriptor: &Descriptor, regions: &[(u64, u64)], scoring_file: Option<&str>) -> Query {
    let Descriptor::RunTool { tool, .. } = descriptor else {
        panic!("a tool grant")
    };
    Query::RunTool(RunTool {
        tool: tool.id(),
        regions: regions
            .iter()
            .map(|&(start, end)| Region {
                chrom: "22".into(),
                start,
                end,
            })
            .collect(),
        scoring_file: scoring_file.map(Into::into),
    })
}

fn only_output(result: &QueryResult) -> Vec<u8> {
    let QueryResult::RunTool(ran) = result else {
        panic!("a tool's result, not {result:?}")
    };
    assert_eq!(ran.outputs.len(), 1, "{ran:?}");
    ran.outputs[0].bytes.to_vec()
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_holding(dir: &Path, needle: &[u8]) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return found;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(kind) if kind.is_dir() => found.extend(files_holding(&path, needle)),
            Ok(kind) if kind.is_file() => {
                let bytes = std::fs::read(&path).unwrap_or_default();
                if bytes.windows(needle.len()).any(|w| w == needle) {
                    found.push(path);
                }
            }
            _ => {}
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread")]
async fn bcftools_runs_once_installed_answers_as_on_the_plaintext_and_only_inside_its_grant() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = Researcher::new(chain.signer(2));
    let grant = bcftools_grant(Path::new("/usr/bin/bcftools"));
    grant_scope(&chain, &owner, researcher.address(), grant.scope(), false).await;
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let domain = registry_domain(chain.chain_id(), chain.registry_address());
    let inside = run_of(&grant, &[(50_300_000, 50_330_000)], None);

    // Granted, but not installed in the vault: refused, from the chain's state.
    let asked = attested
        .ask(&researcher, &inside, &terms(&grant), &client)
        .await;
    refused(asked, 403, "is not approved for this vault");

    let Descriptor::RunTool { tool, .. } = &grant else {
        unreachable!()
    };
    chain
        .set_tool(&owner, 1.try_into().unwrap(), tool.id(), true)
        .await
        .unwrap();
    vault.synced_with(&chain).await;
    let opened = attested
        .ask(&researcher, &inside, &terms(&grant), &client)
        .await
        .unwrap();
    let plaintext = Command::new("/usr/bin/bcftools")
        .args(["query", "-r", "22:50300000-50330000", "-f", FORMAT])
        .arg(testdata(GENOME))
        .output()
        .unwrap();
    assert!(plaintext.status.success());
    // The sealed result names the tool's hash; the receipt signs that ciphertext's hash and the request's,
    // whose query names it too.
    let QueryResult::RunTool(ran) = &opened.result else {
        panic!("a tool's result")
    };
    assert_eq!(
        (ran.tool, ran.name.as_str(), ran.version.as_str()),
        (tool.id(), "bcftools query", "test")
    );
    let answered = only_output(&opened.result);
    assert!(
        answered.len() > 100,
        "{}",
        String::from_utf8_lossy(&answered)
    );
    assert_eq!(
        String::from_utf8_lossy(&answered),
        String::from_utf8_lossy(&plaintext.stdout),
        "the vault's bcftools answers what bcftools answers on the plaintext"
    );

    // The owner's audit log names the tool beside the run's receipt.
    let log = audit_at(&chain, &vault, &owner, "v1/audit").await.unwrap();
    let ran = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "query")
        .expect("the run is in the owner's log");
    let detail = ran["detail"].as_str().unwrap();
    assert!(
        detail.starts_with(&format!(
            "run-tool (bcftools query test, tool {})",
            tool.id()
        )),
        "{detail}"
    );
    assert_eq!(
        ran["query"]["receipt"],
        opened.receipt_hash.to_string(),
        "{ran}"
    );

    // One base past the panel's end: refused before anything runs.
    // (Sent as a researcher asking for more would: the client refuses to sign it.)
    let outside = run_of(&grant, &[(50_390_000, 50_400_001)], None);
    let asked = attested
        .send(&under(&researcher, &outside, &grant, &domain))
        .await;
    refused(asked, 403, "outside the panel");
    // A scoring file the tool does not take: refused.
    let extra = run_of(&grant, &[(50_300_000, 50_300_100)], Some(SCORING));
    let asked = attested
        .send(&under(&researcher, &extra, &grant, &domain))
        .await;
    refused(asked, 403, "takes no scoringFile");

    // Removed by the owner: the next run is refused.
    chain
        .set_tool(&owner, 1.try_into().unwrap(), tool.id(), false)
        .await
        .unwrap();
    vault.synced_with(&chain).await;
    let asked = attested
        .ask(&researcher, &inside, &terms(&grant), &client)
        .await;
    refused(asked, 403, "is not approved for this vault");

    // Nothing of the genome in clear in the vault's files, nor a scratch directory left in memory.
    let line = String::from_utf8_lossy(&plaintext.stdout)
        .lines()
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        files_holding(dir.path(), line.as_bytes()),
        Vec::<PathBuf>::new()
    );
    let left: Vec<_> = std::fs::read_dir("/dev/shm")
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("dnavault-run-"))
        .map(|e| e.path())
        .collect();
    assert_eq!(
        left,
        Vec::<PathBuf>::new(),
        "every scratch directory was wiped"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_tool_altered_by_one_byte_after_its_approval_is_refused() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let copy = dir.path().join("bcftools");
    std::fs::copy("/usr/bin/bcftools", &copy).unwrap();
    let grant = bcftools_grant(&copy);
    let Descriptor::RunTool { tool, .. } = &grant else {
        unreachable!()
    };
    let researcher = Researcher::new(chain.signer(2));
    grant_scope(&chain, &owner, researcher.address(), grant.scope(), false).await;
    chain
        .set_tool(&owner, 1.try_into().unwrap(), tool.id(), true)
        .await
        .unwrap();
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let run = run_of(&grant, &[(50_300_000, 50_300_500)], None);
    attested
        .ask(&researcher, &run, &terms(&grant), &client)
        .await
        .unwrap();

    // One byte of the executable changed (in its ELF padding, so it would still run).
    let mut bytes = std::fs::read(&copy).unwrap();
    bytes[9] ^= 1;
    std::fs::write(&copy, bytes).unwrap();
    let asked = attested
        .ask(&researcher, &run, &terms(&grant), &client)
        .await;
    refused(asked, 409, "altered since its owner approved it");
}

#[tokio::test(flavor = "multi_thread")]
async fn plink2_scores_with_the_granted_file_as_it_does_on_the_plaintext() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let plink2 = Path::new("/usr/lib/plink2/plink2-sse2");
    let template = [
        "--vcf",
        "{genome}",
        "--score",
        "{weights}",
        "1",
        "4",
        "6",
        "header",
        "cols=+scoresums",
        "no-mean-imputation",
        "--memory",
        "640",
        "--threads",
        "1",
        "--out",
        "s",
    ];
    let tool = manifest("plink2 --score", plink2, &["s.sscore"], &template);
    let parsed = dnavault_genome::score::ScoringFile::parse(Path::new("s"), SCORING).unwrap();
    let grant = Descriptor::RunTool {
        tool: Box::new(tool.clone()),
        panel: None,
        score: Some(Box::new(ScoreFile {
            pgs_id: "PGS900001".into(),
            weights_sha256: weights_digest(SCORING),
            variants: parsed.variants.len() as u64,
            trait_reported: "test trait".into(),
        })),
    };
    let researcher = Researcher::new(chain.signer(2));
    grant_scope(&chain, &owner, researcher.address(), grant.scope(), false).await;
    chain
        .set_tool(&owner, 1.try_into().unwrap(), tool.id(), true)
        .await
        .unwrap();
    vault.synced_with(&chain).await;
    let (client, attested) = connect(&chain, &vault).await;
    let domain = registry_domain(chain.chain_id(), chain.registry_address());
    let opened = attested
        .ask(
            &researcher,
            &run_of(&grant, &[], Some(SCORING)),
            &terms(&grant),
            &client,
        )
        .await
        .unwrap();
    let answered = String::from_utf8(only_output(&opened.result)).unwrap();

    // The same plink2 on the plaintext, with the same table of weights.
    let outside = tempfile::tempdir().unwrap();
    let table: String = SCORING
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(outside.path().join("w.tsv"), table).unwrap();
    let mut args: Vec<String> = template.iter().map(|a| a.to_string()).collect();
    args[1] = testdata(GENOME).display().to_string();
    args[3] = "w.tsv".into();
    let bare = Command::new(plink2)
        .args(&args)
        .current_dir(outside.path())
        .output()
        .unwrap();
    assert!(
        bare.status.success(),
        "{}",
        String::from_utf8_lossy(&bare.stdout)
    );
    let expected = std::fs::read_to_string(outside.path().join("s.sscore")).unwrap();
    assert!(
        expected.contains("HG00096\t6\t3\t"),
        "three weights matched: {expected}"
    );
    assert_eq!(answered, expected);

    // Another file than the granted one, even one weight changed: refused.
    let other = SCORING.replace("\t0.5\n", "\t0.6\n");
    let other = run_of(&grant, &[], Some(&other));
    let asked = attested
        .send(&under(&researcher, &other, &grant, &domain))
        .await;
    refused(asked, 403, "other weights are refused");
}

/// Tools that misbehave fail alone: one that runs past its time is killed, one that reaches for the network
/// finds none (its own namespace), and the vault goes on answering.
#[tokio::test(flavor = "multi_thread")]
async fn a_tool_that_overruns_or_reaches_for_the_network_fails_without_harming_the_vault() {
    let (chain, _seed, owner) = chain_with_vault().await;
    let dir = tempfile::tempdir().unwrap();
    let (vault, _wallet) = vault_with_genome(&chain, dir.path()).await;
    let researcher = Researcher::new(chain.signer(2));
    let (client, attested) = connect(&chain, &vault).await;
    let port = vault
        .url
        .rsplit(':')
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    let reach = format!("exec 3<>/dev/tcp/127.0.0.1/{port} && echo reached");
    let mut slow = manifest("sleeper", Path::new("/bin/sleep"), &["stdout"], &["30"]);
    slow.limits.wall_seconds = 1;
    let cases = [
        (slow, "ran past its time limit and was killed"),
        (
            manifest(
                "reacher",
                Path::new("/bin/bash"),
                &["stdout"],
                &["-c", &reach, "{genome}"],
            ),
            "exited with code 1",
        ),
    ];
    for (tool, said) in cases {
        let grant = Descriptor::RunTool {
            tool: Box::new(tool.clone()),
            panel: None,
            score: None,
        };
        grant_scope(&chain, &owner, researcher.address(), grant.scope(), false).await;
        chain
            .set_tool(&owner, 1.try_into().unwrap(), tool.id(), true)
            .await
            .unwrap();
        vault.synced_with(&chain).await;
        let asked = attested
            .ask(
                &researcher,
                &run_of(&grant, &[], None),
                &terms(&grant),
                &client,
            )
            .await;
        refused(asked, 422, said);
    }
    // What the tool complained of is the owner's to read, not the researcher's.
    let log = audit_at(&chain, &vault, &owner, "v1/audit").await.unwrap();
    let complained = log["entries"].as_array().unwrap().iter().any(|e| {
        let detail = e["detail"].as_str().unwrap();
        e["action"] == "query-failed"
            && detail.contains("it said: ")
            && detail.contains("socket: Operation not permitted")
    });
    assert!(complained, "{log:#}");

    // The vault still answers.
    let grant = bcftools_grant(Path::new("/usr/bin/bcftools"));
    let Descriptor::RunTool { tool, .. } = &grant else {
        unreachable!()
    };
    grant_scope(&chain, &owner, researcher.address(), grant.scope(), false).await;
    chain
        .set_tool(&owner, 1.try_into().unwrap(), tool.id(), true)
        .await
        .unwrap();
    vault.synced_with(&chain).await;
    let run = run_of(&grant, &[(50_300_000, 50_300_500)], None);
    attested
        .ask(&researcher, &run, &terms(&grant), &client)
        .await
        .unwrap();
}
