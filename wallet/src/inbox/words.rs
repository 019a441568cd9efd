//! What a waiting message asks, in one line.

use dnavault_relay::Payload;

/// `payload` in words, as the inbox lists it (before anything is checked: answering checks it).
pub fn describe(payload: &Payload) -> String {
    match payload {
        Payload::BootRequest { request, vault_url } => format!(
            "vault {} at {vault_url} asks you to boot it (key {}); its attestation is checked when you \
             answer",
            request.vault_id, request.vault_key
        ),
        Payload::QueryApprovalRequest { submission } => format!(
            "researcher {} asks you to approve one query on vault {}: {}; it is shown against its grant \
             when you answer",
            submission.signed.request.researcher,
            submission.signed.request.vaultId,
            query_words(submission.query.get())
        ),
        Payload::CodeUpdateRequest {
            vault_id,
            measurement,
            note,
        } => format!(
            "vault {vault_id} asks you to approve new code {measurement} ({note:?}, in its operator's words)"
        ),
        Payload::ToolInstallRequest { vault_id, tool, .. } if tool.check().is_err() => format!(
            "vault {vault_id} asks you to install an analysis tool whose manifest is malformed; answering \
             refuses it"
        ),
        Payload::ToolInstallRequest {
            vault_id,
            tool,
            note,
        } => format!(
            "vault {vault_id} asks you to install the analysis tool {} {} ({}) ({note:?}, in its operator's \
             words)",
            tool.name,
            tool.version,
            tool.id()
        ),
        other => format!("an answer ({:?}), not addressed to a wallet", other.kind()),
    }
}

/// The query sent as `json`, in words (label: value; ...), or that it cannot be read.
fn query_words(json: &str) -> String {
    match serde_json::from_str::<dnavault_protocol::query::Query>(json) {
        Ok(query) => query
            .words()
            .into_iter()
            .map(|(label, value)| format!("{label}: {value}"))
            .collect::<Vec<_>>()
            .join("; "),
        Err(_) => "a query this wallet cannot read (answering refuses it)".into(),
    }
}
