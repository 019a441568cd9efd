//! The refusal every DNA Vault API answers with, and every client reads: what was refused and why, in words
//! the person can act on, and the name of the check that failed, for programs.

use serde::{Deserialize, Serialize};

/// A refusal, as JSON: `{"error": "...", "check": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// What was refused and why.
    pub error: String,
    /// A short name for the check that failed (`no-grant`, `revoked`, `signature`, `internal`, ...).
    pub check: String,
}

impl Refusal {
    /// Reads a refusal from a response body; `None` when the body is not one.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        serde_json::from_slice(body).ok()
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (check: {})", self.error, self.check)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reads_back_from_its_json_and_nothing_else_does() {
        let refusal = Refusal {
            error: "no grant".into(),
            check: "no-grant".into(),
        };
        let body = serde_json::to_vec(&refusal).unwrap();
        assert_eq!(
            std::str::from_utf8(&body).unwrap(),
            r#"{"error":"no grant","check":"no-grant"}"#
        );
        assert_eq!(Refusal::from_body(&body), Some(refusal));
        assert_eq!(Refusal::from_body(b"<html>502</html>"), None);
        assert_eq!(Refusal::from_body(br#"{"error":"x"}"#), None);
    }
}
