//! The researcher's access request: the form (analysis and purpose chosen in words), and the review that
//! says what the request asks and how to file it.

use alloy::primitives::Address;
use maud::{Markup, html};

use super::layout::{page, time};
use crate::request_form::{Built, analyses, duo_terms};

/// The form, for vault `vault` (if known), with `error` from a previous try.
pub(crate) fn form(vault: Option<u64>, error: Option<&str>) -> Markup {
    page(
        "Request access",
        html! {
            h1 { "Request access to a vault" }
            p { "The request is public on-chain: its analysis, purpose and protocol. The vault's owner reads it in words in their wallet and grants it, or not." }
            @if let Some(error) = error { p.warning role="alert" { (error) } }
            form method="post" action="/requests/new" {
                label for="vault" { "Vault" }
                input #vault name="vault" type="number" min="1" required value=[vault];
                label for="analysis" { "Analysis" }
                select #analysis name="analysis" required {
                    @for (value, name) in analyses() { option value=(value) { (name) } }
                }
                label for="descriptor" { "Your own analysis descriptor (JSON), if you chose it" }
                textarea #descriptor name="descriptor" rows="4" cols="60" {}
                label for="permission" { "What the data will be used for" }
                select #permission name="permission" required {
                    @for (number, short, label) in duo_terms(true) {
                        option value=(number) { (label) " (" (short) ")" }
                    }
                }
                label for="disease" { "The disease, for disease-specific research (a MONDO id)" }
                input #disease name="disease" type="text" placeholder="MONDO:0007254";
                fieldset {
                    legend { "Conditions you accept" }
                    @for (number, short, label) in duo_terms(false) {
                        label.muted {
                            input type="checkbox" name="modifier" value=(number);
                            " " (label) " (" (short) ")"
                        }
                    }
                }
                label for="days" { "For how many days" }
                input #days name="days" type="number" min="1" max="3650" value="90" required;
                label for="protocol_uri" { "Where your research protocol is published" }
                input #protocol_uri name="protocol_uri" type="url" placeholder="https://…" required;
                label for="protocol_hash" { "Its keccak256 (dnavault-wallet computes it from the file too)" }
                input #protocol_hash name="protocol_hash" type="text" placeholder="0x…" required;
                div { button type="submit" { "Review the request" } }
            }
        },
    )
}

/// The request a pasted signed transaction filed.
pub(crate) fn filed(filed: &crate::filing::Filed) -> Markup {
    page(
        "Request filed",
        html! {
            h1 { "Access request " (filed.request_id) " is filed" }
            section.card {
                dl.facts {
                    dt { "Vault" } dd { a href={ "/vaults/" (filed.vault_id) } { (filed.vault_id) } }
                    dt { "Researcher" } dd.mono { (filed.researcher.to_checksum(None)) }
                    dt { "Transaction" } dd.mono { (filed.transaction) }
                    dt { "Block" } dd { (filed.block) }
                }
            }
            p { "The vault's owner sees it on their dashboard and answers it from their wallet. Its page shows its status once the index has read that block: "
                a href={ "/requests/" (filed.request_id) } { "request " (filed.request_id) } "." }
        },
    )
}

/// The request in words, and how to file it: the wallet command, or a browser wallet.
pub(crate) fn review(built: &Built, registry: Address) -> Markup {
    let words = built.descriptor.words();
    let descriptor = serde_json::to_string_pretty(&built.descriptor).unwrap_or_default();
    let data = built.calldata().to_string();
    page(
        "Review the request",
        html! {
            h1 { "Your request, in words" }
            section.card {
                dl.facts {
                    dt { "Vault" } dd { (built.vault) }
                    @for (label, value) in &words.facts { dt { (label) } dd { (value) } }
                    dt { "Purpose" } dd { (built.purpose.describe()) }
                    dt { "Until" } dd { (time(built.expiry)) " (" (built.days) " days)" }
                    dt { "Protocol" } dd { (built.protocol_uri) br; span.mono { (built.protocol_hash) } }
                    dt { "Scope" } dd.mono { (built.descriptor.scope()) }
                }
                @for warning in &words.warnings { p.warning { "Note: " (warning) } }
            }
            h2 { "File it with dnavault-wallet" }
            p { "Save the analysis as " code { "request.json" } ":" }
            pre.command #descriptor-json { (descriptor) }
            p { "and run (it shows you the request in words before signing, and checks the protocol file's hash):" }
            pre.command {
                "dnavault-wallet request-access --vault " (built.vault) " --descriptor request.json --purpose "
                (built.purpose_code()) " --expiry " (built.days) "d --protocol-file PROTOCOL --protocol-uri "
                (built.protocol_uri) " --index N"
            }
            h2 { "Or sign it with dnavault-wallet and file it here" }
            p { "Add " code { "--sign-only" } " to the command: the wallet signs the transaction without sending it. Paste what it prints; this website checks it files exactly this kind of request to this registry, then broadcasts it. Your account pays its gas." }
            form method="post" action="/requests/file" {
                label for="signed" { "The signed transaction (0x…)" }
                textarea #signed name="signed" rows="4" cols="60" required {}
                div { button type="submit" { "File the signed request" } }
            }
                        h2 { "Or with your browser wallet" }
            p #wallet-status.muted role="status" {}
            button #file-with-wallet type="button" data-to=(registry.to_checksum(None)) data-data=(data) {
                "File with my browser wallet"
            }
            script src="/assets/request.js" defer {}
        },
    )
}
