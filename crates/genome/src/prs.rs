//! Polygenic scores: the sum of weight x effect-allele dosage over the sample's genotyped variants, with
//! plink2's `no-mean-imputation` semantics: a missing genotype adds nothing and is counted apart.

use rustc_hash::FxHashMap;

use dnavault_protocol::query::chromosome;

use crate::{
    Genome, GenomeError,
    genotypes::{Finder, GenotypeIndex, IndexError, RecordView},
    score::ScoringFile,
};

/// The plink2 arguments whose scores this module's equal: `--vcf VCF --score WEIGHTS 1 2 3 header
/// cols=+scoresums no-mean-imputation --out OUT` (the weights file's columns are variant id, effect allele
/// and weight, after a header; missing genotypes are not imputed; the output has the score sums). Tests
/// and the benchmark run plink2 with exactly these.
pub fn plink2_score_args<'a>(vcf: &'a str, weights: &'a str, out: &'a str) -> [&'a str; 12] {
    [
        "--vcf",
        vcf,
        "--score",
        weights,
        "1",
        "2",
        "3",
        "header",
        "cols=+scoresums",
        "no-mean-imputation",
        "--out",
        out,
    ]
}

/// A score and how each weight fared: the protocol's score result.
pub use dnavault_protocol::query::ScoreResult;

/// The weights at one position: almost always one, so the first is kept inline.
#[derive(Debug, Default)]
struct Weights {
    first: Option<usize>,
    more: Vec<usize>,
}

impl Weights {
    fn push(&mut self, i: usize) {
        match self.first {
            None => self.first = Some(i),
            Some(_) => self.more.push(i),
        }
    }

    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.first.into_iter().chain(self.more.iter().copied())
    }
}

/// What became of one weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fate {
    Unseen,
    Mismatch,
    MissingGenotype,
    Matched(u32),
    Ambiguous,
}

/// Scores `genome`'s sample with `score`.
pub fn score(genome: &mut Genome, score: &ScoringFile) -> Result<ScoreResult, GenomeError> {
    // Weights by chromosome and position, and by rsID for those without a position; without a
    // per-weight allocation, since scores have millions of weights.
    let mut by_position: FxHashMap<&str, FxHashMap<u64, Weights>> = FxHashMap::default();
    let mut by_id: FxHashMap<&str, Weights> = FxHashMap::default();
    for (i, weight) in score.variants.iter().enumerate() {
        match (&weight.chrom, weight.pos, &weight.rsid) {
            (Some(chrom), Some(pos), _) => {
                let positions = match by_position.get_mut(chrom.as_str()) {
                    Some(positions) => positions,
                    None => by_position.entry(chrom.as_str()).or_default(),
                };
                positions.entry(pos).or_default().push(i);
            }
            (_, _, Some(id)) => by_id.entry(id.as_str()).or_default().push(i),
            // The reader refuses rows with neither.
            _ => {}
        }
    }
    // Only records at a scored position are decoded, unless some weights are located by rsID alone.
    let every_record = !by_id.is_empty();
    // Records come chromosome by chromosome: the last chromosome's weights are kept at hand.
    let mut last: (String, Option<&FxHashMap<u64, Weights>>) = (String::new(), None);
    let want = |chrom: &str, pos: u64| {
        if every_record {
            return true;
        }
        if last.0 != chrom {
            last = (chrom.to_owned(), by_position.get(chromosome::bare(chrom)));
        }
        last.1.is_some_and(|positions| positions.contains_key(&pos))
    };
    let by_position = &by_position;
    let by_id = &by_id;
    let fates = genome.scan_parallel(want, |variants| {
        let mut fates = vec![Fate::Unseen; score.variants.len()];
        for variant in variants {
            let variant = variant?;
            let at_position = by_position
                .get(chromosome::bare(&variant.chrom))
                .and_then(|positions| positions.get(&variant.pos))
                .into_iter()
                .flat_map(Weights::iter);
            let by_rsid = variant
                .id
                .split(';')
                .filter_map(|id| by_id.get(id))
                .flat_map(Weights::iter);
            let record = RecordView::of(&variant);
            for i in at_position.chain(by_rsid) {
                fates[i] = next_fate(fates[i], &record, &score.variants[i]);
            }
        }
        Ok::<_, GenomeError>(fates)
    })?;
    Ok(summed(&fates, score, Some(genome.sample_name().to_owned())))
}

