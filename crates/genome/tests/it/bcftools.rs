//! The same genotypes as bcftools, on the real 1000 Genomes excerpts and on every edge-case VCF
//! (testdata/, see its README); files bcftools cannot read either are refused with the file, line and reason.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::Command,
};

use dnavault_genome::{Genome, GenomeError, lookup::Query};

use crate::testdata;

/// Runs bcftools (Debian's package; script/test installs it) and returns its standard output.
fn bcftools(args: &[&str]) -> String {
    let output = Command::new("bcftools")
        .args(args)
        .output()
        .expect("bcftools is missing: `apt-get install bcftools` (script/test does)");
    assert!(
        output.status.success(),
        "bcftools {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

const FORMAT: &str = "%CHROM\t%POS\t%ID\t%REF\t%ALT\t[%GT]\n";

/// Our lookup in bcftools' query format.
fn ours(file: &Path, sample: &str, query: &Query) -> String {
    let mut genome = Genome::open(file, Some(sample)).unwrap();
    let mut text = String::new();
    for variant in dnavault_genome::lookup::lookup(&mut genome, query) {
        let v = variant.unwrap();
        text.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\n",
            v.chrom, v.pos, v.id, v.reference, v.alt, v.gt
        ));
    }
    text
}

fn write_temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    path
}

fn samples(file: &Path) -> Vec<String> {
    bcftools(&["query", "-l", file.to_str().unwrap()])
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn regions_and_rsids_give_bcftools_genotypes_on_the_real_excerpts() {
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "vcf/real/chr22.vcf.gz",
        "vcf/real/hapmap_exome_chr22.vcf.gz",
    ] {
        let file = testdata(name);
        let path = file.to_str().unwrap();
        let sites: Vec<(String, String, String)> =
            bcftools(&["query", "-f", "%CHROM\t%POS\t%ID\n", path])
                .lines()
                .map(|line| {
                    let f: Vec<&str> = line.split('\t').collect();
                    (f[0].to_owned(), f[1].to_owned(), f[2].to_owned())
                })
                .collect();
        // Every 37th site, positions next to sites (absent), and a position no record has.
        let mut positions = String::new();
        for (chrom, pos, _) in sites.iter().step_by(37) {
            positions.push_str(&format!(
                "{chrom}\t{pos}\n{chrom}\t{}\n",
                pos.parse::<u64>().unwrap() + 1
            ));
        }
        positions.push_str("22\t1\n");
        let positions = write_temp(dir.path(), "positions.tsv", &positions);
        // Ranges, one of them past the end.
        let (first, last) = (&sites[100].1, &sites[160].1);
        let ranges = write_temp(
            dir.path(),
            "ranges.tsv",
            &format!(
                "22\t{first}\t{last}\n22\t{}\t{}\n22\t60000000\t61000000\n",
                sites[900].1, sites[905].1
            ),
        );
        let ids: Vec<&str> = sites
            .iter()
            .step_by(23)
            .map(|s| s.2.as_str())
            .filter(|id| *id != ".")
            .collect();
        let rsids = write_temp(
            dir.path(),
            "rsids.txt",
            &(ids.join("\n") + "\nrs0000000001\n"),
        );
        for sample in samples(&file).iter().take(3) {
            for regions in [&positions, &ranges] {
                let query = Query::regions_file(regions).unwrap();
                let theirs = bcftools(&[
                    "query",
                    "-R",
                    regions.to_str().unwrap(),
                    "-s",
                    sample,
                    "-f",
                    FORMAT,
                    path,
                ]);
                assert!(!theirs.is_empty());
                assert_eq!(
                    ours(&file, sample, &query),
                    theirs,
                    "{name} {sample} -R {}",
                    regions.display()
                );
            }
            let query = Query::ids_file(&rsids).unwrap();
            let filter = format!("ID=@{}", rsids.display());
            let theirs = bcftools(&["query", "-i", &filter, "-s", sample, "-f", FORMAT, path]);
            assert_eq!(
                theirs.lines().count(),
                ids.len(),
                "every chosen rsID is found once"
            );
            assert_eq!(ours(&file, sample, &query), theirs, "{name} {sample} rsIDs");
        }
    }
}

#[test]
fn every_edge_case_vcf_is_read_like_bcftools_or_refused_clearly() {
    let dir = std::fs::read_dir(testdata("vcf/edge-cases")).unwrap();
    let mut names: Vec<String> = dir
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names.len(), 18);
    // Files that are not valid VCF, and why.
    let refused: &[(&str, &str)] = &[
        ("contig_idonly.vcf", "no sample columns"),
        ("example-4.1-bnd.vcf", "invalid VCF header"),
        ("example-4.2.vcf.gz", "duplicate INFO ID: VARTYPE"),
        ("metadata-whitespace.vcf.gz", "invalid VCF header"),
        (
            "strelka.vcf.gz",
            "record 1 (line 55): missing field (a column is empty",
        ),
        ("string_as_flag.vcf", "record 1 (line 5): missing field"),
    ];
    for name in names {
        let file = testdata(&format!("vcf/edge-cases/{name}"));
        // bcftools cannot even list the samples of some malformed files.
        let listed = Command::new("bcftools")
            .args(["query", "-l"])
            .arg(&file)
            .output()
            .unwrap();
        let sample = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .next()
            .map(str::to_owned);
        let opened = Genome::open(&file, sample.as_deref());
        let result = opened.and_then(|genome| genome.collect::<Result<Vec<_>, GenomeError>>());
        match refused.iter().find(|(refused, _)| *refused == name) {
            Some((_, reason)) => {
                let error = result.expect_err(&name).to_string();
                assert!(
                    error.contains(&name) && error.contains(reason),
                    "{name}: {error}"
                );
            }
            None => {
                let found = result.unwrap_or_else(|e| panic!("{name}: {e}"));
                let theirs = bcftools(&[
                    "query",
                    "-s",
                    sample.as_deref().unwrap(),
                    "-f",
                    FORMAT,
                    file.to_str().unwrap(),
                ]);
                let ours: String = found
                    .iter()
                    .map(|v| {
                        format!(
                            "{}\t{}\t{}\t{}\t{}\t{}\n",
                            v.chrom, v.pos, v.id, v.reference, v.alt, v.gt
                        )
                    })
                    .collect();
                assert_eq!(ours, theirs, "{name}");
            }
        }
    }
}

#[test]
fn samples_and_query_files_are_checked() {
    let file = testdata("vcf/real/chr22.vcf.gz");
    let error = Genome::open(&file, None).err().unwrap().to_string();
    assert!(
        error.contains("5 samples") && error.contains("--sample"),
        "{error}"
    );
    let error = Genome::open(&file, Some("NA12878"))
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.contains("no sample `NA12878`") && error.contains("HG00096"),
        "{error}"
    );
    let dir = tempfile::tempdir().unwrap();
    for (text, line, reason) in [
        ("22\t100\n22\tabc\n", 2, "POS `abc`"),
        ("22\t100\t50\n", 1, "before BEG"),
        ("22\n", 1, "expected CHROM"),
        ("# comment\n\n22\t0\n", 3, "1-based"),
    ] {
        let path = write_temp(dir.path(), "bad.tsv", text);
        let error = Query::regions_file(&path).unwrap_err();
        assert!(
            matches!(&error, GenomeError::Query { line: l, reason: r, .. } if *l == line && r.contains(reason)),
            "{text:?}: {error}"
        );
    }
    let path = write_temp(dir.path(), "ids.txt", "rs1\nrs2 rs3\n");
    assert!(matches!(
        Query::ids_file(&path),
        Err(GenomeError::Query { line: 2, .. })
    ));
}
