#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| avisa_fuzz::ses_event(data));
