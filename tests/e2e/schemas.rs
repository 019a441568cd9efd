//! Validation against the GA4GH Beacon v2 schemas (copied into testdata/specs with their licence) and the
//! vault's own OpenAPI description.

use serde_json::Value;

fn schema_path(relative: &str) -> std::path::PathBuf {
    dnavault_tests::testdata(&format!("specs/beacon-v2/{relative}"))
        .canonicalize()
        .unwrap()
}

fn validate(schema: &Value, base: &std::path::Path, instance: &Value) {
    let options = jsonschema::options().with_base_uri(format!("file://{}", base.display()));
    check(&options, schema, instance, &base.display().to_string());
}

/// Asserts `instance` is valid against `schema` (built with `options`), naming the schema `name`.
fn check(
    options: &jsonschema::ValidationOptions<'_>,
    schema: &Value,
    instance: &Value,
    name: &str,
) {
    let validator = options
        .build(schema)
        .unwrap_or_else(|e| panic!("schema {name}: {e}"));
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{instance} is not valid against {name}: {errors:?}"
    );
}

/// Asserts `instance` is valid against the schema at `relative` (under specs/beacon-v2).
pub(crate) fn assert_valid(relative: &str, instance: &Value) {
    let path = schema_path(relative);
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    validate(&schema, &path, instance);
}

/// Asserts `request` is a valid Beacon v2 request body for genomic variants. The framework's
/// `requestParameters.json` is a placeholder ("a dictionary 'key':'object'") that no scalar parameter
/// passes; the parameters are validated against the genomicVariations model's `g_variant` instead.
pub(crate) fn assert_valid_request(request: &Value) {
    let mut body = request.clone();
    let parameters = body["query"]
        .as_object_mut()
        .unwrap()
        .remove("requestParameters")
        .unwrap();
    assert_valid("framework/json/requests/beaconRequestBody.json", &body);
    assert_valid_parameters(&parameters);
}

/// Asserts `parameters` are valid genomicVariations request parameters (`g_variant`).
fn assert_valid_parameters(parameters: &Value) {
    let path =
        schema_path("models/json/beacon-v2-default-model/genomicVariations/requestParameters.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let mut g_variant = schema["g_variant"].clone();
    g_variant["additionalProperties"] = Value::Bool(false);
    validate(&g_variant, &path, parameters);
}

/// The schemas refuse what they must: a response without its summary, parameters the model does not name.
#[test]
fn the_schemas_refuse_invalid_documents() {
    let path = schema_path("framework/json/responses/beaconCountResponse.json");
    let schema: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .with_base_uri(format!("file://{}", path.display()))
        .build(&schema)
        .unwrap();
    assert!(!validator.is_valid(&serde_json::json!({"meta": {}})));
    let result = std::panic::catch_unwind(|| {
        assert_valid_parameters(&serde_json::json!({"referenceName": "22", "sample": "x"}));
    });
    assert!(result.is_err());
}

/// Asserts `instance` is valid against the OpenAPI description's `components/schemas/{name}`.
pub(crate) fn assert_valid_openapi(name: &str, instance: &Value) {
    let doc: Value = serde_json::from_str(dnavault_vault::api::OPENAPI).unwrap();
    let mut schema = doc["components"]["schemas"][name].clone();
    assert!(schema.is_object(), "no schema {name}");
    // References point into the description: resolve them against it.
    schema["components"] = doc["components"].clone();
    check(&jsonschema::options(), &schema, instance, name);
}
