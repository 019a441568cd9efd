//! The local control socket, `control.sock` in the vault's data directory (owner-only permissions):
//! `dnavault-vault seal` asks the running vault to wipe its keys and stop.

use std::{os::unix::fs::PermissionsExt, path::Path};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{UnixListener, UnixStream},
};

use crate::service::VaultService;

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
                        other => format!("error: unknown command `{other}` (seal, status)"),
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

/// Sends `command` to the vault listening on `path` and returns its one-line answer.
pub async fn send(path: &Path, command: &str) -> std::io::Result<String> {
    let stream = UnixStream::connect(path).await?;
    let (read, mut write) = stream.into_split();
    write.write_all(format!("{command}\n").as_bytes()).await?;
    let mut answer = String::new();
    BufReader::new(read).read_line(&mut answer).await?;
    Ok(answer.trim_end().to_owned())
}
