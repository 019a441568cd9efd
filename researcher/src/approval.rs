//! Asking a vault's owner to approve one query through the relay: the request goes to the owner's inbox
//! (the owner the registry names, the inbox the owner signed), sealed to it; the researcher waits in its
//! own inbox for the answer to that very request, signed by that owner, and the vault checks the approval
//! again when the query arrives.

use std::time::{Duration, Instant};

use dnavault_protocol::query::OwnerApproval;
use dnavault_relay::{Payload, RelayClient, Seen};

use crate::{Chain, Prepared, ResearchError, Researcher};

/// How long the request waits in the owner's inbox, in seconds.
const ASK_SECS: u64 = 3600;

/// The owner of vault `vault_id`'s approval of `prepared`, asked through the relay at `relay`, waited for
/// at most `wait`.
pub async fn through_relay(
    relay: &str,
    chain: &Chain,
    researcher: &Researcher,
    prepared: &Prepared,
    vault_id: u64,
    wait: Duration,
) -> Result<OwnerApproval, ResearchError> {
    let relay_error = |e: dnavault_relay::RelayError| ResearchError::Query(e.to_string());
    let domain = chain.domain();
    let client = RelayClient::new(relay, domain.clone()).map_err(relay_error)?;
    let owner = chain.owner_of(vault_id).await?;
    let owner_inbox = client.inbox_of(owner).await.map_err(relay_error)?;
    let asked_at = now()?;
    let inbox = researcher
        .relay_inbox(&domain, asked_at)
        .map_err(relay_error)?;
    client.register(&inbox).await.map_err(relay_error)?;
    let asked = researcher
        .ask_approval(&domain, &owner_inbox, prepared, asked_at, ASK_SECS)
        .map_err(relay_error)?;
    client.send(&asked, None).await.map_err(relay_error)?;
    eprintln!(
        "asked the owner of vault {vault_id} ({owner}) to approve request {} through {relay}; waiting up to {} s",
        prepared.request_hash,
        wait.as_secs()
    );
    let started = Instant::now();
    let mut seen = Seen::default();
    while started.elapsed() < wait {
        let read = researcher
            .relay_read(&domain, inbox.topic(), now()?)
            .map_err(relay_error)?;
        for envelope in client.waiting(&read).await.map_err(relay_error)? {
            let opened = researcher.open_relayed(&domain, &inbox, &envelope, &mut seen, now()?);
            let Ok((sender, payload, ack)) = opened else {
                continue;
            };
            let Payload::QueryApprovalAnswer {
                request,
                approval,
                signature,
            } = payload
            else {
                continue;
            };
            if request != asked.message.nonce || sender != owner {
                continue;
            }
            client.ack(&ack).await.map_err(relay_error)?;
            return match (approval, signature) {
                (Some(approval), Some(signature)) => Ok(OwnerApproval {
                    approval,
                    signature,
                }),
                _ => Err(ResearchError::Query(format!(
                    "the owner of vault {vault_id} declined to approve the query"
                ))),
            };
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(ResearchError::Query(format!(
        "the owner of vault {vault_id} did not answer within {} s",
        wait.as_secs()
    )))
}

fn now() -> Result<u64, ResearchError> {
    dnavault_protocol::clock::unix_now().map_err(|e| ResearchError::Query(e.to_string()))
}
