#![no_main]

libfuzzer_sys::fuzz_target!(init: dnavault_fuzz::quiet_panics(), |data: &[u8]| {
    dnavault_fuzz::genome_file(data);
});