/// Scores with `index`, the genotype index of the genome, made when it was stored: the same result as
/// [`score`] on the file it was made from, but with no sample name. `None` when some weight is located by
/// rsID alone, which only a pass over the whole file finds; the file is scored then.
pub fn score_indexed(
    index: &GenotypeIndex,
    score: &ScoringFile,
) -> Option<Result<ScoreResult, IndexError>> {
    if score
        .variants
        .iter()
        .any(|w| w.chrom.is_none() || w.pos.is_none())
    {
        return None;
    }
    let parts = std::thread::available_parallelism().map_or(1, usize::from);
    let chunk = score.variants.len().div_ceil(parts).max(1);
    let fates: Result<Vec<Vec<Fate>>, IndexError> = std::thread::scope(|scope| {
        let handles: Vec<_> = score
            .variants
            .chunks(chunk)
            .map(|weights| {
                scope.spawn(move || {
                    let mut finder = index.finder();
                    weights
                        .iter()
                        .map(|w| indexed_fate(&mut finder, w))
                        .collect()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().expect("scoring does not panic"))
            .collect()
    });
    Some(fates.map(|parts| summed(&parts.concat(), score, None)))
}

/// What becomes of `weight` over the index's records at its position, in file order.
fn indexed_fate(
    finder: &mut Finder<'_>,
    weight: &crate::score::ScoreVariant,
) -> Result<Fate, IndexError> {
    let (Some(chrom), Some(pos)) = (&weight.chrom, weight.pos) else {
        return Ok(Fate::Unseen);
    };
    let mut fate = Fate::Unseen;
    for record in finder.at(chrom, pos) {
        fate = next_fate(fate, &record?, weight);
    }
    Ok(fate)
}

/// The score from each weight's fate, summed in file order so the result does not depend on hashing or on
/// how the work was split.
fn summed(fates: &[Fate], score: &ScoringFile, sample: Option<String>) -> ScoreResult {
    let mut result = ScoreResult {
        sample,
        pgs_id: score.pgs_id.clone(),
        genome_build: score.genome_build.clone(),
        score_sum: 0.0,
        variants_total: score.variants.len() as u64,
        variants_matched: 0,
        variants_missing: 0,
        variants_missing_genotype: 0,
        variants_allele_mismatch: 0,
        variants_ambiguous: 0,
        effect_dosage_sum: 0,
    };
    for (fate, weight) in fates.iter().zip(&score.variants) {
        match fate {
            Fate::Unseen => result.variants_missing += 1,
            Fate::Mismatch => result.variants_allele_mismatch += 1,
            Fate::MissingGenotype => result.variants_missing_genotype += 1,
            Fate::Ambiguous => result.variants_ambiguous += 1,
            Fate::Matched(dosage) => {
                result.variants_matched += 1;
                result.effect_dosage_sum += u64::from(*dosage);
                result.score_sum += weight.weight * f64::from(*dosage);
            }
        }
    }
    result
}

fn next_fate(fate: Fate, variant: &RecordView<'_>, weight: &crate::score::ScoreVariant) -> Fate {
    // Both name the variant, differently: another variant at the same position, not this weight's.
    if let Some(rsid) = &weight.rsid
        && variant.id != "."
        && !variant.has_id(rsid)
    {
        return fate;
    }
    let alleles = || {
        std::iter::once(variant.reference).chain(variant.alt.split(',').filter(|alt| *alt != "."))
    };
    let has = |allele: &str| alleles().any(|a| a.eq_ignore_ascii_case(allele));
    let matches = has(&weight.effect_allele) && weight.other_allele.as_deref().is_none_or(has);
    if !matches {
        return if fate == Fate::Unseen {
            Fate::Mismatch
        } else {
            fate
        };
    }
    let here = match dosage(variant.gt, alleles, &weight.effect_allele) {
        Some(dosage) => Fate::Matched(dosage),
        None => Fate::MissingGenotype,
    };
    match fate {
        Fate::Unseen | Fate::Mismatch => here,
        Fate::Matched(_) | Fate::MissingGenotype | Fate::Ambiguous => Fate::Ambiguous,
    }
}

/// How many of the genotype's alleles are `effect`; `None` if any allele is missing.
fn dosage<'v, A: Iterator<Item = &'v str>>(
    gt: &str,
    alleles: impl Fn() -> A,
    effect: &str,
) -> Option<u32> {
    let mut count = 0;
    for allele in gt.split(['/', '|']) {
        let index: usize = allele.parse().ok()?;
        if alleles().nth(index)?.eq_ignore_ascii_case(effect) {
            count += 1;
        }
    }
    Some(count)
}
