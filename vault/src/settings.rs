//! How a vault is configured: every setting has one name, the same in each place it can come from. Each
//! source overrides the ones before it: the defaults here, a TOML file (`--config FILE` or
//! `DNAVAULT_CONFIG`; `vault.example.toml` in the repository lists every key), `DNAVAULT_*` environment
//! variables (`DNAVAULT_RPC_URL` for `rpc_url`), then `dnavault-vault serve` flags (`--rpc-url`).
//!
//! What the host supplies here is not trusted for consent: the chain view (chain id, registry, RPC endpoints
//! and how each is authenticated, quorum, confirmations, poll interval, age limits) is bound into the
//! attestation report and into what the owner approves at boot, and every grant is read from the chain.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy::primitives::Address;
use dnavault_protocol::chain_view::{ChainView, RpcEndpoint};
use figment::{
    Figment,
    providers::{Env, Format, Serialized, Toml},
};
use serde::{Deserialize, Serialize};

use crate::anchor::AnchorConfig;

/// Where attestation evidence comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[derive(clap::ValueEnum)]
pub enum Platform {
    /// AMD SEV-SNP hardware, through /dev/sev-guest.
    SevGuest,
    /// The simulated platform: a test-only AMD-like chain. Nothing protects the vault's memory.
    Simulated,
}

/// A vault's settings.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The data directory (created owner-only): the encrypted store and the control socket.
    pub data_dir: PathBuf,
    /// The chain's JSON-RPC endpoints: one, or a list (`https://HOST/PATH`, `#pin-sha256=HEX` to pin a key;
    /// plain `http://` only to loopback).
    pub rpc_url: Endpoints,
    /// How many endpoints must give the same answer (default: a majority).
    pub rpc_quorum: Option<u8>,
    /// The chain id the vault belongs to (the RPC endpoint must serve it).
    pub chain_id: u64,
    /// The VaultRegistry's address.
    pub registry: Address,
    /// The vault's id in the registry.
    pub vault_id: u64,
    /// Where to serve HTTPS.
    pub listen: SocketAddr,
    /// Names for the TLS certificate (clients pin the attested key, not the name).
    pub tls_names: Vec<String>,
    /// The attestation platform.
    pub platform: Platform,
    /// Simulated platform: the launch measurement the guest reports (96 hex digits).
    pub simulated_measurement: Option<String>,
    /// Hardware platform: a VCEK to use when the host supplies none.
    pub cached_vcek: Option<PathBuf>,
    /// The metadata database (`postgres://...`); default: SQLite in the data directory.
    pub database_url: Option<String>,
    /// Blocks a grant or revocation must be under before the vault acts on it.
    pub confirmations: u64,
    /// Which block those are counted from: `head`, `safe` or `finalized`.
    pub read_at: dnavault_protocol::chain_view::ReadAt,
    /// Seconds without a successful read of the chain after which every query is refused.
    pub consent_max_staleness: u64,
    /// Seconds the newest block may be old, by the vault's clock, before every query is refused.
    pub max_head_age: u64,
    /// Milliseconds between reads of the registry's grant events.
    pub consent_poll_ms: u64,
    /// Seconds a receipt waits at most before its hash is anchored on-chain.
    pub anchor_interval: u64,
    /// Receipts per anchoring transaction (one goes as soon as this many wait).
    pub anchor_batch: u32,
    /// Seconds a request other than an upload or a query may take before it is answered 408 (uploads
    /// and queries have their own body deadline and are not cut off between their recording steps).
    pub request_timeout: u64,
    /// The relay (the website's URL) to ask the owner through while sealed; none: the owner's wallet
    /// boots the vault over `/v1/boot`.
    #[serde(default)]
    pub relay: Option<String>,
}

/// One RPC endpoint or several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Endpoints {
    /// One endpoint.
    One(String),
    /// Several, read with a quorum.
    Many(Vec<String>),
}

impl Endpoints {
    /// Each endpoint as given.
    pub fn each(&self) -> &[String] {
        match self {
            Self::One(one) => std::slice::from_ref(one),
            Self::Many(many) => many,
        }
    }
}

