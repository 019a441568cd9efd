//! The vault directory and a vault's page.

use maud::{Markup, html};

use super::layout::{address, badge, page, time};
use crate::{
    db::read::{GrantView, IndexState, Page, VaultDetail, VaultSummary},
    pages::requests::request_card,
    verify::{Outcome, Verification},
};

/// The directory: one card per vault.
pub(crate) fn directory(vaults: &[VaultSummary], index: &IndexState, at: Page) -> Markup {
    page(
        "Vaults",
        html! {
            h1 { "Vaults" }
            p.muted {
                "Every vault registered in the registry, as indexed up to block "
                (index.block.map_or("none yet".to_owned(), |b| b.to_string()))
                " (" (index.vaults) " vaults, " (index.events) " events)."
            }
            @if vaults.is_empty() {
                p { "No vault here yet." }
            }
            @for vault in vaults {
                article.card {
                    h3 { a href={ "/vaults/" (vault.id) } { "Vault " (vault.id) } }
                    dl.facts {
                        dt { "Owner" } dd { (address(&vault.owner)) }
                        dt { "Served at" } dd.mono { (vault.uri) }
                        dt { "Status" } dd { (status_badges(vault)) }
                    }
                }
            }
            (pager("/", at, vaults.len()))
        },
    )
}

fn status_badges(vault: &VaultSummary) -> Markup {
    html! {
        @if vault.vault_key.is_some() { span.badge.pass { "key bound" } }
        @else { span.badge.warn { "no key bound" } }
        span.badge { (vault.approved_measurements) " approved code" }
        span.badge { (vault.live_grants) " live grants" }
        @if vault.pending_requests > 0 { span.badge.pending { (vault.pending_requests) " pending requests" } }
    }
}

/// Links to the previous and next page of a list at `path`.
pub(crate) fn pager(path: &str, at: Page, shown: usize) -> Markup {
    let join = if path.contains('?') { '&' } else { '?' };
    html! {
        nav.pager aria-label="Pages" {
            @if at.offset > 0 {
                a href={ (path) (join) "offset=" (at.offset.saturating_sub(at.limit)) } { "Previous" }
            }
            @if shown as u64 == at.limit {
                a href={ (path) (join) "offset=" (at.offset + at.limit) } { "Next" }
            }
        }
    }
}

/// A vault's page: who owns it, its code, its key, its grants in words, its receipts and requests.
pub(crate) fn vault(vault: &VaultDetail) -> Markup {
    let summary = &vault.summary;
    page(
        &format!("Vault {}", summary.id),
        html! {
            h1 { "Vault " (summary.id) }
            section.card aria-labelledby="about" {
                h2 #about { "About" }
                dl.facts {
                    dt { "Owner" } dd { (address(&summary.owner)) }
                    @if let Some(pending) = &vault.pending_owner {
                        dt { "Offered to" } dd { (address(pending)) }
                    }
                    dt { "Served at" } dd.mono { (summary.uri) }
                    dt { "Signing key" } dd {
                        @match &summary.vault_key {
                            Some(key) => { (address(key)) " (bound on-chain by the owner)" }
                            None => span.warning { "none bound: the vault answers no query" },
                        }
                    }
                    dt { "Audit log" } dd {
                        @match &vault.audit_head {
                            Some(head) => { "anchored through entry " (head.seq) ", tag " span.mono { (head.tag) } }
                            None => "no head anchored yet",
                        }
                    }
                    dt { "Registered" } dd { "block " (summary.registered_block) }
                }
                p { a href={ "/vaults/" (summary.id) "/verify" } { "Verify this vault's attestation now" } }
                p { a href={ "/requests/new?vault=" (summary.id) } { "Request access to this vault" } }
            }
            section aria-labelledby="code" {
                h2 #code { "Approved code" }
                @if vault.measurements.is_empty() { p { "The owner has approved no code: the vault cannot boot." } }
                @for m in &vault.measurements {
                    div.card {
                        @if m.approved { (badge("live")) "approved" } @else { (badge("revoked")) "revoked" }
                        p.mono { (m.measurement) }
                        p.muted { "since block " (m.changed_block) }
                    }
                }
            }
            section aria-labelledby="tools" {
                h2 #tools { "Installed analysis tools" }
                @if vault.tools.is_empty() { p { "No analysis tool is installed: only the vault's built-in queries run." } }
                @for t in &vault.tools {
                    div.card {
                        @if t.approved { (badge("live")) "installed" } @else { (badge("revoked")) "removed" }
                        @if let Some(name) = &t.name { p { strong { (name) } } }
                        p.mono { (t.tool) }
                        p.muted { "since block " (t.changed_block) }
                    }
                }
            }
            section aria-labelledby="grants" {
                h2 #grants { "Grants" }
                @if vault.grants.is_empty() { p { "No researcher has been granted access." } }
                @for grant in &vault.grants { (grant_card(grant)) }
            }
            section aria-labelledby="receipts" {
                h2 #receipts { "Anchored receipts" }
                @if vault.receipt_batches.is_empty() { p { "No query receipts anchored yet." } }
                @for batch in &vault.receipt_batches {
                    div.card {
                        p { (batch.receipt_hashes.len()) " receipts anchored in block " (batch.block) }
                        details {
                            summary { "Batch " span.mono { (batch.batch_hash) } }
                            ul { @for h in &batch.receipt_hashes { li.mono { (h) } } }
                            p.muted { "transaction " span.mono { (batch.tx_hash) } }
                        }
                    }
                }
            }
            section aria-labelledby="requests" {
                h2 #requests { "Access requests" }
                @if vault.requests.is_empty() { p { "No access requests." } }
                @for request in &vault.requests { (request_card(request)) }
            }
        },
    )
}

/// A grant in words.
fn grant_card(grant: &GrantView) -> Markup {
    html! {
        article.card {
            h3 { (badge(grant.status)) "Researcher " (address(&grant.grantee)) }
            (super::requests::analysis(&grant.analysis))
            dl.facts {
                dt { "Purpose" } dd { (grant.purpose.words) " " span.muted.mono { (grant.purpose.code) } }
                dt { "Until" } dd { (time(grant.expiry)) }
                dt { "Queries" } dd {
                    @if grant.max_queries == 0 { "no limit" } @else { "at most " (grant.max_queries) }
                    @if grant.per_query_approval { ", each approved by the owner" }
                }
                dt { "Granted" } dd { "block " (grant.granted_block) }
            }
        }
    }
}

/// The verifier view.
pub(crate) fn verification(check: &Verification) -> Markup {
    let class = outcome_class(check.outcome);
    page(
        &format!("Verify vault {}", check.vault_id),
        html! {
            h1 { "Verifying vault " (check.vault_id) }
            p.muted {
                "This website fetched the vault's attestation from " span.mono { (check.url) }
                " and checked it itself, with the same verification code the owner's wallet and researchers use."
            }
            p class={ "verdict " (class) } role="status" { (check.verdict) }
            ul.checks {
                @for c in &check.checks {
                    li class=(outcome_class(c.outcome)) {
                        strong { (c.name) } " " (badge(outcome_class(c.outcome))) br;
                        span.detail { (c.detail) }
                    }
                }
            }
            p { a href={ "/vaults/" (check.vault_id) } { "Back to the vault" } }
        },
    )
}

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Warn => "warn",
        Outcome::Fail => "fail",
    }
}
