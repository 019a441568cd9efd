//! Holding a service's OpenAPI description to the routes it serves.

use serde_json::Value;

/// Asserts that the OpenAPI 3.1 description `openapi` documents exactly the `served` (method, path) pairs,
/// that each operation documents its answers, and that every `$ref` resolves.
///
/// # Panics
/// When any of that does not hold (a test helper).
pub fn assert_documents_exactly<'a>(
    openapi: &str,
    served: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let doc: Value = serde_json::from_str(openapi).expect("the description is JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    let mut documented: Vec<(String, String)> = doc["paths"]
        .as_object()
        .expect("the description has paths")
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .into_iter()
                .flat_map(|item| item.keys())
                .map(move |method| (method.clone(), path.clone()))
        })
        .collect();
    documented.sort();
    let mut served: Vec<(String, String)> = served
        .into_iter()
        .map(|(method, path)| (method.to_lowercase(), path.to_owned()))
        .collect();
    served.sort();
    assert_eq!(documented, served);
    for (method, path) in &served {
        let answers = &doc["paths"][path][method]["responses"];
        assert!(
            answers.as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path} documents no answer"
        );
    }
    for reference in openapi.split("\"$ref\": \"#/").skip(1) {
        let end = reference.find('"').expect("a $ref is a string");
        let pointer = format!("/{}", &reference[..end]);
        assert!(doc.pointer(&pointer).is_some(), "dangling $ref {pointer}");
    }
}
