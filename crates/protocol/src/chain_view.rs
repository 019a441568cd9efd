//! A vault's view of the chain: which chain and registry it follows, the JSON-RPC endpoints it reads them from
//! and how each is authenticated, how many must agree, how deep a block must be before it counts, and when a
//! view is too old to act on. Fixed when the vault starts, bound into its attestation report (by
//! [`ChainView::hash`]) and signed in the owner's [`crate::BootApproval`]: the host cannot change it without
//! a boot the owner approves, having read [`ChainView::words`].

use std::{fmt, str::FromStr};

use alloy::{
    primitives::{Address, B256},
    sol_types::SolStruct,
};
use serde::{Deserialize, Serialize};
use url::{Host, Url};

/// How the vault follows the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChainView {
    /// The chain id every endpoint must serve.
    pub chain_id: u64,
    /// The VaultRegistry.
    pub registry: Address,
    /// Where the chain is read.
    pub endpoints: Vec<RpcEndpoint>,
    /// How many endpoints must give the same answer for it to count.
    pub quorum: u8,
    /// Blocks an event must be under before it counts, below the block [`read_at`](Self::read_at) names.
    pub confirmations: u64,
    /// Which block the vault counts from: the head, or the chain's `safe` or `finalized` block.
    #[serde(default)]
    pub read_at: ReadAt,
    /// Milliseconds between reads.
    pub poll_interval_ms: u64,
    /// Seconds without a successful read after which every query is refused.
    pub max_sync_age_secs: u64,
    /// Seconds the newest block may be old (by the vault's clock) before every query is refused: a frozen
    /// chain view refuses.
    pub max_head_age_secs: u64,
}

/// The block a vault counts events up to (less its confirmation depth).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadAt {
    /// The newest block.
    #[default]
    Head,
    /// The block tagged `safe`: justified by the validators, unlikely to be replaced.
    Safe,
    /// The block tagged `finalized`: replacing it would cost a third of all stake.
    Finalized,
}

impl ReadAt {
    /// Its code in the view's EIP-712 encoding.
    fn code(self) -> u8 {
        match self {
            Self::Head => 0,
            Self::Safe => 1,
            Self::Finalized => 2,
        }
    }

    /// The block tag it names.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Head => "latest",
            Self::Safe => "safe",
            Self::Finalized => "finalized",
        }
    }
}

impl FromStr for ReadAt {
    type Err = ChainViewError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "head" | "latest" => Ok(Self::Head),
            "safe" => Ok(Self::Safe),
            "finalized" => Ok(Self::Finalized),
            other => Err(ChainViewError::Setting(format!(
                "read-at `{other}`: give head, safe or finalized"
            ))),
        }
    }
}

/// One JSON-RPC endpoint and what authenticates it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RpcEndpoint {
    /// Its URL, without the pin fragment.
    pub url: String,
    /// What vouches for the server.
    pub trust: RpcTrust,
}

/// What vouches for an endpoint's answers being the server's at its URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum RpcTrust {
    /// HTTPS, the certificate chaining to a root of the Mozilla set compiled into the vault.
    PublicRoots,
    /// HTTPS, the server's key one of these (SHA-256 of its SubjectPublicKeyInfo), whatever its certificate.
    Pinned {
        /// The accepted keys.
        #[serde(rename = "spkiSha256")]
        spki_sha256: Vec<B256>,
    },
    /// Plain HTTP to this machine's loopback: a development chain. Nothing authenticates it.
    LoopbackUnverified,
}

/// Why a chain view or endpoint is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainViewError {
    /// An endpoint that cannot be read as one.
    #[error(
        "RPC endpoint {endpoint:?}: {reason} (give https://HOST[/PATH], optionally with \
         #pin-sha256=HEX[,HEX] to pin the server's key, or http:// to 127.0.0.1, [::1] or localhost)"
    )]
    Endpoint {
        /// The endpoint as given.
        endpoint: String,
        /// What is wrong.
        reason: String,
    },
    /// A setting out of range.
    #[error("the chain view: {0}")]
    Setting(String),
}

/// The fragment that pins an HTTPS endpoint's key.
const PIN_FRAGMENT: &str = "pin-sha256=";

impl FromStr for RpcEndpoint {
    type Err = ChainViewError;

