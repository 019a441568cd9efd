//! How raw-file calls answer queries: calls have no REF or ALT, only the called bases, so lookups answer the
//! calls as they are, allele counts count the bases, and a Beacon allele is carried when the call holds its
//! base. Chromosome names compare as [`chromosome::same`] does (the files write `22`, `X`).

use std::{io::Read, path::Path};

use dnavault_protocol::query::{BeaconAlleleParameters, Call, Site, chromosome};

use super::{RawCall, RawGenome};
use crate::{GenomeError, lookup::Query};

/// The calls of the raw file `input` (named `name`) that answer `query`.
pub fn lookup(
    name: &Path,
    input: Box<dyn Read + Send>,
    query: &Query,
) -> Result<Vec<RawCall>, GenomeError> {
    let mut found = Vec::new();
    for call in RawGenome::from_reader(name, input)? {
        let call = call?;
        if call.answers(query) {
            found.push(call);
        }
    }
    Ok(found)
}

impl RawCall {
    /// Whether a lookup for `query` finds this call: its id is asked for, or its position lies in a region.
    pub fn answers(&self, query: &Query) -> bool {
        match query {
            Query::Ids(ids) => ids.contains(&self.id),
            Query::Regions(regions) => regions.iter().any(|(chrom, spans)| {
                chromosome::same(chrom, &self.chrom)
                    && spans
                        .iter()
                        .any(|span| span.start <= self.pos && self.pos <= span.end)
            }),
        }
    }

    /// The call as a lookup answers it: its bases as called, `--` for a no-call.
    pub fn answer(self) -> Call {
        let genotype = if self.is_no_call() {
            "--".to_owned()
        } else {
            self.alleles.iter().collect()
        };
        Call {
            chrom: self.chrom,
            pos: self.pos,
            id: self.id,
            genotype,
        }
    }

    /// The call's allele counts: each base called, in the order called, and its copies.
    pub fn site(&self) -> Site {
        let mut alleles: Vec<String> = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        for base in &self.alleles {
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
            chrom: self.chrom.clone(),
            pos: self.pos,
            alleles,
            counts,
            called: u32::try_from(self.alleles.len()).unwrap_or(u32::MAX),
        }
    }

    /// Whether the call is at the Beacon allele's position and holds its (single) alternate base.
    pub fn carries(&self, allele: &BeaconAlleleParameters) -> bool {
        let mut bases = allele.alternate_bases.chars();
        let (Some(base), None) = (bases.next(), bases.next()) else {
            return false;
        };
        allele.position() == Some(self.pos)
            && chromosome::same(&allele.reference_name, &self.chrom)
            && self
                .alleles
                .iter()
                .any(|called| called.eq_ignore_ascii_case(&base))
    }
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
        let heterozygous = call(&['A', 'G']).site();
        assert_eq!(
            (
                heterozygous.alleles,
                heterozygous.counts,
                heterozygous.called
            ),
            (vec!["A".to_owned(), "G".to_owned()], vec![1, 1], 2)
        );
        let homozygous = call(&['T', 'T']).site();
        assert_eq!(
            (homozygous.alleles, homozygous.counts),
            (vec!["T".to_owned()], vec![2])
        );
        assert_eq!(call(&[]).site().called, 0);
        assert_eq!(call(&[]).answer().genotype, "--");
        assert_eq!(call(&['A', 'G']).answer().genotype, "AG");

        let allele = |chrom: &str, start: u64, alternate: &str| BeaconAlleleParameters {
            reference_name: chrom.into(),
            start: vec![start],
            reference_bases: None,
            alternate_bases: alternate.into(),
            assembly_id: None,
        };
        assert!(call(&['A', 'G']).carries(&allele("chr22", 99, "g")));
        assert!(!call(&['A', 'A']).carries(&allele("22", 99, "G")));
        assert!(!call(&['A', 'G']).carries(&allele("22", 100, "G")));
        assert!(!call(&['A', 'G']).carries(&allele("21", 99, "G")));
        assert!(!call(&['A', 'G']).carries(&allele("22", 99, "GA")));
        assert!(!call(&[]).carries(&allele("22", 99, "G")));
    }

    #[test]
    fn lookups_match_ids_or_positions_inside_a_region() {
        use crate::lookup::Span;
        let region = |chrom: &str, start, end| {
            Query::Regions([(chrom.to_owned(), vec![Span { start, end }])].into())
        };
        assert!(call(&['A']).answers(&region("chr22", 100, 100)));
        assert!(call(&['A']).answers(&region("22", 90, 110)));
        assert!(!call(&['A']).answers(&region("22", 101, 110)));
        assert!(!call(&['A']).answers(&region("2", 100, 100)));
        assert!(call(&['A']).answers(&Query::Ids(["rs1".to_owned()].into())));
        assert!(!call(&['A']).answers(&Query::Ids(["rs2".to_owned()].into())));
    }
}
