//! Feeds arbitrary bytes to every response and error decoder of the three crates.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    workspace_tests::decode_every_response(bytes);
});
