//! A query in words, for the owner who approves it: what it reads, where, and how much.

use super::{Granularity, Query};
use crate::descriptor::weights_digest;

/// How many regions, positions or rsIDs are listed before the rest are counted.
const LISTED: usize = 5;

impl Query {
    /// What the query asks, as label and value pairs (long lists are shortened, with their count).
    pub fn words(&self) -> Vec<(&'static str, String)> {
        match self {
            Self::GenotypeLookup(lookup) => {
                let mut words = vec![("The query", "read the person's genotypes".to_owned())];
                if !lookup.regions.is_empty() {
                    let regions = lookup
                        .regions
                        .iter()
                        .map(|r| format!("{}:{}-{}", r.chrom, r.start, r.end));
                    words.push(("In regions", listed(regions, lookup.regions.len())));
                }
                if !lookup.rsids.is_empty() {
                    let rsids = lookup.rsids.iter().cloned();
                    words.push(("At rsIDs", listed(rsids, lookup.rsids.len())));
                }
                words
            }
            Self::AlleleCounts(counts) => {
                let positions = counts
                    .positions
                    .iter()
                    .map(|p| format!("{}:{}", p.chrom, p.pos));
                vec![
                    (
                        "The query",
                        "count the copies of each allele the person carries".to_owned(),
                    ),
                    ("At positions", listed(positions, counts.positions.len())),
                ]
            }
            Self::BeaconAllele(beacon) => {
                let query = &beacon.request.query;
                let allele = &query.request_parameters;
                let answer = match query.requested_granularity {
                    Granularity::Boolean => "whether the person carries",
                    Granularity::Count => "how many copies the person carries of",
                };
                let at = allele.position().map_or_else(
                    || "an unstated position".to_owned(),
                    |pos| format!("{}:{pos}", allele.reference_name),
                );
                vec![(
                    "The query",
                    format!("{answer} allele {} at {at}", allele.alternate_bases),
                )]
            }
            Self::PolygenicScore(score) => vec![
                (
                    "The query",
                    "a polygenic score of the person's genome".to_owned(),
                ),
                (
                    "Scoring file",
                    format!(
                        "{} lines, SHA-256 {}",
                        score.scoring_file.lines().count(),
                        weights_digest(&score.scoring_file)
                    ),
                ),
            ],
            Self::RunTool(run) => {
                let mut words = vec![("The query", format!("run analysis tool {}", run.tool))];
                if !run.regions.is_empty() {
                    let regions = run
                        .regions
                        .iter()
                        .map(|r| format!("{}:{}-{}", r.chrom, r.start, r.end));
                    words.push(("In regions", listed(regions, run.regions.len())));
                }
                if let Some(file) = &run.scoring_file {
                    words.push((
                        "Scoring file",
                        format!(
                            "{} lines, SHA-256 {}",
                            file.lines().count(),
                            weights_digest(file)
                        ),
                    ));
                }
                words
            }
        }
    }
}

/// The first items of a list and how many there are in all.
fn listed(items: impl Iterator<Item = String>, count: usize) -> String {
    let shown: Vec<String> = items.take(LISTED).collect();
    match count > LISTED {
        true => format!(
            "{} and {} more ({count} in all)",
            shown.join(", "),
            count - LISTED
        ),
        false => shown.join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::{AlleleCounts, GenotypeLookup, Position, Region};

    #[test]
    fn long_lists_are_counted() {
        let positions = (1..=7)
            .map(|pos| Position {
                chrom: "22".into(),
                pos,
            })
            .collect();
        let words = Query::AlleleCounts(AlleleCounts { positions }).words();
        assert_eq!(
            words[1],
            (
                "At positions",
                "22:1, 22:2, 22:3, 22:4, 22:5 and 2 more (7 in all)".to_owned()
            )
        );
        let lookup = Query::GenotypeLookup(GenotypeLookup {
            regions: vec![Region {
                chrom: "17".into(),
                start: 41_196_312,
                end: 41_277_500,
            }],
            rsids: vec![],
        });
        assert_eq!(
            lookup.words()[1],
            ("In regions", "17:41196312-41277500".to_owned())
        );
    }
}
