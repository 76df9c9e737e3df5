#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| avisa_fuzz::billing_event(data));
