//! Locus panels: a small named document of regions (1-based, inclusive, on one assembly, each with the gene
//! it covers) and rsIDs. A lookup or allele-count grant names one; its hash is the EIP-712 struct hash of
//! `Panel(string name,string assembly,PanelRegion[] regions,string[] rsids)`, so the same panel hashes the
//! same however its JSON is laid out.

use alloy::{primitives::B256, sol_types::SolStruct};

use super::OutsideScope;
use crate::query::chromosome;

alloy::sol! {
    /// One region of a panel: 1-based, inclusive, on the panel's assembly, and the gene it covers.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct PanelRegion {
        string chrom;
        uint64 start;
        uint64 end;
        string gene;
    }

    /// A locus panel: its name, assembly (`GRCh37` or `GRCh38`), regions and rsIDs.
    #[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Panel {
        string name;
        string assembly;
        PanelRegion[] regions;
        string[] rsids;
    }
}

/// The most loci one panel may hold.
pub const MAX_LOCI: usize = 10_000;

/// The largest position (VCF positions are 32-bit signed).
const MAX_POSITION: u64 = i32::MAX as u64;

/// Why a panel (or a score's id) is not well formed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {reason}")]
pub struct PanelError {
    /// Which part.
    pub what: String,
    /// What is wrong with it.
    pub reason: String,
}

fn refuse(what: impl Into<String>, reason: impl Into<String>) -> PanelError {
    PanelError {
        what: what.into(),
        reason: reason.into(),
    }
}

impl Panel {
    /// Its hash, what a descriptor commits to.
    pub fn hash(&self) -> B256 {
        self.eip712_hash_struct()
    }

    /// Whether position `pos` of chromosome `chrom` lies in one of its regions.
    pub fn contains(&self, chrom: &str, pos: u64) -> bool {
        self.covers(chrom, pos, pos)
    }

    /// Whether `start..=end` of `chrom` lies wholly inside one of its regions.
    pub fn covers(&self, chrom: &str, start: u64, end: u64) -> bool {
        self.regions.iter().any(|region| {
            chromosome::same(&region.chrom, chrom) && region.start <= start && end <= region.end
        })
    }

    /// The genes its regions cover, in order, once each.
    pub fn genes(&self) -> Vec<&str> {
        let mut genes: Vec<&str> = Vec::new();
        for region in &self.regions {
            if !region.gene.is_empty() && !genes.contains(&region.gene.as_str()) {
                genes.push(&region.gene);
            }
        }
        genes
    }

    /// Checks its name, assembly, loci and their count.
    pub fn check(&self) -> Result<(), PanelError> {
        if self.name.trim().is_empty() || self.name.len() > 200 {
            return Err(refuse(
                "name",
                "give the panel a name of 1 to 200 characters",
            ));
        }
        if !matches!(self.assembly.as_str(), "GRCh37" | "GRCh38") {
            return Err(refuse(
                "assembly",
                format!("`{}` is not GRCh37 or GRCh38", self.assembly),
            ));
        }
        let loci = self.regions.len() + self.rsids.len();
        if loci == 0 || loci > MAX_LOCI {
            return Err(refuse(
                "panel",
                format!("{loci} loci; a panel holds 1 to {MAX_LOCI}"),
            ));
        }
        for (i, region) in self.regions.iter().enumerate() {
            let what = format!("regions[{i}]");
            if region.chrom.is_empty()
                || region.chrom.len() > 64
                || region.chrom.contains(char::is_whitespace)
            {
                return Err(refuse(
                    what,
                    format!("`{}` is not a chromosome", region.chrom),
                ));
            }
            if region.start == 0 || region.end < region.start || region.end > MAX_POSITION {
                return Err(refuse(
                    what,
                    format!(
                        "{}..{} is not a 1-based inclusive range",
                        region.start, region.end
                    ),
                ));
            }
        }
        for (i, rsid) in self.rsids.iter().enumerate() {
            let digits = rsid.strip_prefix("rs").unwrap_or_default();
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse(
                    format!("rsids[{i}]"),
                    format!("`{rsid}` is not an rsID"),
                ));
            }
        }
        Ok(())
    }

    /// The refusal of `what`, which lies outside this panel.
    pub(super) fn outside(&self, what: String) -> OutsideScope {
        OutsideScope::Locus {
            what,
            panel: self.name.clone(),
        }
    }
}

/// Checks a PGS Catalog score id (`PGS` and six or more digits).
pub(super) fn pgs_id(id: &str) -> Result<(), PanelError> {
    let digits = id.strip_prefix("PGS").unwrap_or_default();
    if digits.len() < 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refuse(
            "pgsId",
            format!("`{id}` is not a PGS Catalog id (PGS000001)"),
        ));
    }
    Ok(())
}
