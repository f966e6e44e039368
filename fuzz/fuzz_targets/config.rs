//! The pipeline.toml parser with the built-in stage registry: any text is a config or a list
//! of problems that point inside it, never a panic.
#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use newsmill_driver::Registry;

fuzz_target!(|data: &[u8]| {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    let registry = REGISTRY.get_or_init(Registry::builtin);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) =
        newsmill_driver::config::parse(text, "fuzz.toml", PathBuf::from("."), registry)
    {
        assert!(!problems.is_empty());
        let lines = text.split('\n').count();
        for p in &problems {
            assert!(!p.message.is_empty(), "{p:?}");
            assert!(p.line <= lines, "{p:?} is past the last line {lines}");
        }
    }
});
