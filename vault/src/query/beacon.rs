//! GA4GH Beacon v2 allele queries on one person's genome: does the person carry the allele (`boolean`), and
//! in how many of their variant records (`count`). The answer is a Beacon v2 boolean or count response.

use dnavault_protocol::query::{
    BeaconRequest, BeaconResponse, BeaconResponseMeta, BeaconSummary, Granularity,
};
use serde_json::json;

/// The Beacon API version answered.
const API_VERSION: &str = "v2.0.0";

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
