#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| avisa_fuzz::http_body(data));
