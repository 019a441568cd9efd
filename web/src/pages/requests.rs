//! Access requests: the list, one request, and how an analysis reads in words.

use maud::{Markup, html};

use super::layout::{address, badge, page, time};
use crate::db::read::{Analysis, Page, REQUEST_STATUSES, RequestView};

/// The list of requests, newest first, with a status filter.
pub(crate) fn list(requests: &[RequestView], status: Option<&str>, at: Page) -> Markup {
    let path = match status {
        Some(status) => format!("/requests?status={status}"),
        None => "/requests".to_owned(),
    };
    page(
        "Access requests",
        html! {
            h1 { "Access requests" }
            p { a href="/requests/new" { "Request access to a vault" } }
            form.filters method="get" action="/requests" {
                div {
                    label for="status" { "Status" }
                    select #status name="status" {
                        option value="" selected[status.is_none()] { "any" }
                        @for s in REQUEST_STATUSES {
                            option value=(s) selected[status == Some(s)] { (s) }
                        }
                    }
                }
                button type="submit" { "Show" }
            }
            @if requests.is_empty() { p { "No access requests." } }
            @for request in requests { (request_card(request)) }
            (super::vaults::pager(&path, at, requests.len()))
        },
    )
}

/// A request as a card in a list.
pub(crate) fn request_card(request: &RequestView) -> Markup {
    html! {
        article.card {
            h3 {
                (badge(request.status))
                a href={ "/requests/" (request.id) } { "Request " (request.id) }
                " for vault " a href={ "/vaults/" (request.vault_id) } { (request.vault_id) }
            }
            (analysis(&request.analysis))
            dl.facts {
                dt { "Researcher" } dd { (address(&request.researcher)) }
                dt { "Purpose" } dd { (request.purpose.words) }
                dt { "Until" } dd { (time(request.requested_expiry)) }
            }
        }
    }
}

/// One request in full.
pub(crate) fn request(request: &RequestView) -> Markup {
    page(
        &format!("Access request {}", request.id),
        html! {
            h1 { "Access request " (request.id) " " (badge(request.status)) }
            section.card {
                h2 { "What is asked" }
                (analysis(&request.analysis))
                dl.facts {
                    dt { "Vault" } dd { a href={ "/vaults/" (request.vault_id) } { "Vault " (request.vault_id) } }
                    dt { "Researcher" } dd { (address(&request.researcher)) }
                    dt { "Purpose" } dd { (request.purpose.words) " " span.muted.mono { (request.purpose.code) } }
                    dt { "Until" } dd { (time(request.requested_expiry)) }
                    dt { "Protocol" } dd {
                        @if is_web_link(&request.protocol_uri) {
                            a href=(request.protocol_uri) rel="noopener noreferrer nofollow" { (request.protocol_uri) }
                        } @else {
                            span.mono { (request.protocol_uri) } " (not a web link)"
                        }
                        br; span.muted { "keccak256 " } span.mono { (request.protocol_hash) }
                    }
                    dt { "Filed" } dd { "block " (request.filed_block) }
                }
            }
            @if request.status == "pending" && request.analysis.unreadable.is_none() {
                section.card {
                    h2 { "For the vault's owner" }
                    p { "Grant it as asked from your wallet, which shows it to you in words before you sign:" }
                    pre.command { "dnavault-wallet grant --from-request " (request.id) " --index N" }
                }
            }
            details {
                summary { "The descriptor as filed" }
                pre.mono { (request.descriptor) }
            }
        },
    )
}

/// An analysis in words, or why it cannot be.
pub(crate) fn analysis(analysis: &Analysis) -> Markup {
    html! {
        @if let Some(why) = &analysis.unreadable {
            p.warning { "Analysis unknown: " (why) }
        } @else {
            dl.facts {
                @for fact in &analysis.facts { dt { (fact.label) } dd { (fact.value) } }
            }
            @for warning in &analysis.warnings { p.warning { "Note: " (warning) } }
        }
        p.muted { "Scope " span.mono { (analysis.scope) } }
    }
}

/// Whether `uri` is an http(s) link: a link the chain supplies is made clickable only then (never
/// `javascript:` or `data:`).
fn is_web_link(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|url| matches!(url.scheme(), "https" | "http"))
}
