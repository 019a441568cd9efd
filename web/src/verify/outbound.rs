//! Where the verifier view may fetch evidence from. A vault's URI is whatever its owner published, so
//! fetching it on anyone's page view would let anyone make the website call into its own network (its cloud
//! metadata service, a database port): only public addresses are fetched unless the operator allows private
//! ones (a local stack), at most a few fetches run at once, and a vault's view is kept for a short while so
//! reloading a page does not fetch again.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, Ipv6Addr},
    time::{Duration, Instant},
};

use super::Verification;

/// How long a vault's verification is shown before it is fetched again.
const KEPT_FOR: Duration = Duration::from_secs(30);

/// How many evidence fetches run at once.
const AT_ONCE: usize = 4;

/// The verifier view's outbound policy and its recent results.
#[derive(Debug)]
pub struct Outbound {
    allow_private: bool,
    permits: tokio::sync::Semaphore,
    recent: std::sync::Mutex<HashMap<alloy::primitives::B256, (Instant, Verification)>>,
}

impl Default for Outbound {
    fn default() -> Self {
        Self::new(false)
    }
}

impl Outbound {
    /// Fetches from public addresses only, or from any (`allow_private`, for a local stack).
    pub fn new(allow_private: bool) -> Self {
        Self {
            allow_private,
            permits: tokio::sync::Semaphore::new(AT_ONCE),
            recent: std::sync::Mutex::default(),
        }
    }

    /// Why `url` may not be fetched, if it may not: it must be `https://` and, unless private addresses are
    /// allowed, every address its host resolves to must be public.
    pub async fn refusal(&self, url: &str) -> Option<String> {
        let parsed = match url::Url::parse(url) {
            Ok(parsed) => parsed,
            Err(e) => return Some(format!("{url:?} is not a URL: {e}")),
        };
        if parsed.scheme() != "https" {
            return Some(format!("{url:?} is not an https:// URL"));
        }
        if self.allow_private {
            return None;
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addresses: Vec<IpAddr> = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => vec![IpAddr::V4(ip)],
            Some(url::Host::Ipv6(ip)) => vec![IpAddr::V6(ip)],
            Some(url::Host::Domain(name)) => match tokio::net::lookup_host((name, port)).await {
                Ok(found) => found.map(|a| a.ip()).collect(),
                Err(e) => return Some(format!("{name} does not resolve: {e}")),
            },
            None => return Some(format!("{url:?} names no host")),
        };
        addresses.into_iter().find(|ip| !is_public(*ip)).map(|ip| {
            format!(
                "{url:?} resolves to {ip}, a private or local address: the website fetches evidence \
                 only from public ones"
            )
        })
    }

    /// The view kept from the last KEPT_FOR for a vault whose index entry hashes to `entry`, if any: any
    /// change on-chain (code, key, URI) is another entry.
    pub(crate) fn kept(&self, entry: alloy::primitives::B256) -> Option<Verification> {
        let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent
            .get(&entry)
            .filter(|(at, _)| at.elapsed() < KEPT_FOR)
            .map(|(_, view)| view.clone())
    }

    /// Keeps `view` of the vault whose entry hashes to `entry` for KEPT_FOR, forgetting what is older.
    pub(crate) fn keep(&self, entry: alloy::primitives::B256, view: &Verification) {
        let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
        recent.retain(|_, (at, _)| at.elapsed() < KEPT_FOR);
        recent.insert(entry, (Instant::now(), view.clone()));
    }

    /// A permit to fetch, waiting for one of the AT_ONCE to be free.
    pub(crate) async fn permit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.permits.acquire().await.ok()
    }
}

/// Whether `ip` is an address on the public Internet.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10, carrier-grade NAT
    let this_network = a == 0;
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || this_network)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    let unique_local = first & 0xfe00 == 0xfc00; // fc00::/7
    let link_local = first & 0xffc0 == 0xfe80; // fe80::/10
    !(ip.is_loopback() || ip.is_unspecified() || ip.is_multicast() || unique_local || link_local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn only_public_https_addresses_are_fetched_unless_private_ones_are_allowed() {
        let strict = Outbound::default();
        for url in [
            "https://127.0.0.1:8443/",
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.5/",
            "https://192.168.1.1/",
            "https://172.16.0.1/",
            "https://100.64.0.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[fd00::1]/",
            "https://[fe80::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://localhost:8443/",
            "http://93.184.215.14/",
            "not a url",
        ] {
            assert!(strict.refusal(url).await.is_some(), "{url} was allowed");
        }
        assert_eq!(strict.refusal("https://93.184.215.14/").await, None);
        assert_eq!(
            strict.refusal("https://[2606:2800:21f:cb07::1]/").await,
            None
        );
        let local = Outbound::new(true);
        assert_eq!(local.refusal("https://127.0.0.1:8443/").await, None);
        assert!(local.refusal("http://127.0.0.1:8443/").await.is_some());
    }
}
