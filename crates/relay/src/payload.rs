//! What relay messages carry, once opened: a request to an owner or the owner's answer, as JSON. Each
//! answer names the request it answers by that request's nonce, so a wallet answers a request once and a
//! vault or researcher takes only the answer to what it asked.

use alloy::primitives::{B256, Bytes, U256};
use dnavault_protocol::{
    QueryApproval,
    boot::{BootRequest, BootResponse},
    query::QuerySubmission,
    tool::ToolManifest,
};
use serde::{Deserialize, Serialize};

use crate::{Kind, RelayError, Result};

/// A message's payload.
// Externally tagged (`{"bootRequest": {...}}`): a submission's query is kept as its raw JSON text, which an
// internally tagged enum would have to buffer and could not.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Payload {
    /// A sealed vault asks its owner to boot it.
    #[serde(rename_all = "camelCase")]
    BootRequest {
        /// Where the vault serves (its owner's wallet checks its attestation there too).
        vault_url: String,
        /// The boot request, as `GET /v1/boot` serves it.
        request: BootRequest,
    },
    /// The owner's answer to a boot request.
    #[serde(rename_all = "camelCase")]
    BootAnswer {
        /// The nonce of the request answered.
        request: B256,
        /// The wrapped data key and the signed approval, as `POST /v1/boot` takes them.
        response: BootResponse,
    },
    /// A researcher asks the owner to approve one query under a grant that asks for it.
    #[serde(rename_all = "camelCase")]
    QueryApprovalRequest {
        /// The submission as the vault will take it: the signed request, the query, the grant's
        /// descriptor, which the wallet checks the query against and shows it in words by.
        submission: QuerySubmission,
    },
    /// The owner's answer to a query approval request: the approval, signed, or a refusal.
    #[serde(rename_all = "camelCase")]
    QueryApprovalAnswer {
        /// The nonce of the request answered.
        request: B256,
        /// The approval, when the owner approved.
        approval: Option<QueryApproval>,
        /// Its signature.
        signature: Option<Bytes>,
    },
    /// A running vault asks its owner to approve new code for it.
    #[serde(rename_all = "camelCase")]
    CodeUpdateRequest {
        /// The vault.
        vault_id: U256,
        /// The new SNP launch measurement.
        measurement: Bytes,
        /// What the update is, in the vault operator's words (shown as such).
        note: String,
    },
    /// A running vault asks its owner to install an analysis tool in it: a code update, answered as one.
    #[serde(rename_all = "camelCase")]
    ToolInstallRequest {
        /// The vault.
        vault_id: U256,
        /// The tool's manifest (its hash is the tool's identity, recomputed by the wallet).
        tool: Box<ToolManifest>,
        /// Why the operator proposes it, in the operator's words (shown as such).
        note: String,
    },
    /// The owner's answer to a code update or tool install request.
    #[serde(rename_all = "camelCase")]
    CodeUpdateAnswer {
        /// The nonce of the request answered.
        request: B256,
        /// Whether the owner approved it on-chain.
        approved: bool,
    },
}

impl Payload {
    /// The message kind that carries it.
    pub fn kind(&self) -> Kind {
        match self {
            Self::BootRequest { .. } => Kind::BootRequest,
            Self::BootAnswer { .. } => Kind::BootAnswer,
            Self::QueryApprovalRequest { .. } => Kind::QueryApprovalRequest,
            Self::QueryApprovalAnswer { .. } => Kind::QueryApprovalAnswer,
            Self::CodeUpdateRequest { .. } | Self::ToolInstallRequest { .. } => {
                Kind::CodeUpdateRequest
            }
            Self::CodeUpdateAnswer { .. } => Kind::CodeUpdateAnswer,
        }
    }

    /// The JSON it travels as.
    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a payload is JSON")
    }

    /// The payload of a message of `kind`: refused when it is not JSON of that kind.
    pub fn from_bytes(kind: Kind, bytes: &[u8]) -> Result<Self> {
        let payload: Self = serde_json::from_slice(bytes)
            .map_err(|e| RelayError::Payload(format!("not a relay payload: {e}")))?;
        if payload.kind() != kind {
            return Err(RelayError::Payload(format!(
                "a {kind:?} message carries a {:?} payload",
                payload.kind()
            )));
        }
        Ok(payload)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_reads_back_only_as_its_own_kind() {
        let payload = Payload::CodeUpdateAnswer {
            request: B256::repeat_byte(1),
            approved: true,
        };
        let bytes = payload.to_bytes();
        let read = Payload::from_bytes(Kind::CodeUpdateAnswer, &bytes).unwrap();
        assert_eq!(read.to_bytes(), bytes);
        let wrong = Payload::from_bytes(Kind::BootAnswer, &bytes).unwrap_err();
        assert!(
            wrong.to_string().contains("carries a CodeUpdateAnswer"),
            "{wrong}"
        );
        assert!(Payload::from_bytes(Kind::BootAnswer, b"{").is_err());
    }

    #[test]
    fn a_tool_install_request_travels_as_a_code_update_request_with_its_manifest_whole() {
        let tool: ToolManifest = serde_json::from_value(serde_json::json!({
            "name": "bcftools query", "version": "1.16",
            "executable": {"path": "/usr/bin/bcftools", "sha256": B256::repeat_byte(2)},
            "files": [], "arguments": ["query", "{genome}"], "outputs": ["stdout"],
            "limits": {"cpuSeconds": 30, "memoryBytes": 1 << 29, "outputBytes": 1 << 20, "wallSeconds": 60}
        }))
        .unwrap();
        let payload = Payload::ToolInstallRequest {
            vault_id: U256::from(1),
            tool: Box::new(tool.clone()),
            note: "for the BRCA study".into(),
        };
        assert_eq!(payload.kind(), Kind::CodeUpdateRequest);
        let read = Payload::from_bytes(Kind::CodeUpdateRequest, &payload.to_bytes()).unwrap();
        let Payload::ToolInstallRequest { tool: read, .. } = read else {
            panic!("read back as another payload")
        };
        assert_eq!(read.id(), tool.id());
        assert!(Payload::from_bytes(Kind::BootRequest, &payload.to_bytes()).is_err());
        // A manifest with a field it does not know is not a manifest.
        let mut altered: serde_json::Value = serde_json::from_slice(&payload.to_bytes()).unwrap();
        altered["toolInstallRequest"]["tool"]["network"] = true.into();
        let altered = serde_json::to_vec(&altered).unwrap();
        assert!(Payload::from_bytes(Kind::CodeUpdateRequest, &altered).is_err());
    }
}
