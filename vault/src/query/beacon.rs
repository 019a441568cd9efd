//! GA4GH Beacon v2 allele queries on one person's genome: does the person carry the allele (`boolean`), and
//! in how many of their variant records (`count`). The answer is a Beacon v2 boolean or count response.

use dnavault_genome::{Variant, VariantExt};
use dnavault_protocol::query::{
    BeaconAlleleParameters, BeaconRequest, BeaconResponse, BeaconResponseMeta, BeaconSummary,
    Granularity,
};
use serde_json::json;

/// The Beacon API version answered.
const API_VERSION: &str = "v2.0.0";

/// Whether `variant` is the queried allele (same start, REF unless `N` or absent, ALT, where `N` stands for
/// any single base) and the person's genotype carries it.
pub(crate) fn carries(variant: &Variant, allele: &BeaconAlleleParameters) -> bool {
    if variant.pos != allele.start[0] + 1 {
        return false;
    }
    let same = |wanted: &str, found: &str| {
        wanted.eq_ignore_ascii_case(found) || (wanted.eq_ignore_ascii_case("N") && found.len() == 1)
    };
    if let Some(reference) = &allele.reference_bases
        && !same(reference, &variant.reference)
    {
        return false;
    }
    let (counts, _) = variant.allele_counts();
    variant
        .alt
        .split(',')
        .enumerate()
        .any(|(i, alt)| same(&allele.alternate_bases, alt) && counts.get(i + 1) > Some(&0))
}

/// The Beacon v2 response to `request` when `carried` matching variants were found. The received request
/// summary leaves out `requestParameters`: the framework schema types each parameter as an object, which
/// the genomicVariations parameters are not.
pub(crate) fn response(request: &BeaconRequest, carried: usize) -> BeaconResponse {
    let query = &request.query;
    let granularity = query.requested_granularity;
    let granularity_name = match granularity {
        Granularity::Boolean => "boolean",
        Granularity::Count => "count",
    };
    let received = json!({
        "apiVersion": request.meta.get("apiVersion").cloned().unwrap_or_else(|| json!("2.0")),
        "requestedSchemas": request.meta.get("requestedSchemas").cloned().unwrap_or_else(|| json!([])),
        "pagination": query.pagination.clone().unwrap_or_else(|| json!({ "skip": 0, "limit": 0 })),
        "requestedGranularity": granularity_name,
        "testMode": query.test_mode.unwrap_or(false),
    });
    BeaconResponse {
        meta: BeaconResponseMeta {
            beacon_id: "org.dnavault.vault".into(),
            api_version: API_VERSION.into(),
            returned_granularity: granularity_name.into(),
            received_request_summary: received,
            returned_schemas: vec![
                json!({ "entityType": "genomicVariant", "schema": "beacon-g_variant-v2.0.0" }),
            ],
        },
        response_summary: BeaconSummary {
            exists: carried > 0,
            num_total_results: match granularity {
                Granularity::Boolean => None,
                Granularity::Count => Some(carried as u64),
            },
        },
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
        assert!(carries(&variant("0/1"), &allele(99, Some("A"), "G")));
        assert!(carries(&variant("2|0"), &allele(99, None, "t")));
        assert!(carries(&variant("0/2"), &allele(99, Some("N"), "N")));
        // Wrong start (Beacon is 0-based), wrong REF, an ALT not carried, a missing call.
        assert!(!carries(&variant("0/1"), &allele(100, Some("A"), "G")));
        assert!(!carries(&variant("0/1"), &allele(99, Some("C"), "G")));
        assert!(!carries(&variant("0/1"), &allele(99, Some("A"), "T")));
        assert!(!carries(&variant("0/0"), &allele(99, Some("A"), "G")));
        assert!(!carries(&variant("./."), &allele(99, Some("A"), "G")));
        assert!(!carries(&variant("0/1"), &allele(99, Some("A"), "GA")));
    }
}
