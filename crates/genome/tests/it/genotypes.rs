//! The genotype index a score reads instead of the file: the same score as from the file, on real and
//! edge-case VCFs; refused when malformed; not made when its layout cannot hold the file.

use std::fmt::Write;

use dnavault_genome::{
    Genome,
    genotypes::{self, GenotypeIndex},
    prs,
    score::ScoringFile,
};

use crate::{plink2::CASES, testdata};

/// A scoring file over `vcf`'s own records: every other one, the effect allele alternating REF and ALT,
/// every fifth one a base off (nothing there, or another record), every seventh one with an allele the
/// record lacks.
fn scoring_over(vcf: &std::path::Path, sample: Option<&str>) -> ScoringFile {
    let mut genome = Genome::open(vcf, sample).unwrap();
    let mut text = String::from(
        "#pgs_id=PGS_TEST\nrsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n",
    );
    let mut n = 0u64;
    while let Some(variant) = genome.next_variant() {
        let variant = variant.unwrap();
        n += 1;
        if n % 2 == 1 {
            continue;
        }
        let alt = variant.alt.split(',').next().unwrap_or(".");
        let (effect, other) = match n % 4 {
            0 => (alt, variant.reference.as_str()),
            _ => (variant.reference.as_str(), alt),
        };
        let effect = if n.is_multiple_of(7) {
            "ACGTACGT"
        } else {
            effect
        };
        let pos = variant.pos + u64::from(n.is_multiple_of(5));
        let id = if variant.id == "." {
            "."
        } else {
            variant.id.split(';').next().unwrap()
        };
        let weight = ((n % 11) as f64 - 5.0) / 7.0 + 1e-4;
        writeln!(
            text,
            "{id}\t{}\t{pos}\t{effect}\t{other}\t{weight}",
            variant.chrom
        )
        .unwrap();
    }
    ScoringFile::parse(std::path::Path::new("score.txt"), &text).unwrap()
}

fn index_of(vcf: &std::path::Path, sample: Option<&str>) -> GenotypeIndex {
    let mut genome = Genome::open(vcf, sample).unwrap();
    let bytes = genotypes::build(&mut genome).unwrap().expect("indexable");
    GenotypeIndex::parse(bytes).unwrap()
}

/// The index's score equals the file's, field for field, bit for bit (but for the sample's name).
fn same_score(vcf: &std::path::Path, sample: Option<&str>, score: &ScoringFile) {
    let index = index_of(vcf, sample);
    let from_index = prs::score_indexed(&index, score)
        .expect("positions only")
        .unwrap();
    let mut genome = Genome::open(vcf, sample).unwrap();
    let mut from_file = prs::score(&mut genome, score).unwrap();
    from_file.sample = None;
    assert_eq!(from_index, from_file, "{}", vcf.display());
    assert_eq!(
        from_index.score_sum.to_bits(),
        from_file.score_sum.to_bits()
    );
}

#[test]
fn the_index_scores_as_the_file_does_on_the_chr22_excerpt_for_every_sample() {
    let vcf = testdata("vcf/real/chr22.vcf.gz");
    for sample in ["HG00096", "HG00097", "HG00099", "HG00100", "HG00101"] {
        let score = scoring_over(&vcf, Some(sample));
        assert!(score.variants.len() > 100);
        same_score(&vcf, Some(sample), &score);
    }
    let one = testdata("vcf/real/chr22.HG00096.vcf.gz");
    same_score(&one, None, &scoring_over(&one, None));
    // The real PGS Catalog files, none of whose variants the excerpt holds: every weight missing.
    let pgs = ScoringFile::read(&testdata("pgs/PGS000001_hmPOS_GRCh37.txt")).unwrap();
    same_score(&one, None, &pgs);
}

