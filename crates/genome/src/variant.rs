//! What a VCF/BCF record of one person says, and how it answers each query kind: the sites allele counts
//! report and whether it carries a Beacon allele.

use dnavault_protocol::query::{BeaconAlleleParameters, Site, chromosome};

/// A variant call of the chosen sample, as the file has it: the protocol's record, what a lookup answers.
pub use dnavault_protocol::query::Variant;

/// What a record's fields say about it.
pub trait VariantExt {
    /// Last position the reference allele covers.
    fn end(&self) -> u64;
    /// The alleles the genotype carries, per allele (REF first, then each ALT), and how many were called:
    /// `0/1` with one ALT is `([1, 1], 2)`, `1/.` is `([0, 1], 1)`.
    fn allele_counts(&self) -> (Vec<u32>, u32);
    /// Whether `id` is one of this record's IDs.
    fn has_id(&self, id: &str) -> bool;
    /// The record's allele counts as an allele-counts answer reports them: REF, then each ALT.
    fn site(&self) -> Site;
    /// Whether the record is the Beacon allele (same chromosome and start, REF unless `N` or absent, ALT,
    /// where `N` stands for any single base) and the person's genotype carries it.
    fn carries(&self, allele: &BeaconAlleleParameters) -> bool;
}

impl VariantExt for Variant {
    fn end(&self) -> u64 {
        self.pos + (self.reference.len() as u64).max(1) - 1
    }

    fn allele_counts(&self) -> (Vec<u32>, u32) {
        let alts = if self.alt == "." {
            0
        } else {
            self.alt.split(',').count()
        };
        let mut counts = vec![0u32; 1 + alts];
        let mut called = 0;
        for allele in self.gt.split(['/', '|']) {
            if let Ok(index) = allele.parse::<usize>()
                && let Some(count) = counts.get_mut(index)
            {
                *count += 1;
                called += 1;
            }
        }
        (counts, called)
    }

    fn has_id(&self, id: &str) -> bool {
        crate::genotypes::RecordView::of(self).has_id(id)
    }

    fn site(&self) -> Site {
        let (counts, called) = self.allele_counts();
        let mut alleles = vec![self.reference.clone()];
        if self.alt != "." {
            alleles.extend(self.alt.split(',').map(str::to_owned));
        }
        Site {
            chrom: self.chrom.clone(),
            pos: self.pos,
            alleles,
            counts,
            called,
        }
    }

    fn carries(&self, allele: &BeaconAlleleParameters) -> bool {
        if allele.position() != Some(self.pos)
            || !chromosome::same(&allele.reference_name, &self.chrom)
        {
            return false;
        }
        let same = |wanted: &str, found: &str| {
            wanted.eq_ignore_ascii_case(found)
                || (wanted.eq_ignore_ascii_case("N") && found.len() == 1)
        };
        if let Some(reference) = &allele.reference_bases
            && !same(reference, &self.reference)
        {
            return false;
        }
        let (counts, _) = self.allele_counts();
        self.alt
            .split(',')
            .enumerate()
            .any(|(i, alt)| same(&allele.alternate_bases, alt) && counts.get(i + 1) > Some(&0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allele(start: u64, reference: Option<&str>, alternate: &str) -> BeaconAlleleParameters {
        BeaconAlleleParameters {
            reference_name: "22".into(),
            start: vec![start],
            reference_bases: reference.map(str::to_owned),
            alternate_bases: alternate.into(),
            assembly_id: None,
        }
    }

    fn variant(gt: &str) -> Variant {
        Variant {
            chrom: "22".into(),
            pos: 100,
            id: "rs1".into(),
            reference: "A".into(),
            alt: "G,T".into(),
            gt: gt.into(),
        }
    }

    #[test]
    fn an_allele_is_carried_only_with_a_copy_in_the_genotype() {
        assert!(variant("0/1").carries(&allele(99, Some("A"), "G")));
        assert!(variant("2|0").carries(&allele(99, None, "t")));
        assert!(variant("0/2").carries(&allele(99, Some("N"), "N")));
        let mut prefixed = allele(99, Some("A"), "G");
        prefixed.reference_name = "chr22".into();
        assert!(variant("0/1").carries(&prefixed));
        // Wrong start (Beacon is 0-based), wrong REF, an ALT not carried, a missing call, another
        // chromosome.
        assert!(!variant("0/1").carries(&allele(100, Some("A"), "G")));
        assert!(!variant("0/1").carries(&allele(99, Some("C"), "G")));
        assert!(!variant("0/1").carries(&allele(99, Some("A"), "T")));
        assert!(!variant("0/0").carries(&allele(99, Some("A"), "G")));
        assert!(!variant("./.").carries(&allele(99, Some("A"), "G")));
        assert!(!variant("0/1").carries(&allele(99, Some("A"), "GA")));
        let mut elsewhere = allele(99, Some("A"), "G");
        elsewhere.reference_name = "21".into();
        assert!(!variant("0/1").carries(&elsewhere));
    }

    #[test]
    fn a_site_lists_ref_then_alts_with_their_copies() {
        let site = variant("0/2").site();
        assert_eq!(
            (site.alleles, site.counts, site.called),
            (vec!["A".into(), "G".into(), "T".into()], vec![1, 0, 1], 2)
        );
        let mut monomorphic = variant("0/0");
        monomorphic.alt = ".".into();
        let site = monomorphic.site();
        assert_eq!((site.alleles, site.counts), (vec!["A".into()], vec![2]));
    }

    #[test]
    fn allele_counts_follow_the_genotype() {
        let variant = |alt: &str, gt: &str| Variant {
            chrom: "1".into(),
            pos: 1,
            id: ".".into(),
            reference: "A".into(),
            alt: alt.into(),
            gt: gt.into(),
        };
        assert_eq!(variant("G", "0/1").allele_counts(), (vec![1, 1], 2));
        assert_eq!(variant("G", "1|1").allele_counts(), (vec![0, 2], 2));
        assert_eq!(variant("G,T", "1/2").allele_counts(), (vec![0, 1, 1], 2));
        assert_eq!(variant("G", "1/.").allele_counts(), (vec![0, 1], 1));
        assert_eq!(variant("G", "./.").allele_counts(), (vec![0, 0], 0));
        assert_eq!(variant("G", "1").allele_counts(), (vec![0, 1], 1));
        assert_eq!(variant(".", "0/0").allele_counts(), (vec![2], 2));
        // An allele index beyond ALT is not counted (the reader refuses such files anyway).
        assert_eq!(variant("G", "0/3").allele_counts(), (vec![1, 0], 1));
    }
}
