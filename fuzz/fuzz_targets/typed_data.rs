#![no_main]

libfuzzer_sys::fuzz_target!(init: dnavault_fuzz::quiet_panics(), |data: &[u8]| {
    dnavault_fuzz::typed_data(data);
});
