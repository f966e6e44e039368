//! newsmill's shared vocabulary.
//!
//! Every stage crate depends on this crate and on no other stage crate. It defines the
//! [`Document`] that flows through the pipeline, what stages attach to it, the [`Stage`]
//! contract (observe → decide → apply), the [`Rejection`] rows for inputs that could not
//! become articles, and the key descriptions that drive `newsmill stages` and the README.

mod document;
mod keys;
mod publish;
mod stage;
mod text;

pub use document::*;
pub use keys::*;
pub use publish::publish;
pub use stage::*;
pub use text::*;