    /// `https://HOST/PATH` (public roots), `https://HOST/PATH#pin-sha256=HEX[,HEX]` (pinned keys) or
    /// `http://127.0.0.1:PORT/` (loopback, unverified).
    fn from_str(given: &str) -> Result<Self, Self::Err> {
        let refuse = |reason: &str| ChainViewError::Endpoint {
            endpoint: redacted(given),
            reason: reason.to_owned(),
        };
        let mut url = Url::parse(given).map_err(|e| refuse(&e.to_string()))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(refuse(
                "credentials in the URL would be bound into the attestation; use a pin",
            ));
        }
        let pins = url.fragment().map(parse_pins).transpose();
        let pins = pins.map_err(|reason| refuse(&reason))?;
        url.set_fragment(None);
        let trust = match (url.scheme(), pins) {
            ("https", None) => RpcTrust::PublicRoots,
            ("https", Some(spki_sha256)) => RpcTrust::Pinned { spki_sha256 },
            ("http", None) if is_loopback(&url) => RpcTrust::LoopbackUnverified,
            ("http", None) => {
                return Err(refuse(
                    "plain HTTP is allowed only to this machine's loopback",
                ));
            }
            ("http", Some(_)) => return Err(refuse("a pin needs https://")),
            (scheme, _) => return Err(refuse(&format!("unsupported scheme {scheme}"))),
        };
        Ok(Self {
            url: url.to_string(),
            trust,
        })
    }
}

/// `given` with any password in it replaced: errors are logged.
fn redacted(given: &str) -> String {
    match Url::parse(given) {
        Ok(mut url) if url.password().is_some() => {
            let _ = url.set_password(Some("REDACTED"));
            url.to_string()
        }
        _ => given.to_owned(),
    }
}

fn parse_pins(fragment: &str) -> Result<Vec<B256>, String> {
    let list = fragment
        .strip_prefix(PIN_FRAGMENT)
        .ok_or_else(|| format!("the fragment must be {PIN_FRAGMENT}HEX[,HEX]"))?;
    list.split(',')
        .map(|pin| {
            pin.parse::<B256>()
                .map_err(|_| format!("{pin:?} is not a SHA-256 in hex (64 digits)"))
        })
        .collect()
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    }
}

impl RpcEndpoint {
    /// True for plain HTTP: nothing authenticates what it answers.
    pub fn is_unverified(&self) -> bool {
        self.trust == RpcTrust::LoopbackUnverified
    }
}

impl fmt::Display for RpcEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.trust {
            RpcTrust::PublicRoots => write!(
                f,
                "{} (HTTPS; its certificate from a public CA in the vault's built-in root set)",
                self.url
            ),
            RpcTrust::Pinned { spki_sha256 } => {
                let pins: Vec<String> = spki_sha256.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "{} (HTTPS; its key pinned: {})",
                    self.url,
                    pins.join(", ")
                )
            }
            RpcTrust::LoopbackUnverified => write!(
                f,
                "{} (plain HTTP on the vault's own machine: UNVERIFIED, for development only)",
                self.url
            ),
        }
    }
}

impl ChainView {
    /// Refuses a view that cannot work: no endpoint, a quorum of none or of more than there are, a zero
    /// interval or limit.
    pub fn check(&self) -> Result<(), ChainViewError> {
        let count = self.endpoints.len();
        if count == 0 || count > usize::from(u8::MAX) {
            return Err(ChainViewError::Setting(format!(
                "{count} RPC endpoints: give 1 to 255"
            )));
        }
        if self.quorum == 0 || usize::from(self.quorum) > count {
            return Err(ChainViewError::Setting(format!(
                "a quorum of {} among {count} endpoints: it must be 1 to {count}",
                self.quorum
            )));
        }
        if self.poll_interval_ms == 0 || self.max_sync_age_secs == 0 || self.max_head_age_secs == 0
        {
            return Err(ChainViewError::Setting(
                "the poll interval and both age limits must be more than 0".into(),
            ));
        }
        Ok(())
    }

    /// True when some endpoint is plain HTTP: the view decides nothing a host could not forge.
    pub fn is_unverified(&self) -> bool {
        self.endpoints.iter().any(RpcEndpoint::is_unverified)
    }

