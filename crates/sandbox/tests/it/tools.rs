//! The real tools, unchanged: bcftools and plink2 from Debian answer inside the sandbox exactly what they
//! answer run bare on the same plaintext.

use std::{path::PathBuf, process::Command};

use dnavault_genome::prs::plink2_score_args;
use dnavault_sandbox::{Error, Limits, Scratch, Tool, sha256_of};

use crate::{run, scratch};

/// Debian's plink2 binary for any x86-64 (its `/usr/bin/plink2` is a script that picks one by reading
/// /proc/cpuinfo, which the sandbox does not show: a tool is one executable, named and hashed).
const PLINK2: &str = "/usr/lib/plink2/plink2-sse2";

fn testdata(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(path)
}

/// A file and its SHA-256.
type Pinned = (PathBuf, [u8; 32]);

/// `program` and the files its loader loads (as `ldd` lists them: trusted Debian binaries), each with
/// its hash now, as a manifest would pin them.
fn pinned(program: &str) -> (Pinned, Vec<Pinned>) {
    let listed = bare("ldd", &[program], std::path::Path::new("/"));
    let files = String::from_utf8(listed)
        .unwrap()
        .lines()
        .filter_map(|line| {
            line.split_whitespace()
                .find(|word| word.starts_with('/'))
                .map(PathBuf::from)
        })
        .map(|path| (path.clone(), sha256_of(&path).unwrap()))
        .collect::<Vec<_>>();
    assert!(
        files.len() >= 2,
        "{program} loads its loader and libc at least: {files:?}"
    );
    let program = PathBuf::from(program);
    let hash = sha256_of(&program).unwrap();
    ((program, hash), files)
}

/// `program` with `args`, its files pinned and checked.
fn verified(program: &str, args: &[String]) -> Tool {
    let (program, files) = pinned(program);
    Tool::verified(program, files, args.iter().cloned()).unwrap()
}

/// What `program args` prints run bare in `dir`.
fn bare(program: &str, args: &[&str], dir: &std::path::Path) -> Vec<u8> {
    let output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} is missing ({e}): `apt-get install` it (script/test does)")
        });
    assert!(
        output.status.success(),
        "{program}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// The genome and its index copied into `scratch`'s inputs; the genome's path there.
fn genome_in(scratch: &Scratch) -> String {
    let vcf = testdata("vcf/real/chr22.HG00096.vcf.gz");
    let bytes = std::fs::read(&vcf).unwrap();
    let index = std::fs::read(vcf.with_extension("gz.tbi")).unwrap();
    scratch.add_input("genome.vcf.gz.tbi", &index).unwrap();
    scratch
        .add_input("genome.vcf.gz", &bytes)
        .unwrap()
        .display()
        .to_string()
}

#[tokio::test]
async fn bcftools_query_over_a_region_answers_as_it_does_bare() {
    let scratch = scratch();
    let genome = genome_in(&scratch);
    let args = [
        "query",
        "-r",
        "22:50300000-50400000",
        "-f",
        "%CHROM\t%POS\t%REF\t%ALT[\t%GT]\n",
        genome.as_str(),
    ];
    let tool = verified("/usr/bin/bcftools", &args.map(String::from));
    let outcome = run(&tool, &scratch, &Limits::default()).await;
    assert!(
        outcome.succeeded(),
        "{}",
        String::from_utf8_lossy(&outcome.stderr)
    );
    let expected = bare("bcftools", &args, &scratch.work());
    assert!(expected.len() > 1000, "the region has variants");
    assert_eq!(outcome.stdout, expected);
}

#[tokio::test]
async fn plink2_score_answers_as_it_does_bare() {
    let scratch = scratch();
    let genome = genome_in(&scratch);
    // Weights on the first named variants, effect allele the ALT.
    let sites = bare(
        "bcftools",
        &["query", "-f", "%ID\t%ALT\n", genome.as_str()],
        &scratch.work(),
    );
    let mut weights = String::from("ID\teffect_allele\teffect_weight\n");
    for (n, line) in String::from_utf8(sites)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('.'))
        .take(300)
        .enumerate()
    {
        weights.push_str(&format!("{line}\t{}\n", (n % 7) as f64 / 10.0 - 0.3));
    }
    let weights = scratch
        .add_input("weights.tsv", weights.as_bytes())
        .unwrap()
        .display()
        .to_string();
    let args = plink2_score_args(&genome, &weights, "confined");
    let tool = verified(PLINK2, &args.map(String::from));
    let outcome = run(&tool, &scratch, &Limits::default()).await;
    let said = [&outcome.stdout, &outcome.stderr].map(|b| String::from_utf8_lossy(b).into_owned());
    assert!(outcome.succeeded(), "{:?}: {said:?}", outcome.ended);
    let confined = scratch.read_output("confined.sscore", 1 << 20).unwrap();
    let bare_dir = tempfile::tempdir().unwrap();
    let bare_args = plink2_score_args(&genome, &weights, "bare");
    // Bare, the command a person types: Debian's plink2 script and the binary it picks for this CPU.
    bare("plink2", &bare_args, bare_dir.path());
    let expected = std::fs::read(bare_dir.path().join("bare.sscore")).unwrap();
    assert!(String::from_utf8_lossy(&expected).contains("HG00096"));
    assert_eq!(confined, expected);
}

#[tokio::test]
async fn a_library_the_tool_does_not_list_does_not_load() {
    let scratch = scratch();
    let ((program, hash), mut files) = pinned("/usr/bin/bcftools");
    files.retain(|(path, _)| !path.to_string_lossy().contains("libhts"));
    let tool = Tool::verified((program, hash), files, ["--version"]).unwrap();
    let outcome = run(&tool, &scratch, &Limits::default()).await;
    assert!(!outcome.succeeded(), "{outcome:?}");
    let said = String::from_utf8_lossy(&outcome.stderr);
    assert!(
        said.contains("libhts.so.3: cannot open shared object file"),
        "{said}"
    );
}

#[test]
fn a_tool_altered_by_one_byte_is_refused_before_it_runs() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("bcftools");
    std::fs::copy("/usr/bin/bcftools", &copy).unwrap();
    let ((_, approved), files) = pinned("/usr/bin/bcftools");
    assert!(Tool::verified((copy.clone(), approved), files.clone(), ["--version"]).is_ok());
    let mut bytes = std::fs::read(&copy).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 1;
    std::fs::write(&copy, bytes).unwrap();
    let refused = Tool::verified((copy.clone(), approved), files.clone(), ["--version"]);
    assert!(
        matches!(&refused, Err(Error::Altered { path, .. }) if *path == copy),
        "{refused:?}"
    );
    // A library swapped under it is refused the same way.
    let mut swapped = files;
    swapped[0].1[0] ^= 1;
    let refused = Tool::verified(
        ("/usr/bin/bcftools".into(), approved),
        swapped.clone(),
        ["--version"],
    );
    assert!(
        matches!(&refused, Err(Error::Altered { path, .. }) if *path == swapped[0].0),
        "{refused:?}"
    );
}
