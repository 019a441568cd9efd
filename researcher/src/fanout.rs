//! One query to many vaults: each is reached and asked on its own, and the report says which answered and
//! which refused (and why). Allele counts from the vaults that answered are added up per site and allele.

use std::{collections::BTreeMap, sync::Arc};

use dnavault_attest::Verifier;
use dnavault_protocol::query::{Query, QueryResult, chromosome};
use serde::Serialize;

use crate::{AttestedVault, Chain, Researcher, Terms};

/// A vault to ask.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Target {
    /// Its id in the registry.
    pub vault_id: u64,
    /// Its URL.
    pub url: String,
}

/// What one vault did with the query.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    /// The vault.
    pub vault_id: u64,
    /// Its URL.
    pub url: String,
    /// The opened result, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<QueryResult>,
    /// The receipt hash, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receipt_hash: Option<String>,
    /// Why not, if it did not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<String>,
}

/// Asks every target `query` under `terms` (each vault's grant names the same descriptor), all at once;
/// outcomes in the targets' order.
pub async fn fan_out(
    researcher: Arc<Researcher>,
    chain: &Chain,
    verifier: Arc<Verifier>,
    targets: &[Target],
    query: &Query,
    terms: &Terms,
) -> Vec<Outcome> {
    let mut tasks = tokio::task::JoinSet::new();
    for (i, target) in targets.iter().cloned().enumerate() {
        let (researcher, chain, verifier, query, terms) = (
            Arc::clone(&researcher),
            chain.clone(),
            Arc::clone(&verifier),
            query.clone(),
            terms.clone(),
        );
        tasks.spawn(async move {
            let asked = async {
                let vault =
                    AttestedVault::connect(&target.url, target.vault_id, &chain, &verifier).await?;
                vault.ask(&researcher, &query, &terms, &chain).await
            }
            .await;
            let outcome = match asked {
                Ok(opened) => Outcome {
                    vault_id: target.vault_id,
                    url: target.url,
                    result: Some(opened.result),
                    receipt_hash: Some(opened.receipt_hash.to_string()),
                    refused: None,
                },
                Err(error) => Outcome {
                    vault_id: target.vault_id,
                    url: target.url,
                    result: None,
                    receipt_hash: None,
                    refused: Some(error.to_string()),
                },
            };
            (i, outcome)
        });
    }
    let mut outcomes: Vec<Option<Outcome>> = vec![None; targets.len()];
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, outcome)) = joined {
            outcomes[i] = Some(outcome);
        }
    }
    outcomes
        .into_iter()
        .zip(targets)
        .map(|(outcome, target)| {
            outcome.unwrap_or_else(|| Outcome {
                vault_id: target.vault_id,
                url: target.url.clone(),
                result: None,
                receipt_hash: None,
                refused: Some("the task asking this vault failed".into()),
            })
        })
        .collect()
}

/// Allele counts at one site, added up over the vaults that answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SiteTotal {
    /// Chromosome (without a `chr` prefix).
    pub chrom: String,
    /// Position.
    pub pos: u64,
    /// Every allele seen here, in the order first seen (a VCF's REF first).
    pub alleles: Vec<String>,
    /// Copies of each allele over all answering vaults.
    pub counts: Vec<u64>,
    /// Alleles called.
    pub called: u64,
    /// Vaults that had a call here.
    pub vaults: u64,
}

/// Adds up the `allele-counts` results of the outcomes that answered, per site and allele: a vault with a
/// multi-allelic record, one with a biallelic record and one with a raw call at the same position add to
/// the same site.
pub fn total_allele_counts(outcomes: &[Outcome]) -> Result<Vec<SiteTotal>, String> {
    let mut totals: BTreeMap<(String, u64), SiteTotal> = BTreeMap::new();
    for outcome in outcomes {
        let Some(result) = &outcome.result else {
            continue;
        };
        let QueryResult::AlleleCounts(counts) = result else {
            return Err(format!(
                "vault {} answered a {} result, not allele counts",
                outcome.vault_id,
                result.kind()
            ));
        };
        for site in counts.sites.iter().cloned() {
            if site.counts.len() != site.alleles.len() {
                return Err(format!(
                    "vault {} gave {} counts for {} alleles at {}:{}",
                    outcome.vault_id,
                    site.counts.len(),
                    site.alleles.len(),
                    site.chrom,
                    site.pos
                ));
            }
            let chrom = chromosome::bare(&site.chrom).to_owned();
            let total = totals
                .entry((chrom.clone(), site.pos))
                .or_insert_with(|| SiteTotal {
                    chrom,
                    pos: site.pos,
                    alleles: Vec::new(),
                    counts: Vec::new(),
                    called: 0,
                    vaults: 0,
                });
            for (allele, count) in site.alleles.into_iter().zip(site.counts) {
                let allele = allele.to_ascii_uppercase();
                let i = match total.alleles.iter().position(|a| *a == allele) {
                    Some(i) => i,
                    None => {
                        total.alleles.push(allele);
                        total.counts.push(0);
                        total.alleles.len() - 1
                    }
                };
                total.counts[i] += u64::from(count);
            }
            total.called += u64::from(site.called);
            total.vaults += 1;
        }
    }
    Ok(totals.into_values().collect())
}

#[cfg(test)]
mod tests {
    use dnavault_protocol::query::QueryKind;
    use serde_json::{Value, json};

    use super::*;

    fn answered(vault_id: u64, result: Value) -> Outcome {
        let json = serde_json::to_vec(&result).unwrap();
        Outcome {
            vault_id,
            url: format!("https://vault{vault_id}/"),
            result: Some(QueryResult::from_json(QueryKind::AlleleCounts, &json).unwrap()),
            receipt_hash: None,
            refused: None,
        }
    }

    #[test]
    fn counts_add_up_per_site_and_allele() {
        let outcomes = [
            answered(
                1,
                json!({"sites": [{"chrom": "22", "pos": 10, "alleles": ["A", "G"], "counts": [1, 1], "called": 2}]}),
            ),
            answered(
                2,
                json!({"sites": [
                    {"chrom": "chr22", "pos": 10, "alleles": ["A", "G", "T"], "counts": [0, 1, 1], "called": 2},
                    {"chrom": "22", "pos": 11, "alleles": ["C", "T"], "counts": [1, 0], "called": 1}
                ]}),
            ),
            Outcome {
                vault_id: 3,
                url: "https://vault3/".into(),
                result: None,
                receipt_hash: None,
                refused: Some("no grant".into()),
            },
            // A raw call: the bases called.
            answered(
                4,
                json!({"sites": [{"chrom": "22", "pos": 10, "alleles": ["G"], "counts": [2], "called": 2}]}),
            ),
        ];
        let totals = total_allele_counts(&outcomes).unwrap();
        assert_eq!(totals.len(), 2);
        assert_eq!((totals[0].chrom.as_str(), totals[0].pos), ("22", 10));
        assert_eq!(totals[0].alleles, ["A", "G", "T"]);
        assert_eq!(totals[0].counts, [1, 4, 1]);
        assert_eq!((totals[0].called, totals[0].vaults), (6, 3));
        assert_eq!(totals[1].counts, [1, 0]);
        let bad = [answered(
            5,
            json!({"sites": [{"chrom": "22", "pos": 10, "alleles": ["A"], "counts": [1, 1], "called": 2}]}),
        )];
        assert!(total_allele_counts(&bad).unwrap_err().contains("vault 5"));
    }
}
