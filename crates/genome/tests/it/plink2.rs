//! Polygenic scores against plink2's `--score ... no-mean-imputation` on the real chr22 excerpt, and the
//! PGS Catalog files in testdata/ (read, scored, or refused with line and reason).

use std::{fmt::Write as _, process::Command};

use dnavault_genome::{Genome, GenomeError, prs, score::ScoringFile};

use crate::testdata;

fn tool(name: &str, args: &[&str]) -> String {
    let output = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is missing ({e}): `apt-get install {name}` (script/test does)")
    });
    assert!(
        output.status.success(),
        "{name} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn scores_equal_plink2_on_the_chr22_excerpt_for_every_sample() {
    let vcf = testdata("vcf/real/chr22.vcf.gz");
    let dir = tempfile::tempdir().unwrap();
    // Every third named variant, effect allele alternating ALT and REF, weights from -0.3 to 0.3.
    let sites = tool(
        "bcftools",
        &[
            "query",
            "-f",
            "%CHROM\t%POS\t%ID\t%REF\t%ALT\n",
            vcf.to_str().unwrap(),
        ],
    );
    let mut pgs = String::from(
        "#format_version=2.0\n#pgs_id=PGS_TEST\n#HmPOS_build=GRCh37\n\
         rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\thm_chr\thm_pos\n",
    );
    let mut plink = String::from("ID\teffect_allele\teffect_weight\n");
    let named = sites
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|f| f[2] != ".");
    for (n, f) in named.enumerate().filter(|(n, _)| n % 3 == 0) {
        let (effect, other) = if n % 2 == 0 {
            (f[4], f[3])
        } else {
            (f[3], f[4])
        };
        let weight = ((n % 7) as f64 - 3.0) / 10.0 + 0.000123;
        // The author's position is off by one on some rows; the harmonized one is right and wins.
        let author = f[1].parse::<u64>().unwrap() + u64::from(n % 5 == 0);
        writeln!(
            pgs,
            "{}\t{}\t{author}\t{effect}\t{other}\t{weight}\t{}\t{}",
            f[2], f[0], f[0], f[1]
        )
        .unwrap();
        writeln!(plink, "{}\t{effect}\t{weight}", f[2]).unwrap();
    }
    let pgs_file = dir.path().join("score.txt");
    std::fs::write(&pgs_file, pgs).unwrap();
    let plink_file = dir.path().join("plink.tsv");
    std::fs::write(&plink_file, plink).unwrap();
    let out = dir.path().join("s");
    let paths = [&vcf, &plink_file, &out].map(|path| path.to_str().unwrap());
    tool(
        "plink2",
        &prs::plink2_score_args(paths[0], paths[1], paths[2]),
    );
    let table = std::fs::read_to_string(dir.path().join("s.sscore")).unwrap();
    let score = ScoringFile::read(&pgs_file).unwrap();
    assert_eq!(score.pgs_id.as_deref(), Some("PGS_TEST"));
    let mut samples = 0;
    for row in table.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        let mut genome = Genome::open(&vcf, Some(f[0])).unwrap();
        let ours = prs::score(&mut genome, &score).unwrap();
        let allele_ct: u64 = f[1].parse().unwrap();
        let dosage: u64 = f[2].parse().unwrap();
        let sum: f64 = f[4].parse().unwrap();
        assert_eq!(2 * ours.variants_matched, allele_ct, "{}", f[0]);
        assert_eq!(ours.effect_dosage_sum, dosage, "{}", f[0]);
        // plink2 prints six significant digits.
        assert!(
            (ours.score_sum - sum).abs() <= 1e-5 * sum.abs().max(1.0),
            "{}: {} vs {sum}",
            f[0],
            ours.score_sum
        );
        assert_eq!(ours.variants_missing, 0);
        samples += 1;
    }
    assert_eq!(samples, 5);
}

/// A small VCF with the cases plink2's no-mean-imputation distinguishes.
pub(crate) const CASES: &str = "##fileformat=VCFv4.2\n##contig=<ID=1>\n##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n\
#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n\
1\t100\trs1\tA\tG\t.\t.\t.\tGT\t0/1\n\
1\t200\trs2\tC\tT\t.\t.\t.\tGT\t1|1\n\
1\t300\trs3\tG\tA\t.\t.\t.\tGT\t./.\n\
1\t400\trs4\tT\tC\t.\t.\t.\tGT\t1/.\n\
1\t500\trs5\tG\tC,T\t.\t.\t.\tGT\t1/2\n\
1\t600\trs6\tA\tC\t.\t.\t.\tGT\t0/0\n\
1\t700\trs7x\tA\tC\t.\t.\t.\tGT\t1/1\n";

