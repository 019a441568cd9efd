//! Booting through the relay: a sealed vault posts its boot request to its owner's inbox (the owner the
//! registry names, the inbox the owner signed) with its evidence, registers its own inbox (its attested
//! HPKE key under its attested signing key), and takes the owner's answer from it. The relay is untrusted:
//! what the vault takes is checked like an answer posted to `/v1/boot` (the owner's signature, the
//! measurement, the chain view, the nonce), and a message that does not open is dropped.

use std::time::Duration;

use dnavault_relay::{Payload, RelayClient, RelayError, Seen, SignedRegistration};

use crate::VaultService;

/// Until the vault is unsealed (or stops): asks its owner through the relay at `relay`, again whenever a
/// request expires, and polls its inbox every `poll`.
pub(crate) async fn boot_through(
    service: VaultService,
    relay: RelayClient,
    vault_url: String,
    poll: Duration,
) {
    let mut seen = Seen::default();
    // Messages that did not open stay in the relay until they expire: each copy is reported once, and an
    // intact copy of a message a hostile relay altered still opens.
    let mut dropped = std::collections::HashSet::new();
    let mut asked: Option<(SignedRegistration, u64)> = None;
    while service.boot_request().await.is_some() {
        let now = dnavault_protocol::clock::unix_now().unwrap_or(0);
        let expired = asked
            .as_ref()
            .is_none_or(|(_, at)| now >= at + crate::boot::RELAYED_BOOT_REQUEST_SECS - 60);
        if expired {
            match ask(&service, &relay, &vault_url, now).await {
                Ok(inbox) => {
                    tracing::info!(topic = %inbox.topic(), "boot request posted to the owner's inbox");
                    asked = Some((inbox, now));
                }
                Err(error) => tracing::warn!(%error, "cannot ask the owner through the relay yet"),
            }
        }
        if let Some((inbox, _)) = &asked {
            match take_answer(&service, &relay, inbox, &mut seen, &mut dropped, now).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(error) => tracing::warn!(%error, "cannot read the vault's inbox"),
            }
        }
        tokio::time::sleep(poll).await;
    }
}

/// Posts the boot request to the owner's inbox; the vault's own inbox, registered.
async fn ask(
    service: &VaultService,
    relay: &RelayClient,
    vault_url: &str,
    now: u64,
) -> Result<SignedRegistration, RelayError> {
    let owner = service.owner_now().await.map_err(|e| RelayError::Http {
        url: "the chain".into(),
        reason: e.to_string(),
    })?;
    let owner_inbox = relay.inbox_of(owner).await?;
    let made = service
        .with_sealed(|sealed| {
            Ok::<_, RelayError>((
                sealed.relay_keys().inbox(now)?,
                sealed.relay_boot_request(&owner_inbox, vault_url, now)?,
            ))
        })
        .await;
    let Some(made) = made else {
        return Err(RelayError::Payload("the vault is no longer sealed".into()));
    };
    let (inbox, envelope) = made?;
    relay.register(&inbox).await?;
    relay.send(&envelope, Some(service.evidence())).await?;
    Ok(inbox)
}

/// Takes what waits in the vault's inbox; true once an answer unsealed it.
async fn take_answer(
    service: &VaultService,
    relay: &RelayClient,
    inbox: &SignedRegistration,
    seen: &mut Seen,
    dropped: &mut std::collections::HashSet<alloy::primitives::B256>,
    now: u64,
) -> Result<bool, RelayError> {
    let read = service
        .with_sealed(|sealed| sealed.relay_keys().read(inbox.topic(), now))
        .await;
    let Some(read) = read else {
        return Ok(true);
    };
    for envelope in relay.waiting(&read?).await? {
        let copy = delivered_copy(&envelope);
        if dropped.contains(&copy) {
            continue;
        }
        let opened = service
            .with_sealed(|sealed| sealed.relay_keys().open(&envelope, inbox, seen, now))
            .await;
        let Some(opened) = opened else {
            return Ok(true);
        };
        let (payload, ack) = match opened {
            Ok(opened) => opened,
            Err(error) => {
                tracing::warn!(%error, "dropped a relay message that does not open");
                dropped.insert(copy);
                continue;
            }
        };
        relay.ack(&ack).await?;
        let Payload::BootAnswer { response, .. } = payload else {
            tracing::warn!("dropped a relay message that is not a boot answer");
            continue;
        };
        match service.unseal(&response).await {
            Ok(()) => {
                tracing::info!("unsealed by the owner's answer through the relay");
                return Ok(true);
            }
            Err(refusal) => {
                tracing::warn!(error = %refusal.error, "the relayed boot answer was refused");
            }
        }
    }
    Ok(false)
}

/// What identifies one delivered copy of a message: its header, ciphertext and signature together.
fn delivered_copy(envelope: &dnavault_relay::Envelope) -> alloy::primitives::B256 {
    alloy::primitives::keccak256(serde_json::to_vec(envelope).unwrap_or_default())
}
