//! The `newsmill` command: all logic lives in `crates/driver`.
fn main() -> std::process::ExitCode {
    newsmill_driver::main()
}
