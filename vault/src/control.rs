//! The local control socket, `control.sock` in the vault's data directory (owner-only permissions):
//! `dnavault-vault seal` asks the running vault to wipe its keys and stop.

use std::{os::unix::fs::PermissionsExt, path::Path};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{UnixListener, UnixStream},
};

use crate::{code_update::Change, service::VaultService};

/// The socket's file name in the data directory.
pub const SOCKET: &str = "control.sock";

/// Listens on `path` and answers `seal` (wipe and stop) and `status` (the status as JSON), one per line.
pub fn listen(path: &Path, service: VaultService) -> std::io::Result<()> {
    // A socket left by a vault that was killed: nothing listens on it any more.
    if path.exists() && std::os::unix::net::UnixStream::connect(path).is_err() {
        std::fs::remove_file(path)?;
    }
    let listener = UnixListener::bind(path)?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let service = service.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut lines = BufReader::new(read).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    let answer = match line.trim() {
                        "seal" => {
                            service.seal().await;
                            "sealed".to_owned()
                        }
                        "status" => serde_json::to_string(&service.status())
                            .unwrap_or_else(|e| format!("error: {e}")),
                        other => match other.strip_prefix("propose-update ") {
                            Some(proposal) => propose_update(&service, proposal, &mut write).await,
                            None => format!(
                                "error: unknown command `{other}` (seal, status, propose-update)"
                            ),
                        },
                    };
                    if write
                        .write_all(format!("{answer}\n").as_bytes())
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    Ok(())
}

/// A code update to ask the owner for (`propose-update {JSON}` on the socket).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Proposal {
    /// The code proposed.
    pub change: Proposed,
    /// What the update is, in the operator's words.
    pub note: String,
    /// How long to wait for the owner, in seconds.
    pub wait_secs: u64,
}

/// The code a [`Proposal`] asks for.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub enum Proposed {
    /// A new launch measurement, in hex.
    Measurement(String),
    /// An analysis tool's manifest.
    Tool(Box<dnavault_protocol::tool::ToolManifest>),
}

/// Asks the owner for the code update `proposal` describes: writes `asked NONCE` once the request is
/// posted; the answer line is the outcome.
async fn propose_update(
    service: &VaultService,
    proposal: &str,
    write: &mut tokio::net::unix::OwnedWriteHalf,
) -> String {
    let proposal: Proposal = match serde_json::from_str(proposal) {
        Ok(proposal) => proposal,
        Err(e) => return format!("error: not a code update proposal: {e}"),
    };
    let change = match proposal.change {
        Proposed::Measurement(hex) => match hex::decode(hex.trim_start_matches("0x")) {
            Ok(measurement) => Change::Measurement(measurement),
            Err(_) => return "error: the measurement is not hex".into(),
        },
        Proposed::Tool(tool) => Change::Tool(tool),
    };
    let (posted, mut nonce) = tokio::sync::oneshot::channel();
    let proposing = crate::code_update::propose(
        service,
        change,
        &proposal.note,
        std::time::Duration::from_secs(proposal.wait_secs),
        move |nonce| {
            let _ = posted.send(nonce);
        },
    );
    tokio::pin!(proposing);
    // The nonce is written as soon as it is known, while the vault waits for the owner.
    let mut waiting_for_nonce = true;
    let outcome = loop {
        tokio::select! {
            outcome = &mut proposing => break outcome,
            asked = &mut nonce, if waiting_for_nonce => {
                waiting_for_nonce = false;
                if let Ok(asked) = asked {
                    let _ = write.write_all(format!("asked {asked}\n").as_bytes()).await;
                }
            }
        }
    };
    match outcome {
        Ok(crate::code_update::Outcome::Approved) => "approved".into(),
        Ok(crate::code_update::Outcome::Declined) => "declined".into(),
        Ok(crate::code_update::Outcome::NoAnswer) => "no answer".into(),
        Err(error) => format!("error: {error}"),
    }
}

/// Sends `command` to the vault listening on `path` and returns its one-line answer.
pub async fn send(path: &Path, command: &str) -> std::io::Result<String> {
    let stream = UnixStream::connect(path).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{command}\n").as_bytes()).await?;
    let mut answer = String::new();
    BufReader::new(read).read_line(&mut answer).await?;
    Ok(answer.trim_end().to_owned())
}

/// Sends a `propose-update` for `proposal` to the vault listening on `path`: `asked` is told the request's
/// nonce when the vault has posted it; returns the outcome line (`approved`, `declined`, `no answer`, or
/// `error: ...`).
pub async fn propose_update_via(
    path: &Path,
    proposal: &Proposal,
    asked: impl FnOnce(&str),
) -> std::io::Result<String> {
    let stream = UnixStream::connect(path).await?;
    let (read, mut write) = stream.into_split();
    let line = serde_json::to_string(proposal).map_err(std::io::Error::other)?;
    write
        .write_all(format!("propose-update {line}\n").as_bytes())
        .await?;
    let mut lines = BufReader::new(read).lines();
    let mut asked = Some(asked);
    while let Some(line) = lines.next_line().await? {
        match line.strip_prefix("asked ") {
            Some(nonce) => {
                if let Some(asked) = asked.take() {
                    asked(nonce);
                }
            }
            None => return Ok(line),
        }
    }
    Err(std::io::Error::other("the vault closed the control socket"))
}