/// Why the settings could not be read.
#[derive(Debug, thiserror::Error)]
#[error(
    "the vault's settings: {0} (each setting is a key in the TOML file, a DNAVAULT_<KEY> variable or a \
     --<key> flag; vault.example.toml lists them)"
)]
pub struct SettingsError(String);

/// Every key, as the TOML file and `DNAVAULT_*` variables name it.
const KEYS: [&str; 22] = [
    "data_dir",
    "rpc_url",
    "rpc_quorum",
    "chain_id",
    "registry",
    "vault_id",
    "listen",
    "tls_names",
    "platform",
    "simulated_measurement",
    "cached_vcek",
    "database_url",
    "confirmations",
    "read_at",
    "consent_max_staleness",
    "max_head_age",
    "consent_poll_ms",
    "anchor_interval",
    "anchor_batch",
    "request_timeout",
    "relay",
    // The data directory's older variable name, `DNAVAULT_VAULT_DIR`, which the control commands share.
    "vault_dir",
];

/// The settings with a default; the others (data directory, chain, registry, vault, platform) have none.
#[derive(Serialize)]
struct Defaults {
    listen: SocketAddr,
    tls_names: Vec<String>,
    confirmations: u64,
    read_at: dnavault_protocol::chain_view::ReadAt,
    consent_max_staleness: u64,
    max_head_age: u64,
    consent_poll_ms: u64,
    anchor_interval: u64,
    anchor_batch: u32,
    request_timeout: u64,
}

impl Default for Defaults {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8443)),
            tls_names: vec!["localhost".into()],
            confirmations: 0,
            read_at: dnavault_protocol::chain_view::ReadAt::Head,
            consent_max_staleness: 10,
            max_head_age: 60,
            consent_poll_ms: 250,
            anchor_interval: 60,
            anchor_batch: 64,
            request_timeout: 60,
        }
    }
}

