//! Parsing what people type: scopes, purposes, times, measurements, addresses. Errors say which input and why.

use alloy::primitives::{Address, B256, Bytes};
use dnavault_protocol::{descriptor::Descriptor, purpose::Purpose};
use time::{OffsetDateTime, format_description::well_known::Rfc3339, macros::format_description};

use crate::{Result, WalletError};

/// What a grant, a revocation or an access request names: its scope, and the descriptor it is the hash of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analysis {
    /// The scope id.
    pub scope: B256,
    /// The descriptor it is the hash of (`None`: a scope this wallet cannot read, from a document it was
    /// handed without its descriptor).
    pub descriptor: Option<Descriptor>,
}

impl Analysis {
    /// The analysis a descriptor file describes: the wallet signs no scope it cannot put in words, so a
    /// scope is always given by its descriptor.
    pub fn from_file(path: &std::path::Path) -> Result<Self> {
        let file = |reason: String| WalletError::File {
            path: path.to_owned(),
            reason,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file(e.to_string()))?;
        Self::from_json(&text).map_err(|e| match e {
            WalletError::Input { reason, .. } => file(reason),
            other => other,
        })
    }

    /// The analysis a descriptor's JSON describes (checked as [`Self::from_file`] checks a file).
    pub fn from_json(text: &str) -> Result<Self> {
        let refuse = |reason: String| WalletError::input("the analysis descriptor", reason);
        let descriptor: Descriptor = serde_json::from_str(text)
            .map_err(|e| refuse(format!("not an analysis descriptor: {e}")))?;
        descriptor
            .check()
            .map_err(|e| refuse(format!("not a valid analysis descriptor: {e}")))?;
        Ok(Self {
            scope: descriptor.scope(),
            descriptor: Some(descriptor),
        })
    }

    /// What a bare scope in a document says: nothing readable, unless `descriptor` is the one it is the
    /// hash of (another descriptor is refused).
    pub fn of_scope(scope: B256, descriptor: Option<&Self>) -> Result<Self> {
        match descriptor {
            None => Ok(Self {
                scope,
                descriptor: None,
            }),
            Some(given) if given.scope == scope => Ok(given.clone()),
            Some(given) => Err(WalletError::input(
                "--descriptor",
                format!(
                    "the descriptor hashes to scope {}, the message names {scope}: it does not describe \
                     this message",
                    given.scope
                ),
            )),
        }
    }
}

fn hex32(hex: &str) -> Option<B256> {
    (hex.len() == 64).then(|| hex.parse().ok()).flatten()
}

/// A purpose as people type it: DUO ids or shorthands joined by `+`, a DUO permission first
/// (`HMB+NCU`, `DS/MONDO:0007254`, `DUO:0000042`).
pub fn purpose(text: &str) -> Result<Purpose> {
    Purpose::parse(text).map_err(|e| WalletError::input("--purpose", e.to_string()))
}

/// A point in time: `30d`, `12h`, `90m`, `45s` from `now`; an RFC 3339 time; a `YYYY-MM-DD` date (midnight
/// UTC); or Unix seconds.
pub fn time(what: &str, text: &str, now: u64) -> Result<u64> {
    let text = text.trim();
    let bad = |reason: &str| WalletError::input(what, format!("`{text}`: {reason}"));
    if let Some(unit) = text.chars().last().filter(|c| "smhdw".contains(*c)) {
        let amount: u64 = text[..text.len() - 1]
            .trim_start_matches('+')
            .parse()
            .map_err(|_| bad("not a duration"))?;
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => 604_800,
        };
        return amount
            .checked_mul(seconds)
            .and_then(|d| now.checked_add(d))
            .ok_or_else(|| bad("too far away"));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse().map_err(|_| bad("not a Unix time"));
    }
    let parsed = OffsetDateTime::parse(text, &Rfc3339).or_else(|_| {
        time::Date::parse(text, format_description!("[year]-[month]-[day]"))
            .map(|d| d.midnight().assume_utc())
    });
    let at = parsed.map_err(|_| bad("use 30d, 12h, an RFC 3339 time or YYYY-MM-DD"))?;
    u64::try_from(at.unix_timestamp()).map_err(|_| bad("before 1970"))
}

/// A vault's chain view from a JSON file (the `chain` of its boot request), checked.
pub fn chain_view(path: &std::path::Path) -> Result<dnavault_protocol::chain_view::ChainView> {
    checked_json(
        path,
        "a chain view",
        |view: &dnavault_protocol::chain_view::ChainView| view.check().map_err(|e| e.to_string()),
    )
}

/// An analysis tool's manifest from a JSON file, checked: what the owner reads before installing it.
pub fn tool_manifest(path: &std::path::Path) -> Result<dnavault_protocol::tool::ToolManifest> {
    checked_json(
        path,
        "a tool manifest",
        |manifest: &dnavault_protocol::tool::ToolManifest| {
            manifest.check().map_err(|e| e.to_string())
        },
    )
}

