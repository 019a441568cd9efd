//! The phone authenticator's core, compiled to WebAssembly for the app's web shell: everything that touches
//! a key, a signature or a check runs here, in the wallet library the CLI uses; the JavaScript around it
//! draws screens and calls browser APIs (WebAuthn, storage, fetch) only.
//!
//! Secrets cross into this module by value (`Vec<u8>`, `String`) so that they are zeroized here once used;
//! the only secret that leaves it is the recovery words, shown once when they are made and again only on an
//! explicit export.

mod error;
mod explain;
mod pairing;
mod wallet;

pub use error::AppError;
pub use explain::explain_typed_data;
pub use pairing::Pairing;
pub use wallet::Wallet;

use wasm_bindgen::prelude::*;

/// The core's version, so the shell can show which build it runs.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Unix seconds now, by the browser's clock (the phone's own: the owner's device decides its time).
fn unix_now() -> u64 {
    #[cfg(target_arch = "wasm32")]
    let millis = js_sys::Date::now();
    #[cfg(not(target_arch = "wasm32"))]
    let millis = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
    (millis / 1000.0) as u64
}

/// A value as a plain JavaScript object (objects, not `Map`s), the way the shell reads JSON.
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, AppError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| AppError::Internal(e.to_string()))
}
