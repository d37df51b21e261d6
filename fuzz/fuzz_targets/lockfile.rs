#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| rpmlock_core::fuzzing::lockfile(data));
