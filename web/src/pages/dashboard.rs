//! Sign-in and the owner's dashboard: their vaults, the requests waiting for them, their live grants and
//! their vaults' anchored receipts, with what to sign for each in their wallet.

use alloy::primitives::Address;
use maud::{Markup, html};

use super::layout::{address, badge, page, time};
use crate::{auth::Challenge, db::read::VaultDetail};

/// The first step: whose address signs in.
pub(crate) fn ask_address() -> Markup {
    page(
        "Sign in",
        html! {
            h1 { "Sign in with Ethereum" }
            p { "Owners sign in with the address that owns their vaults. Signing in allows no transaction and no access to any data." }
            p #wallet-status.muted role="status" {}
            button #use-wallet type="button" { "Use my browser wallet" }
            form method="get" action="/signin" {
                label for="address" { "Or type your address" }
                input #address name="address" type="text" inputmode="text" autocomplete="off"
                    placeholder="0x…" size="44" required;
                " " button type="submit" { "Continue" }
            }
            script src="/assets/signin.js" defer {}
        },
    )
}

/// The second step: the message to sign, by browser wallet or by `dnavault-wallet`.
pub(crate) fn sign(challenge: &Challenge, signer: &Address) -> Markup {
    page(
        "Sign in",
        html! {
            h1 { "Sign in with Ethereum" }
            p { "Sign this message with " (address(signer)) ". It proves you hold the address; it allows no transaction and no access to your data, and it works once, within ten minutes." }
            pre #siwe-message.command data-address=(signer.to_checksum(None)) { (challenge.message) }
            p #wallet-status.muted role="status" {}
            button #sign-with-wallet type="button" { "Sign with my browser wallet" }
            h2 { "Or with dnavault-wallet" }
            p { "Save the message above as " code { "signin.txt" } " and run:" }
            pre.command { "dnavault-wallet sign-message --index N --file signin.txt" }
            form #signin method="post" action="/signin" {
                input type="hidden" name="message" value=(challenge.message);
                label for="signature" { "Then paste the signature it prints" }
                textarea #signature name="signature" rows="3" cols="70" required placeholder="0x…" {}
                div { button type="submit" { "Sign in" } }
            }
            script src="/assets/signin.js" defer {}
        },
    )
}

/// The owner's phone authenticator, as the dashboard shows it.
pub(crate) enum Phone {
    /// This website serves no app.
    NotServed,
    /// No inbox is paired: the app at `link` pairs one.
    Unpaired {
        /// The app's pairing link (`https://website/app/#pair`).
        link: String,
    },
    /// The owner's newest inbox.
    Paired(dnavault_relay::SignedRegistration),
}

/// The dashboard of `owner`, who owns `vaults`, with their `phone`.
pub(crate) fn dashboard(owner: &Address, vaults: &[VaultDetail], phone: &Phone) -> Markup {
    page(
        "Your vaults",
        html! {
            h1 { "Your vaults" }
            p { "Signed in as " (address(owner)) "." }
            form method="post" action="/signout" { button type="submit" { "Sign out" } }
            (phone_section(phone))
            @if vaults.is_empty() { p { "This address owns no vault in the registry." } }
            @for vault in vaults { (vault_section(vault)) }
        },
    )
}

fn phone_section(phone: &Phone) -> Markup {
    html! {
        @match phone {
            Phone::NotServed => {},
            Phone::Unpaired { link } => section.card #pair-phone aria-labelledby="pair-heading" {
                h2 #pair-heading { "Pair your phone" }
                p { "Your vaults ask your phone before they start, before a query that needs your approval runs and before their code changes. Scan this with your phone's camera, or open the link on it: the app shows what it signs before you tap." }
                div.qr { (qr_svg(link)) }
                p { a href=(link) { (link) } }
            },
            Phone::Paired(inbox) => section.card #pair-phone aria-labelledby="pair-heading" {
                h2 #pair-heading { "Your phone" }
                p.verdict.pass role="status" {
                    "Paired: your authenticator's inbox " span.mono { (inbox.topic()) }
                    " was registered " (time(inbox.registration.issuedAt)) "."
                }
                p { "In the app, " em { "Your vaults" } " grants the access requests below, revokes grants and reads each vault's audit log: sealed to your phone, which checks it under your key (this website only carries it)." }
            },
        }
    }
}

