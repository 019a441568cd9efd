//! UniFFI's binding generator, at the version the library is built with:
//! `uniffi-bindgen generate --library target/debug/libdnavault_native.so --language kotlin --out-dir DIR`.

fn main() {
    uniffi::uniffi_bindgen_main();
}
