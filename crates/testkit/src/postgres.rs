//! A throwaway PostgreSQL server: `initdb` into a temporary directory, listening only on a Unix socket there,
//! stopped and removed on drop. Uses the Debian `postgresql` package's binaries (`/usr/lib/postgresql/N/bin`,
//! or `$DNAVAULT_PG_BIN`); as root, the server runs as the `postgres` user, since PostgreSQL refuses root.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
};

use crate::{Result, TestkitError};

/// Overrides where the PostgreSQL binaries are.
pub const PG_BIN_ENV: &str = "DNAVAULT_PG_BIN";

/// A running throwaway PostgreSQL server.
pub struct TestPostgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    as_postgres: bool,
}

impl TestPostgres {
    /// Creates a cluster and starts it (about a second).
    pub fn start() -> Result<Self> {
        let bin = pg_bin()?;
        let dir = tempfile::Builder::new()
            .prefix("dnavault-pg")
            .tempdir()
            .map_err(|e| TestkitError::Postgres(format!("temporary directory: {e}")))?;
        let as_postgres = is_root();
        if as_postgres {
            // The server runs as `postgres`: it must own its directory.
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
                .map_err(|e| TestkitError::Postgres(e.to_string()))?;
        }
        let server = Self {
            dir,
            bin,
            as_postgres,
        };
        let data = server.data_dir();
        server.run(
            "initdb",
            &[
                "-D",
                path(&data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
            ],
        )?;
        server.start_server()?;
        Ok(server)
    }

    /// Stops the server (fast shutdown: connections are cut), as an outage would; [`Self::restart`]
    /// brings it back with its data.
    pub fn stop(&self) -> Result<()> {
        let data = self.data_dir();
        self.run("pg_ctl", &["-D", path(&data), "-m", "fast", "-w", "stop"])
    }

    /// Starts the stopped server again, at the same socket, with its data.
    pub fn restart(&self) -> Result<()> {
        self.start_server()
    }

    fn start_server(&self) -> Result<()> {
        let data = self.data_dir();
        let options = format!("-k {} -h '' -F", self.socket_dir().display());
        let log = self.socket_dir().join("server.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                path(&data),
                "-o",
                &options,
                "-l",
                path(&log),
                "-w",
                "start",
            ],
        )
    }

    /// Creates a database and returns its URL.
    pub fn database(&self, name: &str) -> Result<String> {
        self.run(
            "createdb",
            &["-h", path(&self.socket_dir()), "-U", "postgres", name],
        )?;
        Ok(format!(
            "postgres://postgres@localhost/{name}?host={}",
            self.socket_dir().display()
        ))
    }

    fn socket_dir(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, tool: &str, args: &[&str]) -> Result<()> {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program);
            command
        } else {
            Command::new(&program)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .output()
            .map_err(|e| TestkitError::Postgres(format!("{}: {e}", program.display())))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(TestkitError::Postgres(format!(
                "{tool} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )))
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.run("pg_ctl", &["-D", path(&data), "-m", "immediate", "stop"]);
    }
}

fn path(path: &Path) -> &str {
    path.to_str().unwrap_or_default()
}

fn is_root() -> bool {
    // The effective uid of this process: /proc/self is owned by it.
    std::fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

/// `$DNAVAULT_PG_BIN`, else the newest `/usr/lib/postgresql/N/bin` with `initdb`.
fn pg_bin() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os(PG_BIN_ENV) {
        return Ok(dir.into());
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin).ok_or_else(|| {
        TestkitError::Postgres(format!(
            "no PostgreSQL server binaries in /usr/lib/postgresql: `apt-get install postgresql` (script/test \
             does), or set {PG_BIN_ENV}"
        ))
    })
}