/// `text` as a QR code, inline SVG.
fn qr_svg(text: &str) -> Markup {
    use qrcode::{QrCode, render::svg};
    match QrCode::new(text.as_bytes()) {
        Ok(code) => maud::PreEscaped(
            code.render::<svg::Color<'_>>()
                .min_dimensions(220, 220)
                .dark_color(svg::Color("#0b3d2e"))
                .light_color(svg::Color("#ffffff"))
                .build(),
        ),
        Err(error) => {
            html! { p.warning { "No QR code for this link (" (error.to_string()) "): open the link instead." } }
        }
    }
}

fn vault_section(vault: &VaultDetail) -> Markup {
    let id = vault.summary.id;
    let pending: Vec<_> = vault
        .requests
        .iter()
        .filter(|r| r.status == "pending")
        .collect();
    let live: Vec<_> = vault.grants.iter().filter(|g| g.status == "live").collect();
    html! {
        section.card aria-labelledby={ "vault-" (id) } {
            h2 id={ "vault-" (id) } { a href={ "/vaults/" (id) } { "Vault " (id) } }
            p.muted { (vault.summary.uri) }
            h3 { "Waiting for you (" (pending.len()) ")" }
            @if pending.is_empty() { p { "No access request is waiting." } }
            @for request in &pending {
                article.card {
                    h3 { (badge("pending")) a href={ "/requests/" (request.id) } { "Request " (request.id) } " from " (address(&request.researcher)) }
                    (super::requests::analysis(&request.analysis))
                    p { "Purpose: " (request.purpose.words) }
                    p { "Until " (time(request.requested_expiry)) }
                    @if request.analysis.unreadable.is_none() {
                        p { "To grant it as asked, your wallet shows it to you in words first:" }
                        pre.command { "dnavault-wallet grant --from-request " (request.id) " --index N --send" }
                    }
                    p { "To deny it:" }
                    pre.command { "dnavault-wallet deny-request --request " (request.id) " --index N --send" }
                }
            }
            h3 { "Live grants (" (live.len()) ")" }
            @if live.is_empty() { p { "No researcher has live access." } }
            @for grant in &live {
                article.card {
                    h3 { (badge("live")) (address(&grant.grantee)) }
                    (super::requests::analysis(&grant.analysis))
                    p { "Purpose: " (grant.purpose.words) " · until " (time(grant.expiry)) }
                    p { "To revoke it, sign a revocation (the descriptor is the grant's analysis file):" }
                    pre.command {
                        "dnavault-wallet revoke --vault " (id) " --grantee " (grant.grantee.to_checksum(None))
                        " --descriptor DESCRIPTOR.json --index N"
                    }
                    p.muted { "Without --send it prints the signed revocation: give it to " a href="/relay" { "the relayer" } " and you pay no gas." }
                }
            }
            h3 { "What happened to your data" }
            p {
                (vault.receipt_batches.iter().map(|b| b.receipt_hashes.len()).sum::<usize>())
                " query receipts anchored in " (vault.receipt_batches.len()) " batches"
                @if let Some(head) = &vault.audit_head { "; your audit log is anchored through entry " (head.seq) }
                ". " a href={ "/vaults/" (id) "#receipts" } { "See them" }
                ", or read the whole log with " code { "dnavault-wallet audit" } "."
            }
        }
    }
}

/// The relayer's page: paste a signed message, and what became of the last one.
pub(crate) fn relay(account: Option<Address>, relayed: Option<&crate::relayer::Relayed>) -> Markup {
    page(
        "Relayer",
        html! {
            h1 { "Submit a signed message" }
            @if let Some(done) = relayed {
                p.verdict.pass role="status" {
                    (done.kind) " for vault " (done.vault_id) " submitted in transaction "
                    span.mono { (done.transaction) } ", block " (done.block) "."
                }
            }
            @match account {
                None => p.warning { "This website runs no relayer: submit messages yourself with --send." },
                Some(account) => {
                    p {
                        "Paste a grant, revocation or code approval your wallet signed (dnavault-wallet without "
                        code { "--send" } " prints it). The website submits it from its account "
                        (address(&account)) " so you pay no gas. It only submits messages the vault's owner signed."
                    }
                    form method="post" action="/relay" {
                        label for="signed" { "The signed message (JSON)" }
                        textarea #signed name="signed" rows="10" cols="70" required {}
                        div { button type="submit" { "Submit" } }
                    }
                }
            }
        },
    )
}
