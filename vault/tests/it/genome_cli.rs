//! `dnavault-vault genome lookup` on the owner's own plaintext file.

use std::process::Command;

fn testdata(path: &str) -> String {
    format!("{}/../testdata/{path}", env!("CARGO_MANIFEST_DIR"))
}

fn lookup(args: &[&str]) -> (bool, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_dnavault-vault"))
        .args(["genome", "lookup"])
        .args(args)
        .output()
        .unwrap();
    (
        output.status.success(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn lookup_prints_one_json_object_per_variant_found() {
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.tsv");
    std::fs::write(&regions, "22\t50300078\n22\t50300086\t50300101\n22\t1\n").unwrap();
    let (ok, stdout, stderr) = lookup(&[
        "--input",
        &testdata("vcf/real/chr22.vcf.gz"),
        "--sample",
        "HG00099",
        "--regions-file",
        regions.to_str().unwrap(),
        "--json",
    ]);
    assert!(ok, "{stderr}");
    let found: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(found.len(), 3);
    assert_eq!(
        found[0],
        serde_json::json!({"chrom": "22", "pos": 50300078, "id": "rs7410291", "ref": "A", "alt": "G", "gt": "1|0"})
    );
    let ids = dir.path().join("ids.txt");
    std::fs::write(&ids, "rs114143073\n").unwrap();
    let (ok, stdout, _) = lookup(&[
        "--input",
        &testdata("vcf/real/chr22.vcf.gz"),
        "--sample",
        "HG00099",
        "--rsid-file",
        ids.to_str().unwrap(),
    ]);
    assert!(ok);
    assert_eq!(stdout, "22\t50300101\trs114143073\tG\tA\t0|0\n");
}

#[test]
fn a_multi_sample_file_needs_a_sample_and_bad_input_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.tsv");
    std::fs::write(&regions, "22\t100\n").unwrap();
    let (ok, _, stderr) = lookup(&[
        "--input",
        &testdata("vcf/real/chr22.vcf.gz"),
        "--regions-file",
        regions.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("5 samples") && stderr.contains("--sample"),
        "{stderr}"
    );
    let (ok, _, stderr) = lookup(&[
        "--input",
        &testdata("vcf/edge-cases/string_as_flag.vcf"),
        "--regions-file",
        regions.to_str().unwrap(),
    ]);
    assert!(
        !ok && stderr.contains("string_as_flag.vcf: record 1 (line 5)"),
        "{stderr}"
    );
}

/// The files a user found that crashed or fooled the reader (testdata/vcf/regressions): each is refused
/// with its reason or read, and the process never aborts.
#[test]
fn files_that_crashed_or_fooled_the_reader_are_refused_or_read() {
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.tsv");
    std::fs::write(&regions, "22\t16050000\t16060000\n").unwrap();
    let run = |file: &str| {
        lookup(&[
            "--input",
            &testdata(&format!("vcf/regressions/{file}")),
            "--regions-file",
            regions.to_str().unwrap(),
        ])
    };
    // A genotype wider than 8 bits (allele 65): noodles-bcf has no decoder for it and panicked.
    let (ok, _, stderr) = run("wide-gt.bcf");
    assert!(
        !ok && stderr.contains("wide-gt.bcf: record 1 (line 8)")
            && stderr.contains("cannot read this")
            && stderr.contains("bcftools view -Oz"),
        "{stderr}"
    );
    // The contained panic is the refusal, said once: no panic message beside it.
    assert!(!stderr.contains("panicked at"), "{stderr}");
    // The same calls as text are read, allele 65 and all.
    let (ok, stdout, stderr) = run("wide-gt.vcf");
    assert!(ok && stdout.contains("0/65"), "{stdout}{stderr}");
    // A NUL inside a field: bcftools reads the genotype as missing; the vault refuses the file.
    let (ok, _, stderr) = run("nul-in-field.vcf");
    assert!(
        !ok && stderr.contains("line 5 holds a NUL byte"),
        "{stderr}"
    );
    // An INFO definition without a Description, which bcftools reads: read.
    let (ok, stdout, stderr) = run("no-description.vcf");
    assert!(ok && stdout.contains("0/1"), "{stdout}{stderr}");
}
