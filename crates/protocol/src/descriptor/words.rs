//! A descriptor in words: what the owner reads before signing a grant that names it, and what a website
//! shows beside the grant. Every word comes from the descriptor, and so is inside the scope's hash.

use super::{Descriptor, Panel};
use crate::query::Granularity;

/// How many loci are spelled out before the rest are counted.
const SHOWN: usize = 6;

/// What a grant under a descriptor allows, as labelled facts, and what deserves a second look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    /// Label and value pairs.
    pub facts: Vec<(&'static str, String)>,
    /// Things the signer should notice.
    pub warnings: Vec<String>,
}

impl Descriptor {
    /// The descriptor in words.
    pub fn words(&self) -> Words {
        let mut facts = Vec::new();
        let mut warnings = Vec::new();
        match self {
            Self::GenotypeLookup { panel } => {
                facts.push((
                    "Analysis",
                    "read the person's genotypes inside this panel".to_owned(),
                ));
                panel_facts(panel, &mut facts);
            }
            Self::AlleleCounts { panel } => {
                facts.push((
                    "Analysis",
                    "count the alleles the person carries at positions inside this panel"
                        .to_owned(),
                ));
                panel_facts(panel, &mut facts);
                warnings.push(
                    "allele counts from one person's vault are that person's genotypes at those positions"
                        .into(),
                );
            }
            Self::BeaconAllele { granularity, panel } => {
                let what = match granularity {
                    Granularity::Boolean => {
                        "answer yes or no: does the person carry a given allele"
                    }
                    Granularity::Count => {
                        "answer how many of the person's records carry a given allele"
                    }
                };
                facts.push(("Analysis", what.to_owned()));
                match panel {
                    Some(panel) => panel_facts(panel, &mut facts),
                    None => {
                        facts.push(("Where", "anywhere in the genome".into()));
                        warnings.push(
                            "a genome-wide Beacon grant lets the researcher ask about any position"
                                .into(),
                        );
                    }
                }
            }
            Self::PolygenicScore {
                pgs_id,
                weights_sha256,
                variants,
                trait_reported,
            } => {
                facts.push((
                    "Analysis",
                    "compute one polygenic score from the person's genotypes".to_owned(),
                ));
                facts.push(("Score", format!("{pgs_id} ({trait_reported})")));
                facts.push(("Weights", format!("{variants} variants")));
                facts.push(("Scoring file SHA-256", weights_sha256.to_string()));
            }
            Self::RunTool { tool, panel, score } => {
                facts.push((
                    "Analysis",
                    format!(
                        "run the analysis tool {} {} on the person's genome",
                        tool.name, tool.version
                    ),
                ));
                facts.extend(tool.words());
                match panel {
                    Some(panel) => panel_facts(panel, &mut facts),
                    None => facts.push(("Where", "the whole genome file".into())),
                }
                if let Some(score) = score {
                    facts.push((
                        "Score",
                        format!("{} ({})", score.pgs_id, score.trait_reported),
                    ));
                    facts.push(("Weights", format!("{} variants", score.variants)));
                    facts.push(("Scoring file SHA-256", score.weights_sha256.to_string()));
                }
                warnings.push(
                    "the tool reads the person's genome file inside the vault; only the results named here \
                     leave, sealed to the researcher, and only while the tool stays installed in the vault"
                        .into(),
                );
            }
        }
        facts.push(("Analysis version", self.analysis().to_owned()));
        Words { facts, warnings }
    }
}

fn panel_facts(panel: &Panel, facts: &mut Vec<(&'static str, String)>) {
    // The assembly is a fact of its own: a panel's name is its author's words and may name another.
    facts.push(("Panel", panel.name.clone()));
    facts.push(("Assembly", panel.assembly.clone()));
    if !panel.regions.is_empty() {
        let shown: Vec<String> = panel
            .regions
            .iter()
            .take(SHOWN)
            .map(|r| {
                let gene = match r.gene.is_empty() {
                    true => String::new(),
                    false => format!("{} ", r.gene),
                };
                format!("{gene}{}:{}-{}", r.chrom, r.start, r.end)
            })
            .collect();
        facts.push(("Regions", listed(shown, panel.regions.len())));
    }
    if !panel.rsids.is_empty() {
        let shown = panel.rsids.iter().take(SHOWN).cloned().collect();
        facts.push(("rsIDs", listed(shown, panel.rsids.len())));
    }
}

fn listed(shown: Vec<String>, total: usize) -> String {
    let more = total - shown.len();
    let text = shown.join(", ");
    match more {
        0 => text,
        _ => format!("{text} and {more} more ({total} in all)"),
    }
}

#[cfg(test)]
mod tests {
    use super::super::{PANELS, SCORES};
    use super::*;

    fn words_of(descriptor: &Descriptor) -> String {
        let words = descriptor.words();
        words
            .facts
            .iter()
            .map(|(label, value)| format!("{label}: {value}\n"))
            .chain(words.warnings.iter().map(|w| format!("! {w}\n")))
            .collect()
    }

    #[test]
    fn a_descriptor_reads_as_what_it_allows() {
        let brca: Panel = serde_json::from_str(PANELS[0].1).unwrap();
        let text = words_of(&Descriptor::GenotypeLookup { panel: brca });
        assert!(text.contains("BRCA1 17:41196312-41277500"), "{text}");
        assert!(text.contains("BRCA2 13:32889611-32973805"), "{text}");
        assert!(text.contains("(GRCh37)"), "{text}");

        let loci: Panel = serde_json::from_str(PANELS[2].1).unwrap();
        let text = words_of(&Descriptor::AlleleCounts { panel: loci });
        assert!(text.contains("and 71 more (77 in all)"), "{text}");
        assert!(
            text.contains("! allele counts from one person's vault"),
            "{text}"
        );

        let score: Descriptor = serde_json::from_str(SCORES[0].1).unwrap();
        let text = words_of(&score);
        assert!(
            text.contains("PGS000001 (Breast cancer)") && text.contains("77 variants"),
            "{text}"
        );

        let anywhere = Descriptor::BeaconAllele {
            granularity: Granularity::Boolean,
            panel: None,
        };
        let text = words_of(&anywhere);
        assert!(
            text.contains("yes or no") && text.contains("anywhere in the genome"),
            "{text}"
        );
        assert!(text.contains("! a genome-wide Beacon grant"), "{text}");
    }
}