impl Settings {
    /// The defaults, then the TOML file `config` (which must exist when named), then `DNAVAULT_*`
    /// variables, then `overrides` (a serializable set of the keys given as flags; absent keys are skipped).
    pub fn load(
        config: Option<&std::path::Path>,
        overrides: &impl Serialize,
    ) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Defaults::default()));
        if let Some(path) = config {
            if !path.is_file() {
                return Err(SettingsError(format!(
                    "the config file {} does not exist",
                    path.display()
                )));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let settings: Self = figment
            .merge(
                Env::prefixed("DNAVAULT_")
                    .only(&KEYS)
                    // Keys compare without case here (`VAULT_DIR`); they are lowercased after.
                    .map(|key| match key == "vault_dir" {
                        true => "data_dir".into(),
                        false => key.into(),
                    }),
            )
            .merge(Serialized::defaults(overrides))
            .extract()
            .map_err(|error| SettingsError(error.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    /// Refuses combinations that cannot run.
    fn check(&self) -> Result<(), SettingsError> {
        if self.platform == Platform::Simulated && self.simulated_measurement.is_none() {
            return Err(SettingsError(
                "the simulated platform needs simulated_measurement (96 hex digits)".into(),
            ));
        }
        if self.request_timeout == 0 {
            return Err(SettingsError("request_timeout must be more than 0".into()));
        }
        self.chain_view().map(drop)
    }

    /// The chain view these settings give: what the vault's report binds and its owner approves.
    pub fn chain_view(&self) -> Result<ChainView, SettingsError> {
        let endpoints = self
            .rpc_url
            .each()
            .iter()
            .map(|endpoint| endpoint.parse::<RpcEndpoint>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| SettingsError(format!("rpc_url: {error}")))?;
        let majority = u8::try_from(endpoints.len() / 2 + 1).unwrap_or(u8::MAX);
        let view = ChainView {
            chain_id: self.chain_id,
            registry: self.registry,
            quorum: self.rpc_quorum.unwrap_or(majority),
            endpoints,
            confirmations: self.confirmations,
            read_at: self.read_at,
            poll_interval_ms: self.consent_poll_ms,
            max_sync_age_secs: self.consent_max_staleness,
            max_head_age_secs: self.max_head_age,
        };
        view.check()
            .map_err(|error| SettingsError(error.to_string()))?;
        Ok(view)
    }

    /// The consent cache's settings for this vault, from its chain view.
    pub fn consent(&self, view: &ChainView) -> dnavault_consent::ConsentConfig {
        dnavault_consent::ConsentConfig {
            confirmations: view.confirmations,
            read_at: view.read_at,
            max_staleness: Duration::from_secs(view.max_sync_age_secs),
            max_head_age: Duration::from_secs(view.max_head_age_secs),
            poll_interval: Duration::from_millis(view.poll_interval_ms),
            ..dnavault_consent::ConsentConfig::for_vault(self.vault_id)
        }
    }

    /// The receipt anchoring task's settings.
    pub fn anchoring(&self) -> AnchorConfig {
        AnchorConfig {
            interval: Duration::from_secs(self.anchor_interval),
            batch_size: self.anchor_batch.max(1),
        }
    }
}

/// The database URL can carry a password: it is shown only as set or not.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("data_dir", &self.data_dir)
            .field("chain_id", &self.chain_id)
            .field("registry", &self.registry)
            .field("vault_id", &self.vault_id)
            .field("listen", &self.listen)
            .field("platform", &self.platform)
            .field("database_url", &self.database_url.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
// figment's Jail, which isolates each test's environment and files, takes closures returning its own
// (large) error type.
#[allow(clippy::result_large_err)]
pub(crate) mod tests {
    use super::*;

    use std::collections::BTreeMap;

    use figment::value::Value;

    const REGISTRY: &str = "0x5FbDB2315678afecb367f032d93F642f64180aa3";

    /// Flags as the command line gives them: only the keys present. (Not serde_json values: with its
    /// `arbitrary_precision` feature, which the workspace's build turns on, numbers serialize as maps.)
    pub(crate) fn flags(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect()
    }

    /// The example config in the repository is complete and loads as it is.
    #[test]
    fn the_example_config_loads_and_names_every_key() {
        let example = concat!(env!("CARGO_MANIFEST_DIR"), "/vault.example.toml");
        figment::Jail::expect_with(|_| {
            let settings = Settings::load(Some(example.as_ref()), &flags(&[])).unwrap();
            assert_eq!(settings.chain_id, 31337);
            assert_eq!(settings.platform, Platform::SevGuest);
            Ok(())
        });
        let text = std::fs::read_to_string(example).unwrap();
        for key in KEYS.iter().filter(|key| **key != "vault_dir") {
            assert!(
                text.contains(&format!("\n{key} =")) || text.contains(&format!("\n# {key} =")),
                "vault.example.toml does not list {key}"
            );
        }
    }

    #[test]
    fn each_source_overrides_the_one_before() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "vault.toml",
                &format!(
                    "data_dir = \"/from/file\"\nrpc_url = \"https://file.example/\"\nchain_id = 1\n\
                     registry = \"{REGISTRY}\"\nvault_id = 1\nplatform = \"sev-guest\"\n\
                     consent_poll_ms = 500\nanchor_batch = 8\n"
                ),
            )?;
            let file = Some(std::path::Path::new("vault.toml"));
            let settings = Settings::load(file, &flags(&[])).unwrap();
            assert_eq!(
                (
                    settings.consent_poll_ms,
                    settings.anchor_batch,
                    settings.anchor_interval
                ),
                (500, 8, 60),
                "file over defaults"
            );
            jail.set_env("DNAVAULT_CONSENT_POLL_MS", "300");
            jail.set_env("DNAVAULT_VAULT_DIR", "/from/env");
            // Another program's variable with the same prefix is not the vault's.
            jail.set_env("DNAVAULT_PASSWORD", "not a vault setting");
            let settings = Settings::load(file, &flags(&[])).unwrap();
            assert_eq!(settings.consent_poll_ms, 300, "environment over file");
            assert_eq!(settings.data_dir, std::path::Path::new("/from/env"));
            let settings =
                Settings::load(file, &flags(&[("consent_poll_ms", 100.into())])).unwrap();
            assert_eq!(settings.consent_poll_ms, 100, "flags over environment");
            Ok(())
        });
    }

    #[test]
    fn missing_unknown_and_impossible_settings_are_refused_by_name() {
        figment::Jail::expect_with(|jail| {
            let error = Settings::load(None, &flags(&[])).unwrap_err().to_string();
            assert!(
                error.contains("missing field") && error.contains("DNAVAULT_"),
                "{error}"
            );

            jail.create_file("typo.toml", "rpc_urll = \"http://x\"\n")?;
            let error = Settings::load(Some("typo.toml".as_ref()), &flags(&[]))
                .unwrap_err()
                .to_string();
            assert!(error.contains("rpc_urll"), "{error}");

            let error = Settings::load(Some("absent.toml".as_ref()), &flags(&[]))
                .unwrap_err()
                .to_string();
            assert!(error.contains("absent.toml does not exist"), "{error}");

            let simulated = flags(&[
                ("data_dir", "/d".into()),
                ("rpc_url", "http://x".into()),
                ("chain_id", 1.into()),
                ("registry", REGISTRY.into()),
                ("vault_id", 1.into()),
                ("platform", "simulated".into()),
            ]);
            let error = Settings::load(None, &simulated).unwrap_err().to_string();
            assert!(error.contains("simulated_measurement"), "{error}");
            Ok(())
        });
    }

    #[test]
    fn the_rpc_endpoints_make_the_chain_view() {
        figment::Jail::expect_with(|jail| {
            let pin = "ab".repeat(32);
            jail.create_file(
                "vault.toml",
                &format!(
                    "data_dir = \"/d\"\nchain_id = 1\nregistry = \"{REGISTRY}\"\nvault_id = 1\n\
                     platform = \"sev-guest\"\nconfirmations = 12\nmax_head_age = 30\nread_at = \"finalized\"\n\
                     rpc_url = [\"https://a.example/#pin-sha256={pin}\", \"https://b.example/\", \
                     \"https://c.example/\"]\n"
                ),
            )?;
            let file = Some(std::path::Path::new("vault.toml"));
            let view = Settings::load(file, &flags(&[]))
                .unwrap()
                .chain_view()
                .unwrap();
            assert_eq!(view.endpoints.len(), 3);
            assert_eq!(view.quorum, 2, "a majority by default");
            assert_eq!((view.confirmations, view.max_head_age_secs), (12, 30));
            assert_eq!(
                view.read_at,
                dnavault_protocol::chain_view::ReadAt::Finalized
            );
            assert!(!view.is_unverified());
            assert!(matches!(
                view.endpoints[0].trust,
                dnavault_protocol::chain_view::RpcTrust::Pinned { .. }
            ));

            let error = Settings::load(file, &flags(&[("rpc_quorum", 4.into())]))
                .unwrap_err()
                .to_string();
            assert!(error.contains("a quorum of 4 among 3"), "{error}");
            jail.set_env("DNAVAULT_RPC_URL", "http://rpc.example:8545");
            let error = Settings::load(file, &flags(&[])).unwrap_err().to_string();
            assert!(
                error.contains("rpc_url") && error.contains("only to this machine's loopback"),
                "{error}"
            );
            jail.set_env("DNAVAULT_RPC_URL", "http://127.0.0.1:8545");
            let view = Settings::load(file, &flags(&[]))
                .unwrap()
                .chain_view()
                .unwrap();
            assert!(view.is_unverified() && view.quorum == 1);
            Ok(())
        });
    }

    #[test]
    fn the_database_password_never_reaches_debug_output() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("DNAVAULT_DATABASE_URL", "postgres://vault:hunter2@db/vault");
            let example = concat!(env!("CARGO_MANIFEST_DIR"), "/vault.example.toml");
            let settings = Settings::load(Some(example.as_ref()), &flags(&[])).unwrap();
            assert!(settings.database_url.is_some());
            assert!(!format!("{settings:?}").contains("hunter2"));
            Ok(())
        });
    }
}
