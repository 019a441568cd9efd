//! Reading a vault's audit log as its owner: a short-lived [`OwnerRead`] signed for the vault names a fresh
//! HPKE key, the vault seals every page to it, and whatever carries the pages (TLS pinned to the vault for
//! the CLI, the website for the phone) reads nothing of them. The pages are opened, joined and checked
//! ([`super::check`]) under the owner's audit key against the head anchored on-chain.

use alloy::{
    primitives::{B256, U256},
    signers::{Signer, local::PrivateKeySigner},
    sol_types::SolStruct,
};
use dnavault_envelope::{Envelope, RecipientKey, context};
use dnavault_keys::Seed;
use dnavault_protocol::{
    audit::{AuditKey, AuditLog, AuditPage, SealedAuditLog},
    eip712::registry_domain,
    header::SignedHeader,
    owner_read::{OwnerRead, SignedOwnerRead},
};

use super::{AuditCheckError, CheckedLog};
use crate::{Result, explain::Deployment, registry::Connection};

/// How long a read authorization stays valid (the vault accepts at most 10 minutes).
pub const READ_LIFETIME_SECS: u64 = 120;

/// The most pages one read follows: a carrier that keeps answering "there is more" is cut off.
const MAX_PAGES: usize = 10_000;

/// An HTTP header: name and value.
pub type Header<'a> = (&'static str, &'a str);

/// A signed read of one vault's audit log and the key its pages are sealed to (zeroized on drop).
pub struct AuditRead {
    vault_id: u64,
    header: String,
    digest: B256,
    key: RecipientKey,
}

impl AuditRead {
    /// A read of vault `vault_id` of `deployment` signed by `owner`, valid from `now` for
    /// [`READ_LIFETIME_SECS`], naming a fresh HPKE key.
    pub async fn sign(
        owner: &PrivateKeySigner,
        deployment: Deployment,
        vault_id: u64,
        now: u64,
    ) -> Result<Self> {
        let key = RecipientKey::generate();
        let read = OwnerRead {
            vaultId: U256::from(vault_id),
            what: "audit".into(),
            recipientKey: B256::from(key.public_key().to_bytes()),
            deadline: U256::from(now + READ_LIFETIME_SECS),
        };
        let digest =
            read.eip712_signing_hash(&registry_domain(deployment.chain_id, deployment.registry));
        let signature = owner.sign_hash(&digest).await?;
        let header = SignedOwnerRead {
            read,
            signature: signature.as_bytes().to_vec().into(),
        }
        .to_header();
        Ok(Self {
            vault_id,
            header,
            digest,
            key,
        })
    }

