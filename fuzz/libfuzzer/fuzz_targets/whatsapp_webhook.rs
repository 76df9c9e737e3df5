#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| avisa_fuzz::whatsapp_webhook(data));