#[test]
fn the_index_scores_as_the_file_does_on_edge_cases() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.vcf");
    std::fs::write(&cases, CASES).unwrap();
    // Missing and half-missing genotypes, a multi-allelic site, another variant at a position, lower case.
    let score = ScoringFile::parse(
        std::path::Path::new("score.txt"),
        "rsID\tchr_name\tchr_position\teffect_allele\tother_allele\teffect_weight\n\
         rs1\t1\t100\tG\tA\t1.0\nrs2\tchr1\t200\tT\tC\t10.0\nrs3\t1\t300\tA\tG\t100.0\n\
         rs4\t1\t400\tC\tT\t1000.0\nrs5\t1\t500\tT\tG\t0.5\nrs6\t1\t600\tG\tA\t7.0\n\
         rs7\t1\t700\tC\tA\t9.0\nrs8\t1\t800\tC\tA\t9.0\n.\t1\t600\tc\ta\t-2.0\n",
    )
    .unwrap();
    same_score(&cases, None, &score);
    for file in [
        "vcf/edge-cases/uncalled_genotypes.vcf",
        "vcf/edge-cases/example-4.1-ploidy.vcf",
        "vcf/edge-cases/null_genotype_mono.vcf.gz",
        "vcf/edge-cases/freebayes.vcf.gz",
    ] {
        let vcf = testdata(file);
        let sample = Genome::open(&vcf, None).is_err().then(|| {
            // A multi-sample file: its first sample.
            let text = std::process::Command::new("bcftools")
                .args(["query", "-l", vcf.to_str().unwrap()])
                .output()
                .unwrap();
            String::from_utf8(text.stdout)
                .unwrap()
                .lines()
                .next()
                .unwrap()
                .to_owned()
        });
        let sample = sample.as_deref();
        same_score(&vcf, sample, &scoring_over(&vcf, sample));
    }
}

#[test]
fn weights_located_by_rsid_alone_are_scored_from_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases = dir.path().join("cases.vcf");
    std::fs::write(&cases, CASES).unwrap();
    let score = ScoringFile::parse(
        std::path::Path::new("score.txt"),
        "rsID\teffect_allele\teffect_weight\nrs1\tG\t1.0\n",
    )
    .unwrap();
    assert!(prs::score_indexed(&index_of(&cases, None), &score).is_none());
}

#[test]
fn a_malformed_index_is_refused_not_read_out_of_bounds() {
    let index = {
        let mut genome = Genome::open(&testdata("vcf/real/chr22.HG00096.vcf.gz"), None).unwrap();
        genotypes::build(&mut genome).unwrap().unwrap()
    };
    assert!(GenotypeIndex::parse(index.clone()).unwrap().records() > 1000);
    for cut in (0..index.len()).step_by(97).chain([index.len() - 1]) {
        let short = zeroize::Zeroizing::new(index[..cut].to_vec());
        assert!(GenotypeIndex::parse(short).is_err(), "cut at {cut}");
    }
    let mut longer = index.to_vec();
    longer.push(0);
    assert!(GenotypeIndex::parse(longer.into()).is_err());
    let mut other = index.to_vec();
    other[7] = b'2';
    let error = GenotypeIndex::parse(other.into()).unwrap_err();
    assert!(
        error.to_string().contains("not a genotype index"),
        "{error}"
    );
    // A byte changed anywhere: refused, or read without a panic (lookups may fail, never read out of
    // bounds).
    for at in (8..index.len()).step_by(31) {
        let mut flipped = index.to_vec();
        flipped[at] ^= 0x5a;
        if let Ok(parsed) = GenotypeIndex::parse(flipped.into()) {
            for pos in [16_050_075, 50_326_116, 51_000_000] {
                parsed.at("22", pos).for_each(drop);
            }
        }
    }
}

#[test]
fn a_file_whose_chromosomes_come_in_two_runs_is_not_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let vcf = dir.path().join("runs.vcf");
    let header = "##fileformat=VCFv4.2\n##contig=<ID=1>\n##contig=<ID=2>\n\
        ##FORMAT=<ID=GT,Number=1,Type=String,Description=\"GT\">\n\
        #CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS\n";
    std::fs::write(
        &vcf,
        format!("{header}1\t100\t.\tA\tG\t.\t.\t.\tGT\t0/1\n2\t5\t.\tA\tG\t.\t.\t.\tGT\t0/1\n1\t200\t.\tC\tT\t.\t.\t.\tGT\t1/1\n"),
    )
    .unwrap();
    assert!(
        genotypes::build(&mut Genome::open(&vcf, None).unwrap())
            .unwrap()
            .is_none()
    );
    std::fs::write(
        &vcf,
        format!("{header}1\t200\t.\tA\tG\t.\t.\t.\tGT\t0/1\n1\t100\t.\tC\tT\t.\t.\t.\tGT\t1/1\n"),
    )
    .unwrap();
    assert!(
        genotypes::build(&mut Genome::open(&vcf, None).unwrap())
            .unwrap()
            .is_none()
    );
}
