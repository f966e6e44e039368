use std::path::PathBuf;

/// Why an export stage could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("invalid export config: {}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error("cannot create output directory {path}: {source}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("output directory {path} is not writable: {source}")]
    NotWritable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
