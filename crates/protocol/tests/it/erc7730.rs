//! The ERC-7730 clear-signing descriptor (`contracts/erc7730/`) describes exactly the messages this crate
//! signs: the same types, field for field, in the registry's domain, and every field is displayed. (Ledger's
//! tool lints it and the ERC-7730 JSON schema validates it in script/test.)

use alloy::sol_types::SolStruct;
use dnavault_protocol::{
    ApproveMeasurement, ApproveTool, BindVaultKey, BootApproval, Grant, GrantRequest, OwnerRead,
    QueryApproval, QueryReceipt, QueryRequest, Revoke, RevokeMeasurement, RevokeTool,
    UploadApproval,
    eip712::{DOMAIN_NAME, DOMAIN_VERSION},
};
use serde_json::Value;

const DESCRIPTOR: &str =
    include_str!("../../../../contracts/erc7730/eip712-dnavault-registry.json");

/// Every message the registry's domain signs, by primary type, with its EIP-712 type string.
fn messages() -> Vec<(&'static str, String)> {
    vec![
        ("Grant", Grant::eip712_encode_type().into_owned()),
        (
            "GrantRequest",
            GrantRequest::eip712_encode_type().into_owned(),
        ),
        ("Revoke", Revoke::eip712_encode_type().into_owned()),
        (
            "ApproveMeasurement",
            ApproveMeasurement::eip712_encode_type().into_owned(),
        ),
        (
            "RevokeMeasurement",
            RevokeMeasurement::eip712_encode_type().into_owned(),
        ),
        (
            "ApproveTool",
            ApproveTool::eip712_encode_type().into_owned(),
        ),
        ("RevokeTool", RevokeTool::eip712_encode_type().into_owned()),
        (
            "BindVaultKey",
            BindVaultKey::eip712_encode_type().into_owned(),
        ),
        (
            "BootApproval",
            BootApproval::eip712_encode_type().into_owned(),
        ),
        (
            "QueryApproval",
            QueryApproval::eip712_encode_type().into_owned(),
        ),
        (
            "QueryRequest",
            QueryRequest::eip712_encode_type().into_owned(),
        ),
        (
            "QueryReceipt",
            QueryReceipt::eip712_encode_type().into_owned(),
        ),
        (
            "UploadApproval",
            UploadApproval::eip712_encode_type().into_owned(),
        ),
        ("OwnerRead", OwnerRead::eip712_encode_type().into_owned()),
    ]
}

/// `Name(type field,...)` from a schema's field list.
fn encode_type(name: &str, fields: &Value) -> String {
    let fields: Vec<String> = fields
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["type"].as_str().unwrap(),
                f["name"].as_str().unwrap()
            )
        })
        .collect();
    format!("{name}({})", fields.join(","))
}

#[test]
fn the_clear_signing_descriptor_describes_every_registry_message_field_for_field() {
    let descriptor: Value = serde_json::from_str(DESCRIPTOR).unwrap();
    let eip712 = &descriptor["context"]["eip712"];
    assert_eq!(eip712["domain"]["name"], DOMAIN_NAME);
    assert_eq!(eip712["domain"]["version"], DOMAIN_VERSION);
    let schemas = eip712["schemas"].as_array().unwrap();
    let formats = descriptor["display"]["formats"].as_object().unwrap();
    let messages = messages();
    assert_eq!(schemas.len(), messages.len(), "one schema per message");
    assert_eq!(
        formats.len(),
        messages.len(),
        "one display format per message"
    );
    for (name, encoded) in messages {
        let schema = schemas
            .iter()
            .find(|s| s["primaryType"] == name)
            .unwrap_or_else(|| panic!("no schema for {name}"));
        assert_eq!(
            encode_type(name, &schema["types"][name]),
            encoded,
            "{name}'s fields"
        );
        let format = &formats[name];
        let shown: Vec<&str> = format["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        for field in schema["types"][name].as_array().unwrap() {
            let path = format!("#.{}", field["name"].as_str().unwrap());
            assert!(
                shown.contains(&path.as_str()),
                "{name} does not display {path}"
            );
        }
        let intent = format["intent"].as_str().unwrap();
        assert!(
            !intent.is_empty() && intent.len() <= 30,
            "{name}: intent `{intent}`"
        );
    }
}
