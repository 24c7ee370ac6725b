//! `cargo xtask generate`: any OpenAPI spec to a standalone crate, outside the workspace, that
//! depends on this workspace's `auth-core` by path.
//!
//! The crate is the generated files under `src/generated/`, a `lib.rs` that re-exports them and
//! a `Cargo.toml` with a `[workspace]` table of its own, so that it builds wherever it is written.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{CodegenError, generate_api};

/// What `cargo xtask generate` wrote.
#[derive(Debug, Clone)]
pub struct Report {
    /// The crate's folder.
    pub dir: PathBuf,
    /// How many operations the spec has.
    pub operations: usize,
    /// The time to read, lower, emit and format the spec (writing excluded).
    pub codegen: Duration,
    /// What the generator left out or read loosely.
    pub warnings: Vec<super::Problem>,
}

/// Generates the crate `name` from `spec` into `out`, with a path dependency on `auth_core`
/// (the folder of this workspace's `auth-core`). Files the generator wrote before are
/// replaced; nothing else in `out` is touched.
pub fn generate(
    spec: &Path,
    out: &Path,
    name: &str,
    auth_core: &Path,
) -> Result<Report, CodegenError> {
    let spec_name = spec.display().to_string();
    if !is_crate_name(name) {
        return Err(CodegenError::one(
            &spec_name,
            "",
            format!(
                "{name:?} is not a crate name: use ASCII letters, digits, `-` and `_`, starting with a letter"
            ),
        ));
    }
    let text = fs::read_to_string(spec)
        .map_err(|err| CodegenError::one(&spec_name, "", format!("cannot read: {err}")))?;
    let started = Instant::now();
    let file_name = spec
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| spec_name.clone());
    let generated = generate_api(&file_name, name, &text, spec.parent())?;
    let codegen = started.elapsed();

    let io_error = |path: &Path, err: std::io::Error| {
        CodegenError::one(&path.display().to_string(), "", err.to_string())
    };
    let auth_core = fs::canonicalize(auth_core).map_err(|err| io_error(auth_core, err))?;
    let src = out.join("src");
    let generated_dir = src.join("generated");
    fs::create_dir_all(&generated_dir).map_err(|err| io_error(&generated_dir, err))?;
    let mut files = vec![
        (
            out.join("Cargo.toml"),
            manifest(name, &file_name, &auth_core),
        ),
        (src.join("lib.rs"), lib_rs(name, &file_name)),
    ];
    for (file, contents) in generated.files {
        files.push((generated_dir.join(file), contents));
    }
    for (path, contents) in files {
        fs::write(&path, contents).map_err(|err| io_error(&path, err))?;
    }
    Ok(Report {
        dir: out.to_path_buf(),
        operations: generated.operations,
        codegen,
        warnings: generated.warnings,
    })
}

/// Whether `name` is usable as a package name (and, with `-` as `_`, as a crate name).
pub(crate) fn is_crate_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn manifest(name: &str, spec: &str, auth_core: &Path) -> String {
    // TOML basic strings escape `\` and `"`; a path holds no other character that needs it.
    let path = auth_core
        .display()
        .to_string()
        .replace('\\', "\\\\")
        .replace('"', "\\\"");
    format!(
        r#"# Written by `cargo xtask generate` from {spec}.
[package]
name = "{name}"
description = "A client generated from {spec} by `cargo xtask generate`."
version = "0.1.0"
edition = "2024"
publish = false

# A workspace of its own: the crate builds wherever it is written.
[workspace]

[dependencies]
auth-core = {{ path = "{path}" }}
serde = {{ version = "1", features = ["derive"] }}
serde_json = "1"

[features]
## `Client::token_middleware()`, for users of `reqwest-middleware`.
middleware = ["auth-core/middleware"]
## A `tracing` span per operation call.
tracing = ["auth-core/tracing"]

[lints.rust]
missing_docs = "deny"
unsafe_code = "forbid"
"#
    )
}

fn lib_rs(name: &str, spec: &str) -> String {
    format!(
        "//! `{name}`: a client generated from `{spec}` by `cargo xtask generate`.\n\
         //!\n\
         //! [`Client`] has one accessor per tag of the spec; each operation is a method named after\n\
         //! its operationId, with its models in [`models`] and a typed error in [`errors`].\n\
         \n\
         #[rustfmt::skip]\n\
         mod generated;\n\
         \n\
         pub use generated::client::Client;\n\
         pub use generated::{{Server, errors, models, operations}};\n"
    )
}
