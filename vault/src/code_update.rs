//! Asking the owner to approve new code through the relay, a launch measurement or an analysis tool: the
//! running vault (its key bound on-chain, which gives it standing at the relay) posts a code update request,
//! signed by its attested key and sealed to the owner's inbox, then waits for the registry to show the code
//! approved or for the owner's signed "no".
//!
//! What decides is the chain: an answer saying "approved" only means the owner's approval is on its way, and
//! the new code boots (or the tool runs) only where the registry lists it (the wallet and the vault check
//! at boot, the vault before every tool run). The request carries the operator's note as the operator's
//! words; the owner's wallet says so.

use std::time::Duration;

use alloy::primitives::{B256, Bytes, U256};
use dnavault_protocol::tool::ToolManifest;
use dnavault_relay::{Payload, RelayClient, RelayError, Seen};

use crate::VaultService;

/// The longest note an operator may attach to a code update request.
pub const MAX_NOTE_CHARS: usize = 500;

/// How often the vault looks at the chain and its inbox while it waits.
const POLL: Duration = Duration::from_millis(500);

/// The code the owner is asked to approve.
#[derive(Debug, Clone)]
pub enum Change {
    /// A new SNP launch measurement (48 bytes).
    Measurement(Vec<u8>),
    /// An analysis tool, by its manifest.
    Tool(Box<ToolManifest>),
}

/// A change checked: the measurement's length, the tool's manifest and files.
enum Checked {
    Measurement(Bytes),
    Tool(Box<ToolManifest>),
}

impl Checked {
    fn payload(&self, vault_id: U256, note: &str) -> Payload {
        let note = note.to_owned();
        match self {
            Self::Measurement(measurement) => Payload::CodeUpdateRequest {
                vault_id,
                measurement: measurement.clone(),
                note,
            },
            Self::Tool(tool) => Payload::ToolInstallRequest {
                vault_id,
                tool: tool.clone(),
                note,
            },
        }
    }

    fn named(&self) -> String {
        match self {
            Self::Measurement(measurement) => format!("code {measurement}"),
            Self::Tool(tool) => format!("tool {} {} ({})", tool.name, tool.version, tool.id()),
        }
    }
}

/// What came of a code update request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The registry lists the measurement as approved for this vault.
    Approved,
    /// The owner's wallet answered no.
    Declined,
    /// Neither within the wait.
    NoAnswer,
}

/// Why a code update request could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CodeUpdateError {
    /// The request is malformed.
    #[error("{0}")]
    Input(String),
    /// The vault has no relay configured, or is sealed.
    #[error("{0}")]
    Unavailable(String),
    /// The relay refused or could not be reached.
    #[error("the relay: {0}")]
    Relay(#[from] RelayError),
    /// The chain could not be read.
    #[error("the chain: {0}")]
    Chain(String),
}

