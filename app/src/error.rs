//! What the core tells the shell when something fails: a sentence the person can act on.

use wasm_bindgen::JsValue;

/// Why a call into the core failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A wallet operation failed (its message says what and where).
    #[error(transparent)]
    Wallet(#[from] dnavault_wallet::WalletError),
    /// A key or keystore operation failed.
    #[error(transparent)]
    Key(#[from] dnavault_keys::KeyError),
    /// The shell passed something the core cannot read.
    #[error("{what}: {reason}")]
    Input {
        /// Which input.
        what: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// The relay could not be reached, or answered wrongly.
    #[error("the relay: {0}")]
    Relay(String),
    /// Converting a result for JavaScript failed (a bug).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<AppError> for JsValue {
    fn from(error: AppError) -> Self {
        js_sys_error(&error.to_string())
    }
}

fn js_sys_error(message: &str) -> JsValue {
    wasm_bindgen::JsError::new(message).into()
}
