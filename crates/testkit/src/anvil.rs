//! Finding the pinned anvil binary.

use std::path::{Path, PathBuf};

use crate::{Result, TestkitError};

/// Environment variable that points the harness at another anvil binary.
pub const ANVIL_ENV: &str = "DNAVAULT_ANVIL";

/// The anvil binary: `$DNAVAULT_ANVIL`, else the one `npm ci` installs in the workspace's node_modules.
pub fn anvil_binary() -> Result<PathBuf> {
    let path = std::env::var_os(ANVIL_ENV)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
        });
    if path.is_file() {
        Ok(path)
    } else {
        Err(TestkitError::AnvilMissing {
            path,
            env: ANVIL_ENV,
        })
    }
}
