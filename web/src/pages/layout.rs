//! What every page shares: the document, the site's header, and how values are shown (times, addresses,
//! statuses).

use maud::{DOCTYPE, Markup, html};

/// A whole page titled `title` around `body`.
pub(crate) fn page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · DNA Vault" }
                link rel="stylesheet" href="/assets/site.css";
            }
            body {
                header.site {
                    nav aria-label="Site" {
                        a.brand href="/" { "DNA Vault" }
                        a href="/" { "Vaults" }
                        a href="/requests" { "Access requests" }
                        a href="/dashboard" { "Your vaults" }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// Unix seconds as a UTC date and time.
pub(crate) fn time(seconds: u64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    i64::try_from(seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("{seconds} (Unix seconds)"))
}

/// A status as a badge whose colour says good, waiting or over.
pub(crate) fn badge(status: &str) -> Markup {
    html! { span class={ "badge " (status) } { (status) } }
}

/// An address, checksummed, in a monospace font.
pub(crate) fn address(address: &alloy::primitives::Address) -> Markup {
    html! { span.mono { (address.to_checksum(None)) } }
}
