//! The phone authenticator's core, compiled to WebAssembly for the app's web shell: everything that touches
//! a key, a signature or a check runs here, in the wallet library the CLI uses; the JavaScript around it
//! draws screens and calls browser APIs (WebAuthn, storage, fetch) only.
//!
//! Secrets cross into this module by value (`Vec<u8>`, `String`) so that they are zeroized here once used;
//! the only secret that leaves it is the recovery words, shown once when they are made and again only on an
//! explicit export.

mod error;
mod explain;
mod inbox;
mod owner;
mod pairing;
mod settings;
mod wallet;

pub use error::AppError;
pub use explain::explain_typed_data;
pub use inbox::{Inbox, Review};
pub use owner::{Owner, Signing};
pub use pairing::Pairing;
pub use wallet::Wallet;

use wasm_bindgen::prelude::*;

/// Runs once when the module loads: a panic in the core is logged with its message (it still aborts the
/// call; the shell shows the error).
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The core's version, so the shell can show which build it runs.
#[wasm_bindgen(js_name = coreVersion)]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Unix seconds now, by the protocol's clock (in a browser, the phone's own: the owner's device decides its
/// time).
fn now() -> Result<u64, AppError> {
    dnavault_protocol::clock::unix_now().map_err(|e| AppError::Internal(e.to_string()))
}

/// `work` as a JavaScript promise: its value, or its error as a JavaScript `Error`.
fn promise(work: impl Future<Output = Result<JsValue, AppError>> + 'static) -> js_sys::Promise {
    wasm_bindgen_futures::future_to_promise(async move { work.await.map_err(JsValue::from) })
}

/// A value as a plain JavaScript object (objects, not `Map`s), the way the shell reads JSON.
fn to_js<T: serde::Serialize>(value: &T) -> Result<JsValue, AppError> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| AppError::Internal(e.to_string()))
}