/// Asks the owner to approve `change` (the operator's `note` beside it) and waits up to `wait`; `asked` is
/// told the request's nonce once it is posted.
pub async fn propose(
    service: &VaultService,
    change: Change,
    note: &str,
    wait: Duration,
    asked: impl FnOnce(B256),
) -> Result<Outcome, CodeUpdateError> {
    let change = match change {
        Change::Measurement(measurement) => {
            Checked::Measurement(checked_measurement(&measurement)?)
        }
        Change::Tool(tool) => Checked::Tool(checked_tool(tool).await?),
    };
    check_note(note)?;
    let relay = service.relay().ok_or_else(|| {
        CodeUpdateError::Unavailable(
            "this vault has no relay to reach its owner through: start it with --relay URL".into(),
        )
    })?;
    let vault = U256::from(service.identity().vault_id);
    let owner = service
        .owner_now()
        .await
        .map_err(|e| CodeUpdateError::Chain(e.to_string()))?;
    if approved_on_chain(service, vault, &change).await? {
        return Err(CodeUpdateError::Input(format!(
            "that {} is approved for vault {vault} already: there is nothing to ask",
            change.named()
        )));
    }
    let owner_inbox = relay.inbox_of(owner).await?;
    let now = dnavault_protocol::clock::unix_now().unwrap_or(0);
    let payload = change.payload(vault, note);
    let (wait, ttl) = wait_and_lifetime(wait);
    let (inbox, envelope) = service
        .with_unsealed(|unsealed| {
            let keys = unsealed.relay_keys().ok_or_else(|| {
                CodeUpdateError::Unavailable("the vault holds no relay key".into())
            })?;
            Ok::<_, CodeUpdateError>((
                keys.inbox(now)?,
                keys.seal(&owner_inbox, &payload, now, ttl)?,
            ))
        })
        .await
        .map_err(|_| CodeUpdateError::Unavailable("the vault is sealed: boot it first".into()))??;
    relay.register(&inbox).await?;
    relay.send(&envelope, None).await?;
    let nonce = envelope.message.nonce;
    asked(nonce);
    tracing::info!(%nonce, change = %change.named(), "code update request posted to the owner's inbox");
    let deadline = tokio::time::Instant::now() + wait;
    let mut seen = Seen::default();
    loop {
        if approved_on_chain(service, vault, &change).await? {
            return Ok(Outcome::Approved);
        }
        if declined(service, &relay, &inbox, nonce, owner, &mut seen).await {
            return Ok(Outcome::Declined);
        }
        if tokio::time::Instant::now() >= deadline {
            return Ok(Outcome::NoAnswer);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// How long to wait, and how long the request lives in the relay: no longer than the relay keeps a
/// message (waiting past that is waiting for an answer that cannot come), no shorter than it takes one.
fn wait_and_lifetime(wait: Duration) -> (Duration, u64) {
    let ttl = wait
        .as_secs()
        .clamp(dnavault_relay::MIN_TTL_SECS, dnavault_relay::MAX_TTL_SECS);
    (wait.min(Duration::from_secs(ttl)), ttl)
}

fn checked_measurement(measurement: &[u8]) -> Result<Bytes, CodeUpdateError> {
    if measurement.len() != 48 {
        return Err(CodeUpdateError::Input(format!(
            "a launch measurement is 48 bytes (96 hex digits), not {}",
            measurement.len()
        )));
    }
    Ok(Bytes::copy_from_slice(measurement))
}

/// A tool is proposed only when its manifest is well formed and this vault's copy of every file it pins
/// matches: the owner is not asked for a tool that would be refused as altered at its first run.
async fn checked_tool(tool: Box<ToolManifest>) -> Result<Box<ToolManifest>, CodeUpdateError> {
    tool.check()
        .map_err(|e| CodeUpdateError::Input(format!("the tool's manifest: {e}")))?;
    let pinned = |file: &dnavault_protocol::tool::File| {
        (std::path::PathBuf::from(&file.path), file.sha256.0)
    };
    let executable = pinned(&tool.executable);
    let files: Vec<_> = tool.files.iter().map(pinned).collect();
    tokio::task::spawn_blocking(move || {
        dnavault_sandbox::Tool::verified(executable, files, Vec::<String>::new())
    })
    .await
    .map_err(|e| CodeUpdateError::Unavailable(format!("checking the tool's files: {e}")))?
    .map_err(|e| {
        CodeUpdateError::Input(format!(
            "this vault's copy of the tool does not match its manifest ({e}): the owner is not asked"
        ))
    })?;
    Ok(tool)
}

fn check_note(note: &str) -> Result<(), CodeUpdateError> {
    if note.trim().is_empty() || note.chars().count() > MAX_NOTE_CHARS {
        return Err(CodeUpdateError::Input(format!(
            "say what the update is in 1 to {MAX_NOTE_CHARS} characters"
        )));
    }
    if note.chars().any(char::is_control) {
        return Err(CodeUpdateError::Input(
            "the note may not hold control characters".into(),
        ));
    }
    Ok(())
}

async fn approved_on_chain(
    service: &VaultService,
    vault: U256,
    change: &Checked,
) -> Result<bool, CodeUpdateError> {
    let registry = service.registry();
    let approved = match change {
        Checked::Measurement(measurement) => {
            registry
                .isMeasurementApproved(vault, measurement.clone())
                .call()
                .await
        }
        Checked::Tool(tool) => registry.isToolApproved(vault, tool.id()).call().await,
    };
    approved.map_err(|e| CodeUpdateError::Chain(e.to_string()))
}

/// True once the owner's signed answer to request `nonce` says no. Other messages are left alone; one that
/// does not open is reported and skipped.
async fn declined(
    service: &VaultService,
    relay: &RelayClient,
    inbox: &dnavault_relay::SignedRegistration,
    nonce: B256,
    owner: alloy::primitives::Address,
    seen: &mut Seen,
) -> bool {
    let now = dnavault_protocol::clock::unix_now().unwrap_or(0);
    let read = service
        .with_unsealed(|unsealed| {
            unsealed
                .relay_keys()
                .map(|keys| keys.read(inbox.topic(), now))
        })
        .await;
    let Ok(Some(Ok(read))) = read else {
        return false;
    };
    let Ok(waiting) = relay.waiting(&read).await else {
        return false;
    };
    for envelope in waiting {
        if envelope.message.sender != owner {
            continue;
        }
        let opened = service
            .with_unsealed(|unsealed| {
                unsealed
                    .relay_keys()
                    .map(|keys| keys.open(&envelope, inbox, seen, now))
            })
            .await;
        let Ok(Some(Ok((payload, ack)))) = opened else {
            continue;
        };
        if let Payload::CodeUpdateAnswer { request, approved } = payload
            && request == nonce
        {
            let _ = relay.ack(&ack).await;
            if !approved {
                return true;
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_names_one_measurement_and_says_what_it_is_in_plain_text() {
        assert!(checked_measurement(&[7; 48]).is_ok());
        for wrong in [&[7u8; 47][..], &[7; 49], &[]] {
            let error = checked_measurement(wrong).unwrap_err().to_string();
            assert!(error.contains("48 bytes"), "{error}");
        }
        assert!(check_note("v2: faster allele counts").is_ok());
        // Any wait the control socket is given is one the vault can count to.
        let week = dnavault_relay::MAX_TTL_SECS;
        assert_eq!(
            wait_and_lifetime(Duration::from_secs(u64::MAX)),
            (Duration::from_secs(week), week)
        );
        assert_eq!(
            wait_and_lifetime(Duration::from_secs(5)),
            (Duration::from_secs(5), dnavault_relay::MIN_TTL_SECS)
        );
        let long = "x".repeat(MAX_NOTE_CHARS + 1);
        for bad in ["", "   ", long.as_str(), "approve\u{1b}[2J this"] {
            assert!(check_note(bad).is_err(), "{bad:?} was taken");
        }
    }
}
