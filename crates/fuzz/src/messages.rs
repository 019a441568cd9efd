//! What researchers and operators send as JSON: a query submission as the vault's API takes it, a query
//! against the grant's analysis descriptor, and an analysis tool's manifest.

use dnavault_protocol::{
    descriptor::Descriptor,
    query::{Query, QuerySubmission},
    tool::ToolManifest,
};

use crate::two_parts;

/// A submission (`POST /v1/query`'s body): read as the vault reads it, then held against its grant.
/// Accepted when its grant allows it.
pub fn query_submission(data: &[u8]) -> bool {
    let Ok(submission) = serde_json::from_slice::<QuerySubmission>(data) else {
        return false;
    };
    submission
        .read()
        .is_ok_and(|query| submission.descriptor.allows(&query).is_ok())
}

/// A query, then 0xFF, then a descriptor (each JSON): each checked, the descriptor's scope computed and
/// a well-formed query held against a well-formed descriptor, as the vault does. Accepted when allowed.
pub fn query_in_grant(data: &[u8]) -> bool {
    let (query, descriptor) = two_parts(data);
    let query = serde_json::from_slice::<Query>(query).ok();
    let descriptor = serde_json::from_slice::<Descriptor>(descriptor).ok();
    if let Some(descriptor) = &descriptor {
        let _ = descriptor.scope();
    }
    match (query, descriptor) {
        (Some(query), Some(descriptor)) => {
            query.check().is_ok() && descriptor.check().is_ok() && descriptor.allows(&query).is_ok()
        }
        _ => false,
    }
}

/// A tool manifest (JSON): checked, hashed, put in words and its arguments filled. Accepted when
/// well formed.
pub fn tool_manifest(data: &[u8]) -> bool {
    let Ok(manifest) = serde_json::from_slice::<ToolManifest>(data) else {
        return false;
    };
    let _ = manifest.id();
    let accepted = manifest.check().is_ok();
    if accepted {
        let _ = manifest.words();
        let _ = manifest.placeholders();
        let _ = manifest.arguments_with(fill);
    }
    accepted
}

fn fill(placeholder: &str) -> Option<String> {
    (placeholder != "{index}").then(|| format!("/scratch/{}", placeholder.len()))
}
