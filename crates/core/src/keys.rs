/// Documentation of one config key, used by `newsmill stages`, `newsmill validate` and the
/// README's config reference (a test keeps them in step with the config structs).
#[derive(Clone, Copy, Debug)]
pub struct KeyDoc {
    pub name: &'static str,
    /// "string", "integer", "float", "boolean", "list of strings", ...
    pub kind: &'static str,
    /// The default as it would be written in TOML.
    pub default: &'static str,
    /// Allowed values, when the key takes one of a fixed set.
    pub choices: &'static [&'static str],
    pub doc: &'static str,
}

/// Documentation of one stage type.
#[derive(Clone, Copy, Debug)]
pub struct StageDoc {
    pub kind: &'static str,
    pub summary: &'static str,
    pub keys: &'static [KeyDoc],
}
