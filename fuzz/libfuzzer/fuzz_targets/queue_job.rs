#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| avisa_fuzz::queue_job(data));
