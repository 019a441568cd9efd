//! The registry's custom errors in words: what the wallet and the website's relayer say when the registry
//! refuses a message.

use crate::VaultRegistry::VaultRegistryErrors;

/// The registry's refusal `e` in words a person can act on.
pub fn words(e: &VaultRegistryErrors) -> String {
    use VaultRegistryErrors as E;
    match e {
        E::InvalidSignature(x) => format!(
            "the signature is not vault {}'s owner's ({})",
            x.vaultId, x.owner
        ),
        E::InvalidNonce(x) => format!(
            "the signature's nonce was used, cancelled or is out of order (vault {}'s next nonce is {})",
            x.vaultId, x.current
        ),
        E::SignatureExpired(x) => format!(
            "the signature expired at {}",
            crate::clock::format_time(x.deadline.saturating_to())
        ),
        E::VaultNotFound(x) => format!("there is no vault {}", x.vaultId),
        E::NotVaultOwner(x) => format!("{} does not own vault {}", x.caller, x.vaultId),
        E::GrantNotFound(x) => format!(
            "{} has no live grant for that scope on vault {}",
            x.grantee, x.vaultId
        ),
        E::InvalidExpiry(x) => format!(
            "expiry {} is in the past or later than requested",
            crate::clock::format_time(x.expiry)
        ),
        E::MeasurementNotApproved(x) => {
            format!("that measurement is not approved for vault {}", x.vaultId)
        }
        E::MeasurementAlreadyApproved(x) => format!(
            "that measurement is already approved for vault {}",
            x.vaultId
        ),
        E::InvalidTool(_) => "a tool's identity (its manifest's hash) cannot be zero".into(),
        E::ToolNotApproved(x) => format!("tool {} is not installed in vault {}", x.tool, x.vaultId),
        E::ToolAlreadyApproved(x) => format!(
            "tool {} is already installed in vault {}",
            x.tool, x.vaultId
        ),
        other => format!("{other:?}"),
    }
}