/// A `what` read from the JSON file at `path` and put through `check`; every failure names the file.
fn checked_json<T: serde::de::DeserializeOwned>(
    path: &std::path::Path,
    what: &str,
    check: impl FnOnce(&T) -> std::result::Result<(), String>,
) -> Result<T> {
    let file = |reason: String| WalletError::File {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file(e.to_string()))?;
    let value: T = serde_json::from_str(&text).map_err(|e| file(format!("not {what}: {e}")))?;
    check(&value).map_err(file)?;
    Ok(value)
}

/// A 48-byte SNP launch measurement as 96 hex digits (0x optional).
pub fn measurement(text: &str) -> Result<Bytes> {
    let hex = text.trim().trim_start_matches("0x");
    let bytes: Bytes = hex
        .parse()
        .map_err(|_| WalletError::input("--measurement", "not hexadecimal"))?;
    if bytes.len() != 48 {
        return Err(WalletError::input(
            "--measurement",
            format!("{} bytes; an SNP measurement is 48", bytes.len()),
        ));
    }
    Ok(bytes)
}

/// An Ethereum address (EIP-55 checksum checked when mixed case).
pub fn address(what: &str, text: &str) -> Result<Address> {
    let text = text.trim();
    let parsed = if text.chars().any(|c| c.is_ascii_uppercase()) {
        Address::parse_checksummed(text, None).map_err(|e| e.to_string())
    } else {
        text.parse::<Address>().map_err(|e| e.to_string())
    };
    parsed.map_err(|e| WalletError::input(what, format!("`{text}` is not an address: {e}")))
}

/// 32 bytes of hex (0x optional).
pub fn bytes32(what: &str, text: &str) -> Result<B256> {
    hex32(text.trim().trim_start_matches("0x"))
        .ok_or_else(|| WalletError::input(what, "expected 32 bytes of hex"))
}

/// A Unix time as `2026-11-24T10:00:00Z`.
pub fn format_time(unix: u64) -> String {
    dnavault_protocol::clock::format_time(unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000;

    #[test]
    fn times() {
        assert_eq!(time("--expiry", "30d", NOW).unwrap(), NOW + 30 * 86_400);
        assert_eq!(time("--expiry", "+2h", NOW).unwrap(), NOW + 7_200);
        assert_eq!(time("--expiry", "2027-01-01", NOW).unwrap(), 1_798_761_600);
        assert_eq!(
            time("--expiry", "2027-01-01T00:00:01Z", NOW).unwrap(),
            1_798_761_601
        );
        assert_eq!(time("--expiry", "1900000000", NOW).unwrap(), 1_900_000_000);
        let err = time("--expiry", "tomorrow", NOW).unwrap_err().to_string();
        assert!(err.starts_with("--expiry: `tomorrow`:"), "{err}");
        assert_eq!(format_time(1_798_761_600), "2027-01-01T00:00:00Z");
    }

    #[test]
    fn purposes_by_id_or_shorthand() {
        assert_eq!(
            purpose("DS/MONDO:0007254+NCU").unwrap().to_string(),
            "DUO:0000007/MONDO:0007254+DUO:0000046"
        );
        let error = purpose("DS+NCU").unwrap_err().to_string();
        assert!(error.contains("names its disease"), "{error}");
        assert_eq!(purpose("gru").unwrap().to_string(), "DUO:0000042");
        assert!(
            purpose("NCU")
                .unwrap_err()
                .to_string()
                .contains("must be a DUO permission")
        );
        assert!(
            purpose("XYZ")
                .unwrap_err()
                .to_string()
                .contains("is neither a DUO id")
        );
    }

    #[test]
    fn scopes_measurements_addresses() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("score.json");
        std::fs::write(&file, dnavault_protocol::descriptor::SCORES[0].1).unwrap();
        let described = Analysis::from_file(&file).unwrap();
        let descriptor = described.descriptor.clone().unwrap();
        assert_eq!(described.scope, descriptor.scope());
        // A document's bare scope is unreadable, unless it comes with the descriptor it is the hash of.
        assert_eq!(
            Analysis::of_scope(descriptor.scope(), None)
                .unwrap()
                .descriptor,
            None
        );
        assert_eq!(
            Analysis::of_scope(descriptor.scope(), Some(&described)).unwrap(),
            described
        );
        let other = alloy::primitives::keccak256("another analysis");
        let error = Analysis::of_scope(other, Some(&described))
            .unwrap_err()
            .to_string();
        assert!(error.contains("does not describe"), "{error}");
        std::fs::write(
            &file,
            r#"{"analysis": "dnavault/query/genotype-lookup/v2"}"#,
        )
        .unwrap();
        let error = Analysis::from_file(&file).unwrap_err().to_string();
        assert!(error.contains("not an analysis descriptor"), "{error}");
        assert_eq!(measurement(&"ab".repeat(48)).unwrap().len(), 48);
        assert!(
            measurement(&"ab".repeat(32))
                .unwrap_err()
                .to_string()
                .contains("32 bytes")
        );
        assert!(address("--grantee", "0x70997970C51812dc3A010C7d01b50e0d17dc79C8").is_ok());
        assert!(address("--grantee", "0x70997970c51812dc3a010c7d01b50e0d17dc79c8").is_ok());
        assert!(
            address("--grantee", "0x70997970C51812dc3A010C7d01b50e0d17dc79c8").is_err(),
            "bad checksum"
        );
    }
}