    /// The header that carries the read.
    pub fn header(&self) -> Header<'_> {
        (SignedOwnerRead::HEADER, &self.header)
    }

    /// Opens a page the vault sealed for this read.
    pub fn open(&self, page: &SealedAuditLog) -> Result<AuditLog, AuditCheckError> {
        if page.vault_id != self.vault_id {
            return Err(AuditCheckError::Unopened(format!(
                "the answer is vault {}'s, not vault {}'s",
                page.vault_id, self.vault_id
            )));
        }
        let unopened = |reason: String| AuditCheckError::Unopened(reason);
        let envelope = Envelope::from_bytes(&page.sealed).map_err(|e| unopened(e.to_string()))?;
        let plaintext = dnavault_envelope::open(
            &self.key,
            &envelope,
            context::AUDIT_LOG,
            self.digest.as_slice(),
        )
        .map_err(|e| unopened(e.to_string()))?;
        let log: AuditLog = serde_json::from_slice(&plaintext)
            .map_err(|e| unopened(format!("the opened page is not an audit log: {e}")))?;
        if log.vault_id != self.vault_id {
            return Err(unopened(format!(
                "the sealed page is vault {}'s, not vault {}'s",
                log.vault_id, self.vault_id
            )));
        }
        Ok(log)
    }

    /// Every page, fetched in order by `fetch` (given the read's header and the page, `None` for the first),
    /// opened and joined into one log.
    pub async fn read_all<E: std::fmt::Display>(
        &self,
        mut fetch: impl AsyncFnMut(Header<'_>, Option<AuditPage>) -> Result<SealedAuditLog, E>,
    ) -> Result<AuditLog, AuditCheckError> {
        let fetched = |e: E| AuditCheckError::Fetch(e.to_string());
        let mut log = self.open(&fetch(self.header(), None).await.map_err(fetched)?)?;
        let mut next = log.next_page(None);
        let mut previous = AuditPage::default();
        let mut pages = 1;
        while let Some(page) = next {
            let moves_on = page.entries_after >= previous.entries_after
                && page.receipts_after >= previous.receipts_after
                && page != previous;
            if !moves_on || pages == MAX_PAGES {
                return Err(AuditCheckError::Fetch(format!(
                    "the log does not move on after {pages} pages (from {previous:?} to {page:?})"
                )));
            }
            let more = self.open(&fetch(self.header(), Some(page)).await.map_err(fetched)?)?;
            next = more.next_page(None);
            log.head = more.head.or(log.head);
            log.entries.extend(more.entries);
            log.receipts.extend(more.receipts);
            previous = page;
            pages += 1;
        }
        log.next_entries_after = None;
        log.next_receipts_after = None;
        Ok(log)
    }
}

/// Fetches one page through the website at `website` (`GET /api/vaults/{id}/audit`), for a client that
/// cannot pin the vault's attested TLS key: the website reaches the vault and carries the sealed page back.
pub async fn fetch_through_website(
    website: &alloy::transports::http::reqwest::Url,
    vault_id: u64,
    (name, value): Header<'_>,
    page: Option<AuditPage>,
) -> Result<SealedAuditLog, String> {
    let mut url = website
        .join(&format!("api/vaults/{vault_id}/audit"))
        .map_err(|e| format!("the website's address: {e}"))?;
    url.set_query(page.map(|page| page.to_query()).as_deref());
    let response = alloy::transports::http::reqwest::Client::new()
        .get(url)
        .header(name, value)
        .send()
        .await
        .map_err(|e| format!("the website could not be reached: {e}"))?;
    let status = response.status();
    let body = response
        .text()
        .await
        .map_err(|e| format!("the website's answer: {e}"))?;
    if !status.is_success() {
        let said = serde_json::from_str::<dnavault_protocol::Refusal>(&body)
            .map(|refusal| refusal.error)
            .unwrap_or(body);
        return Err(format!("the website answered {status}: {said}"));
    }
    serde_json::from_str(&body)
        .map_err(|e| format!("the website's answer is not a sealed page: {e}"))
}

/// Reads vault `vault_id`'s whole log as account `index` of `seed` (pages from `fetch`) and checks it under
/// the seed's audit key for the vault against the head `connection`'s registry holds.
pub async fn read_checked<E: std::fmt::Display>(
    seed: &Seed,
    index: u32,
    connection: &Connection,
    vault_id: u64,
    now: u64,
    fetch: impl AsyncFnMut(Header<'_>, Option<AuditPage>) -> Result<SealedAuditLog, E>,
) -> Result<(AuditLog, CheckedLog)> {
    let owner = seed.ethereum_signer(index)?;
    connection
        .require_owner(U256::from(vault_id), owner.address())
        .await?;
    let read = AuditRead::sign(&owner, connection.deployment(), vault_id, now).await?;
    let log = read.read_all(fetch).await?;
    let deployment = connection.deployment();
    let data_key = seed.data_key(deployment.chain_id, deployment.registry, vault_id)?;
    let key = AuditKey::derive(data_key.expose());
    let anchored = connection.audit_head(U256::from(vault_id)).await?;
    let checked = super::check(&log, &key, anchored)?;
    Ok((log, checked))
}
