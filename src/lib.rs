//! newsmill as a library: build your own binary with extra stages registered next to the
//! built-in ones.
//!
//! ```no_run
//! fn main() -> std::process::ExitCode {
//!     newsmill::run_with(Vec::new())
//! }
//! ```
//!
//! See `examples/custom-stage` for a complete stage.

pub use newsmill_core as core;
pub use newsmill_driver::{Registry, StageFactory, Typed, registry::boxed, run_with};
