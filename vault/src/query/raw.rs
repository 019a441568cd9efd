//! Queries on consumer raw files (23andMe, AncestryDNA): calls have no REF or ALT, only the called bases, so
//! lookups answer the calls as they are, allele counts count the bases, and a Beacon allele is carried when
//! the call holds its base. Chromosome names compare without a `chr` prefix (the files write `22`, `X`).

use std::path::Path;

use dnavault_genome::{
    GenomeError,
    lookup::Query,
    raw::{RawCall, RawGenome},
};
use dnavault_protocol::query::{BeaconAlleleParameters, Call, Site};

/// The calls of the raw file `input` (named `name`) that answer `query`.
pub(crate) fn lookup(
    name: &Path,
    input: Box<dyn std::io::Read + Send>,
    query: &Query,
) -> Result<Vec<RawCall>, GenomeError> {
    let mut found = Vec::new();
    for call in RawGenome::from_reader(name, input)? {
        let call = call?;
        let wanted = match query {
            Query::Ids(ids) => ids.contains(&call.id),
            Query::Regions(regions) => regions.iter().any(|(chrom, spans)| {
                same_chromosome(chrom, &call.chrom)
                    && spans
                        .iter()
                        .any(|span| span.start <= call.pos && call.pos <= span.end)
            }),
        };
        if wanted {
            found.push(call);
        }
    }
    Ok(found)
}

/// A call as a lookup answers it.
pub(crate) fn answer(call: RawCall) -> Call {
    let genotype = if call.is_no_call() {
        "--".to_owned()
    } else {
        call.alleles.iter().collect()
    };
    Call {
        chrom: call.chrom,
        pos: call.pos,
        id: call.id,
        genotype,
    }
}

/// A call's allele counts: each base called, in the order called, and its copies.
pub(crate) fn site(call: &RawCall) -> Site {
    let mut alleles: Vec<String> = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    for base in &call.alleles {
        let base = base.to_string();
        match alleles.iter().position(|a| *a == base) {
            Some(i) => counts[i] += 1,
            None => {
                alleles.push(base);
                counts.push(1);
            }
        }
    }
    Site {
        chrom: call.chrom.clone(),
        pos: call.pos,
        alleles,
        counts,
        called: u32::try_from(call.alleles.len()).unwrap_or(u32::MAX),
    }
}

/// Whether the call is at the Beacon allele's position and holds its (single) alternate base.
pub(crate) fn carries(call: &RawCall, allele: &BeaconAlleleParameters) -> bool {
    call.pos == allele.start[0] + 1
        && same_chromosome(&allele.reference_name, &call.chrom)
        && allele.alternate_bases.len() == 1
        && call.alleles.iter().any(|base| {
            base.eq_ignore_ascii_case(&allele.alternate_bases.chars().next().unwrap_or('N'))
        })
}

fn same_chromosome(asked: &str, called: &str) -> bool {
    let bare = |name: &str| {
        name.strip_prefix("chr")
            .unwrap_or(name)
            .to_ascii_uppercase()
    };
    bare(asked) == bare(called)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(alleles: &[char]) -> RawCall {
        RawCall {
            id: "rs1".into(),
            chrom: "22".into(),
            pos: 100,
            alleles: alleles.to_vec(),
        }
    }

    #[test]
    fn raw_calls_are_counted_and_matched_by_base() {
        let heterozygous = site(&call(&['A', 'G']));
        assert_eq!(
            (
                heterozygous.alleles,
                heterozygous.counts,
                heterozygous.called
            ),
            (vec!["A".to_owned(), "G".to_owned()], vec![1, 1], 2)
        );
        let homozygous = site(&call(&['T', 'T']));
        assert_eq!(
            (homozygous.alleles, homozygous.counts),
            (vec!["T".to_owned()], vec![2])
        );
        assert_eq!(site(&call(&[])).called, 0);
        assert_eq!(answer(call(&[])).genotype, "--");
        assert_eq!(answer(call(&['A', 'G'])).genotype, "AG");

        let allele = |chrom: &str, start: u64, alternate: &str| BeaconAlleleParameters {
            reference_name: chrom.into(),
            start: vec![start],
            reference_bases: None,
            alternate_bases: alternate.into(),
            assembly_id: None,
        };
        assert!(carries(&call(&['A', 'G']), &allele("chr22", 99, "g")));
        assert!(!carries(&call(&['A', 'A']), &allele("22", 99, "G")));
        assert!(!carries(&call(&['A', 'G']), &allele("22", 100, "G")));
        assert!(!carries(&call(&['A', 'G']), &allele("21", 99, "G")));
        assert!(!carries(&call(&['A', 'G']), &allele("22", 99, "GA")));
        assert!(!carries(&call(&[]), &allele("22", 99, "G")));
    }
}