    /// The EIP-712 struct hash of this view: what the report binds and the boot approval signs.
    pub fn hash(&self) -> B256 {
        abi::ChainView {
            chainId: self.chain_id,
            registry: self.registry,
            endpoints: self
                .endpoints
                .iter()
                .map(|endpoint| {
                    let (trust, pins) = match &endpoint.trust {
                        RpcTrust::PublicRoots => (0, Vec::new()),
                        RpcTrust::Pinned { spki_sha256 } => (1, spki_sha256.clone()),
                        RpcTrust::LoopbackUnverified => (2, Vec::new()),
                    };
                    abi::RpcEndpoint {
                        url: endpoint.url.clone(),
                        trust,
                        pins,
                    }
                })
                .collect(),
            quorum: self.quorum,
            confirmations: self.confirmations,
            readAt: self.read_at.code(),
            pollIntervalMs: self.poll_interval_ms,
            maxSyncAgeSecs: self.max_sync_age_secs,
            maxHeadAgeSecs: self.max_head_age_secs,
        }
        .eip712_hash_struct()
    }

    /// The view in words, one line each, as the owner reads it before approving a boot.
    pub fn words(&self) -> Vec<String> {
        let count = self.endpoints.len();
        let mut lines = vec![format!(
            "reads the registry {} on chain {} from {count} endpoint{}:",
            self.registry,
            self.chain_id,
            if count == 1 { "" } else { "s" }
        )];
        lines.extend(
            self.endpoints
                .iter()
                .map(|endpoint| format!("  {endpoint}")),
        );
        lines.push(if count == 1 {
            "trusts that one endpoint's answers".to_owned()
        } else {
            format!(
                "{} of the {count} must give the same answer for it to count",
                self.quorum
            )
        });
        let depth = format!(
            "{} block{}",
            self.confirmations,
            if self.confirmations == 1 { "" } else { "s" }
        );
        let from = match self.read_at {
            ReadAt::Head => format!("once it is {depth} deep"),
            ReadAt::Safe => format!(
                "once its block is the chain's safe block (justified by the validators) or {depth} under it"
            ),
            ReadAt::Finalized => format!(
                "once its block is finalized (replacing it would cost a third of all stake) or {depth} under it"
            ),
        };
        lines.push(format!(
            "acts on a grant or revocation {from}; reads every {} ms",
            self.poll_interval_ms
        ));
        lines.push(format!(
            "refuses every query when the newest block is older than {} s or the chain has not been read \
             for {} s",
            self.max_head_age_secs, self.max_sync_age_secs
        ));
        if self.is_unverified() {
            lines.push(
                "WARNING: an unverified endpoint: whoever runs this machine decides what the vault \
                 believes the chain says"
                    .to_owned(),
            );
        }
        lines
    }
}

