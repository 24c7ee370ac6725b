//! Maintainer tasks of the auth-client workspace, as a library so that tests can call them.

#![deny(missing_docs)]

use std::path::PathBuf;

pub mod codegen;
pub mod new_vendor;

/// The workspace root (the parent of this crate's folder).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one folder below the workspace root")
        .to_path_buf()
}
