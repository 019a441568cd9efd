//! A researcher's access request, built on the website: an analysis from the shipped panels and scores (or
//! the researcher's own descriptor), a DUO purpose chosen in words, how long, and the research protocol.
//! The website only builds and explains it; it is filed on-chain by the researcher's own key, with
//! `dnavault-wallet request-access` or an EIP-1193 browser wallet.

use alloy::{
    primitives::{B256, Bytes, U256},
    sol_types::SolCall,
};
use dnavault_protocol::{
    VaultRegistry::requestAccessCall,
    descriptor::{Descriptor, PANELS, SCORES},
    duo,
    purpose::Purpose,
    query::Granularity,
};

/// One analysis the form offers: its form value and its name.
pub(crate) fn analyses() -> Vec<(String, String)> {
    let mut offered = Vec::new();
    for (i, (_, text)) in PANELS.iter().enumerate() {
        let Ok(panel) = serde_json::from_str::<dnavault_protocol::descriptor::Panel>(text) else {
            continue;
        };
        offered.push((
            format!("panel:{i}:lookup"),
            format!("Genotypes in {}", panel.name),
        ));
        offered.push((
            format!("panel:{i}:counts"),
            format!("Allele counts in {}", panel.name),
        ));
        offered.push((
            format!("panel:{i}:beacon"),
            format!("Beacon yes/no in {}", panel.name),
        ));
    }
    for (i, (_, text)) in SCORES.iter().enumerate() {
        if let Ok(Descriptor::PolygenicScore {
            pgs_id,
            trait_reported,
            ..
        }) = serde_json::from_str(text)
        {
            offered.push((
                format!("score:{i}"),
                format!("Polygenic score {pgs_id} ({trait_reported})"),
            ));
        }
    }
    offered.push((
        "own".into(),
        "My own analysis descriptor (paste it below)".into(),
    ));
    offered
}

/// The DUO terms the form offers: (number, shorthand, label), permissions then modifiers.
pub(crate) fn duo_terms(permissions: bool) -> Vec<(u16, String, String)> {
    duo::terms()
        .filter(|t| t.is_permission() == permissions && !t.shorthand.is_empty())
        .map(|t| (duo::number(t), t.shorthand.clone(), t.label.clone()))
        .collect()
}

/// An access request as the form built it, checked.
#[derive(Debug, Clone)]
pub(crate) struct Built {
    pub(crate) vault: u64,
    pub(crate) descriptor: Descriptor,
    pub(crate) purpose: Purpose,
    pub(crate) expiry: u64,
    pub(crate) days: u64,
    pub(crate) protocol_uri: String,
    pub(crate) protocol_hash: B256,
}

impl Built {
    /// The `requestAccess` calldata a browser wallet sends to the registry.
    pub(crate) fn calldata(&self) -> Bytes {
        requestAccessCall {
            vaultId: U256::from(self.vault),
            scope: self.descriptor.scope(),
            purpose: self.purpose.to_bytes16(),
            requestedExpiry: self.expiry,
            protocolHash: self.protocol_hash,
            protocolUri: self.protocol_uri.clone(),
            descriptor: serde_json::to_string(&self.descriptor).unwrap_or_default(),
        }
        .abi_encode()
        .into()
    }

    /// The purpose as `dnavault-wallet` takes it (`HMB+NCU`).
    pub(crate) fn purpose_code(&self) -> String {
        self.purpose.to_string()
    }
}

/// Builds the request the form's `fields` describe at `now`; what is wrong, in words, otherwise.
pub(crate) fn build(fields: &[(String, String)], now: u64) -> Result<Built, String> {
    let one = |name: &str| {
        fields
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim().to_owned())
            .unwrap_or_default()
    };
    let vault: u64 = one("vault")
        .parse()
        .ok()
        .filter(|v| *v > 0)
        .ok_or("the vault is its id in the registry, a whole number from 1")?;
    let descriptor = descriptor(&one("analysis"), &one("descriptor"))?;
    descriptor
        .check()
        .map_err(|e| format!("the analysis is not valid: {e}"))?;
    let permission: u16 = one("permission")
        .parse()
        .map_err(|_| "choose what the data will be used for")?;
    let disease = match one("disease").trim_start_matches("MONDO:") {
        "" => None,
        number => Some(
            number
                .parse::<u32>()
                .map_err(|_| "the disease is a MONDO id, e.g. MONDO:0007254")?,
        ),
    };
    let modifiers: Vec<u16> = fields
        .iter()
        .filter(|(key, _)| key == "modifier")
        .filter_map(|(_, value)| value.parse().ok())
        .collect();
    let purpose = Purpose::new(permission, disease, &modifiers).map_err(|e| {
        format!("the purpose: {e} (disease-specific research names its disease, and only it does)")
    })?;
    let days: u64 = one("days")
        .parse()
        .ok()
        .filter(|d| (1..=3650).contains(d))
        .ok_or("ask for 1 to 3650 days")?;
    let protocol_uri = one("protocol_uri");
    if !matches!(url::Url::parse(&protocol_uri), Ok(u) if matches!(u.scheme(), "https" | "http")) {
        return Err("the protocol's address must be an https:// (or http://) link".into());
    }
    let protocol_hash: B256 = one("protocol_hash")
        .parse()
        .map_err(|_| "the protocol's hash is its keccak256, 0x and 64 hex digits")?;
    Ok(Built {
        vault,
        descriptor,
        purpose,
        expiry: now + days * 86_400,
        days,
        protocol_uri,
        protocol_hash,
    })
}

fn descriptor(choice: &str, own: &str) -> Result<Descriptor, String> {
    let parts: Vec<&str> = choice.split(':').collect();
    let panel = |i: &str| {
        let (_, text) = i
            .parse::<usize>()
            .ok()
            .and_then(|i| PANELS.get(i))
            .ok_or("choose an analysis")?;
        serde_json::from_str(text).map_err(|e| e.to_string())
    };
    Ok(match parts.as_slice() {
        ["panel", i, "lookup"] => Descriptor::GenotypeLookup { panel: panel(i)? },
        ["panel", i, "counts"] => Descriptor::AlleleCounts { panel: panel(i)? },
        ["panel", i, "beacon"] => Descriptor::BeaconAllele {
            granularity: Granularity::Boolean,
            panel: Some(panel(i)?),
        },
        ["score", i] => {
            let (_, text) = i
                .parse::<usize>()
                .ok()
                .and_then(|i| SCORES.get(i))
                .ok_or("choose an analysis")?;
            serde_json::from_str(text).map_err(|e| e.to_string())?
        }
        ["own"] => serde_json::from_str(own)
            .map_err(|e| format!("the descriptor you pasted is not one: {e}"))?,
        _ => return Err("choose an analysis".into()),
    })
}