/// The view's EIP-712 encoding (`trust`: 0 public roots, 1 pinned, 2 loopback unverified).
mod abi {
    alloy::sol! {
        struct RpcEndpoint {
            string url;
            uint8 trust;
            bytes32[] pins;
        }

        struct ChainView {
            uint64 chainId;
            address registry;
            RpcEndpoint[] endpoints;
            uint8 quorum;
            uint64 confirmations;
            uint8 readAt;
            uint64 pollIntervalMs;
            uint64 maxSyncAgeSecs;
            uint64 maxHeadAgeSecs;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use alloy::primitives::address;

    const PIN: &str = "ab00000000000000000000000000000000000000000000000000000000000001";

    fn view(endpoints: &[&str], quorum: u8) -> ChainView {
        ChainView {
            chain_id: 1,
            registry: address!("0x5FbDB2315678afecb367f032d93F642f64180aa3"),
            endpoints: endpoints.iter().map(|e| e.parse().unwrap()).collect(),
            quorum,
            confirmations: 12,
            read_at: ReadAt::Head,
            poll_interval_ms: 1000,
            max_sync_age_secs: 30,
            max_head_age_secs: 60,
        }
    }

    #[test]
    fn endpoints_say_what_authenticates_them() {
        let public: RpcEndpoint = "https://rpc.example/v1".parse().unwrap();
        assert_eq!(public.trust, RpcTrust::PublicRoots);
        let pinned: RpcEndpoint = format!("https://rpc.example/#pin-sha256={PIN},{PIN}")
            .parse()
            .unwrap();
        assert_eq!(
            pinned.url, "https://rpc.example/",
            "the pin is not part of the URL"
        );
        assert!(
            matches!(pinned.trust, RpcTrust::Pinned { ref spki_sha256 } if spki_sha256.len() == 2)
        );
        for local in [
            "http://127.0.0.1:8545",
            "http://[::1]:8545/",
            "http://localhost:8545",
        ] {
            let endpoint: RpcEndpoint = local.parse().unwrap();
            assert!(endpoint.is_unverified(), "{local}");
        }
    }

    #[test]
    fn endpoints_that_a_host_could_forge_or_that_leak_are_refused() {
        for (given, says) in [
            ("http://rpc.example:8545", "only to this machine's loopback"),
            ("http://10.0.0.1:8545", "only to this machine's loopback"),
            (
                &format!("http://127.0.0.1/#pin-sha256={PIN}"),
                "a pin needs https",
            ),
            ("https://rpc.example/#pin-sha256=zz", "not a SHA-256"),
            ("https://rpc.example/#key=1", "the fragment must be"),
            ("https://user:secret@rpc.example/", "credentials"),
            ("ws://127.0.0.1:8546", "unsupported scheme"),
            ("rpc.example", "relative URL"),
        ] {
            let error = given.parse::<RpcEndpoint>().unwrap_err().to_string();
            assert!(error.contains(says), "{given}: {error}");
            assert!(
                !error.contains("secret"),
                "a password is never echoed: {error}"
            );
        }
    }

    #[test]
    fn a_view_checks_its_quorum_and_limits() {
        assert!(view(&["https://a.example"], 1).check().is_ok());
        assert!(
            view(&["https://a.example", "https://b.example"], 3)
                .check()
                .is_err()
        );
        assert!(view(&["https://a.example"], 0).check().is_err());
        assert!(view(&[], 1).check().is_err());
        let mut zero = view(&["https://a.example"], 1);
        zero.max_head_age_secs = 0;
        assert!(zero.check().is_err());
    }

    #[test]
    fn the_type_string_is_locked() {
        assert_eq!(
            abi::ChainView::eip712_encode_type(),
            "ChainView(uint64 chainId,address registry,RpcEndpoint[] endpoints,uint8 quorum,\
             uint64 confirmations,uint8 readAt,uint64 pollIntervalMs,uint64 maxSyncAgeSecs,uint64 maxHeadAgeSecs)\
             RpcEndpoint(string url,uint8 trust,bytes32[] pins)"
        );
    }

    #[test]
    fn every_setting_changes_the_hash() {
        let base = view(&["https://a.example", "https://b.example"], 2);
        let mut changed = Vec::new();
        let mut each = |f: &dyn Fn(&mut ChainView)| {
            let mut other = base.clone();
            f(&mut other);
            changed.push(other.hash());
        };
        each(&|v| v.chain_id = 2);
        each(&|v| v.registry = Address::ZERO);
        each(&|v| v.endpoints.pop().map(drop).unwrap_or_default());
        each(&|v| v.endpoints[0].url = "https://c.example/".into());
        each(&|v| {
            v.endpoints[0].trust = RpcTrust::Pinned {
                spki_sha256: vec![B256::ZERO],
            }
        });
        each(&|v| v.quorum = 1);
        each(&|v| v.confirmations = 0);
        each(&|v| v.read_at = ReadAt::Finalized);
        each(&|v| v.poll_interval_ms = 1);
        each(&|v| v.max_sync_age_secs = 1);
        each(&|v| v.max_head_age_secs = 1);
        for hash in &changed {
            assert_ne!(*hash, base.hash());
        }
        let distinct: std::collections::HashSet<_> = changed.iter().collect();
        assert_eq!(distinct.len(), changed.len());
        assert_eq!(base.hash(), base.clone().hash(), "deterministic");
    }

    #[test]
    fn the_words_name_each_endpoint_the_quorum_and_the_limits() {
        let words = view(
            &[
                "https://a.example",
                "https://b.example",
                "https://c.example",
            ],
            2,
        )
        .words()
        .join("\n");
        for says in [
            "chain 1",
            "https://a.example/",
            "2 of the 3",
            "12 blocks deep",
            "older than 60 s",
        ] {
            assert!(words.contains(says), "{says}: {words}");
        }
        assert!(!words.contains("UNVERIFIED"));
        let local = view(&["http://127.0.0.1:8545"], 1).words().join("\n");
        assert!(
            local.contains("UNVERIFIED") && local.contains("WARNING"),
            "{local}"
        );
    }
}