#[test]
fn missing_genotypes_mismatches_and_other_variants_are_counted_not_scored() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("cases.vcf");
    std::fs::write(&vcf, CASES).unwrap();
    let score = dir.path().join("score.txt");
    std::fs::write(
        &score,
        "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n\
         rs1\t1\t100\tG\tA\t1.0\n\
         rs2\tchr1\t200\tT\tC\t10.0\n\
         rs3\t1\t300\tA\tG\t100.0\n\
         rs4\t1\t400\tC\tT\t1000.0\n\
         rs5\t1\t500\tT\tG\t0.5\n\
         rs6\t1\t600\tG\tA\t7.0\n\
         rs7\t1\t700\tC\tA\t9.0\n\
         rs8\t1\t800\tC\tA\t9.0\n\
         .\t1\t600\tc\ta\t-2.0\n",
    )
    .unwrap();
    let mut genome = Genome::open(&vcf, None).unwrap();
    let result = prs::score(&mut genome, &ScoringFile::read(&score).unwrap()).unwrap();
    // rs1: 1 x G; rs2: 2 x T (chr prefix ignored); rs5: 1 x T of a multi-allelic; the unnamed weight at 600
    // matches rs6 by position and alleles (lower case accepted): 0 x C.
    assert_eq!(result.score_sum, 1.0 + 20.0 + 0.5);
    assert_eq!(result.variants_matched, 4);
    assert_eq!(result.effect_dosage_sum, 4);
    // rs3 ./. and rs4 1/. are skipped, not imputed.
    assert_eq!(result.variants_missing_genotype, 2);
    // rs6's effect allele G is neither REF nor ALT.
    assert_eq!(result.variants_allele_mismatch, 1);
    // rs7's position holds another named variant; rs8's position holds nothing.
    assert_eq!(result.variants_missing, 2);
    assert_eq!(result.variants_total, 9);
}

#[test]
fn pgs_catalog_files_are_read_or_refused_with_line_and_reason() {
    let pgs1 = ScoringFile::read(&testdata("pgs/PGS000001_hmPOS_GRCh37.txt")).unwrap();
    assert_eq!(pgs1.pgs_id.as_deref(), Some("PGS000001"));
    assert_eq!(pgs1.genome_build.as_deref(), Some("GRCh37"));
    assert_eq!(pgs1.variants.len(), 77);
    let pgs2 = ScoringFile::read(&testdata("pgs/PGS000002_hmPOS_GRCh37.txt.gz")).unwrap();
    assert_eq!(pgs2.pgs_id.as_deref(), Some("PGS000002"));
    assert_eq!(pgs2.variants.len(), 77);
    // Scored on the chr22 excerpt (chr22:50.3-51.2 Mb): PGS000001's three chr22 variants lie elsewhere.
    let mut genome = Genome::open(&testdata("vcf/real/chr22.vcf.gz"), Some("HG00096")).unwrap();
    let result = prs::score(&mut genome, &pgs1).unwrap();
    assert_eq!(
        (
            result.variants_matched,
            result.variants_missing,
            result.score_sum
        ),
        (0, 77, 0.0)
    );

    for (file, line, reason) in [
        ("pgs/bad_harmonised.txt", 21, "no position"),
        ("pgs/invalid_scorefile.txt", 16, "no position"),
    ] {
        let error = ScoringFile::read(&testdata(file)).unwrap_err();
        assert!(
            matches!(&error, GenomeError::Query { line: l, reason: r, .. } if *l == line && r.contains(reason)),
            "{file}: {error}"
        );
    }
}

/// A scoring file is split into one piece per core at line ends: a cut that falls inside a multi-byte
/// character moves to the next line end (a fuzzed file once panicked there).
#[test]
fn a_scoring_file_with_multibyte_text_splits_at_line_ends() {
    for pad in 0..24 {
        let mut text = String::from(
            "#pgs_id=PGS900002\n#genome_build=GRCh37\n\
             rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\tlocus_name\n",
        );
        for row in 0..40 {
            let ascii = if row == 0 { pad } else { 0 };
            let locus = format!("{}{}", "x".repeat(ascii), "ԏ".repeat(3));
            text.push_str(&format!(
                "rs{row}\t22\t{}\tA\tG\t0.5\t{locus}\n",
                1000 + row
            ));
        }
        let parsed = ScoringFile::parse(std::path::Path::new("multibyte.txt"), &text).unwrap();
        assert_eq!(parsed.variants.len(), 40, "padded by {pad}");
    }
}
