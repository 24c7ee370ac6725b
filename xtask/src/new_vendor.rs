//! `cargo xtask new-vendor NAME --spec FILE`: scaffolds a vendor crate around a spec.
//!
//! It writes `openapi/NAME.yaml` (the spec, with an `x-rust` block naming the crate), the crate
//! `crates/NAME-auth/` (manifest, `lib.rs`, README, CHANGELOG, and a smoke test of one operation
//! against a mock server in `tests/smoke.rs`), adds the crate to the workspace's members and
//! dependencies, and generates its code. CI needs no entry of its own: its steps run
//! over the whole workspace and over every spec in `openapi/`.

use std::fs;
use std::path::{Path, PathBuf};

use crate::codegen::{self, CodegenError};

/// What `new-vendor` wrote, relative to the workspace root.
#[derive(Debug, Clone)]
pub struct Scaffold {
    /// The crate's name (`NAME-auth`).
    pub crate_name: String,
    /// Every file written or changed.
    pub written: Vec<PathBuf>,
}

/// Scaffolds vendor `name` from the spec at `spec` in the workspace at `root`.
pub fn new_vendor(root: &Path, name: &str, spec: &Path) -> Result<Scaffold, CodegenError> {
    let fail = |location: &str, message: String| CodegenError::one(name, location, message);
    if !name.starts_with(|c: char| c.is_ascii_lowercase())
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(fail(
            "",
            "a vendor name is lowercase ASCII letters, digits and `-`, starting with a letter"
                .into(),
        ));
    }
    let crate_name = format!("{name}-auth");
    let spec_path = PathBuf::from(codegen::SPECS_DIR).join(format!("{name}.yaml"));
    let crate_dir = PathBuf::from("crates").join(&crate_name);
    for taken in [&spec_path, &crate_dir] {
        if root.join(taken).exists() {
            return Err(fail("", format!("{} exists already", taken.display())));
        }
    }
    let text = fs::read_to_string(spec)
        .map_err(|err| fail("", format!("cannot read {}: {err}", spec.display())))?;
    let text = with_x_rust(&text, &crate_name).map_err(|message| fail("", message))?;
    // The spec must generate before anything is written. What it leaves out is said, and the
    // spec is marked as allowed to (`allow-warnings`) until it is rewritten in our words.
    let generated =
        codegen::generate_api(&spec_path.display().to_string(), name, &text, spec.parent())?;
    let text = if generated.warnings.is_empty() {
        text
    } else {
        for warning in &generated.warnings {
            eprintln!(
                "warning: {} at {}: {}",
                spec.display(),
                warning.location,
                warning.message
            );
        }
        allow_warnings(&text)
    };
    let title = spec_title(&text).unwrap_or_else(|| name.to_owned());
    let module = crate_name.replace('-', "_");
    let smoke_test = match &generated.smoke_test {
        Some(test) => Some(test.render(&module)),
        None => {
            eprintln!(
                "note: no operation of {} takes only arguments a test can write: \
                 {crate_name} has no smoke test",
                spec.display()
            );
            None
        }
    };

    let manifest_path = root.join("Cargo.toml");
    let manifest = fs::read_to_string(&manifest_path)
        .map_err(|err| fail("", format!("cannot read Cargo.toml: {err}")))?;
    let manifest =
        with_member(&manifest, name, &crate_name).map_err(|message| fail("", message))?;

    let files = [
        (spec_path.clone(), text),
        (
            crate_dir.join("Cargo.toml"),
            crate_manifest(&crate_name, &title),
        ),
        (crate_dir.join("src/lib.rs"), lib_rs(&crate_name, &title)),
        (crate_dir.join("README.md"), readme(&crate_name, &title)),
        (crate_dir.join("CHANGELOG.md"), changelog(&crate_name)),
        (PathBuf::from("Cargo.toml"), manifest),
    ]
    .into_iter()
    .chain(smoke_test.map(|test| (crate_dir.join("tests/smoke.rs"), test)));
    let mut written = Vec::new();
    for (path, contents) in files {
        let full = root.join(&path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent)
                .map_err(|err| fail("", format!("cannot create {}: {err}", parent.display())))?;
        }
        fs::write(&full, contents)
            .map_err(|err| fail("", format!("cannot write {}: {err}", path.display())))?;
        written.push(path);
    }
    if written.iter().any(|path| path.ends_with("tests/smoke.rs")) {
        format_in_place(&root.join(&crate_dir).join("tests/smoke.rs"));
    }
    written.extend(codegen::write(root)?);
    Ok(Scaffold {
        crate_name,
        written,
    })
}

/// Formats a written Rust file with `rustfmt` where it is installed (the workspace's `cargo fmt
/// --check` then passes); without it, the file stays as written, which is formatted already
/// in all but long lines.
fn format_in_place(file: &Path) {
    let formatted = std::process::Command::new("rustfmt")
        .args(["--edition", "2024"])
        .arg(file)
        .status();
    if !formatted.is_ok_and(|status| status.success()) {
        eprintln!("note: rustfmt did not format {}", file.display());
    }
}

/// The spec's text with `x-rust: {crate: ..}` appended at its top level, unless it has one. A
/// JSON spec is written out as YAML first (JSON is YAML, but appending to it is not).
fn with_x_rust(text: &str, crate_name: &str) -> Result<String, String> {
    let value: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|err| format!("the spec is not YAML: {err}"))?;
    if value.get("x-rust").is_some() {
        return Ok(text.to_owned());
    }
    let mut text = if text.trim_start().starts_with('{') {
        serde_yaml_ng::to_string(&value).map_err(|err| err.to_string())?
    } else {
        text.to_owned()
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "# Where `cargo xtask codegen` writes this spec's code: crates/<crate>/src/generated/.\n\
         x-rust:\n  crate: {crate_name}\n"
    ));
    Ok(text)
}

/// The spec with `allow-warnings: true` in its `x-rust` block.
fn allow_warnings(text: &str) -> String {
    let line = "  # What the generator leaves out of this spec: `cargo xtask check-spec` lists it.\n  \
                allow-warnings: true\n";
    if text.ends_with('\n')
        && text[..text.len() - 1]
            .rsplit('\n')
            .next()
            .is_some_and(|last| last.starts_with("  crate: "))
    {
        return format!("{text}{line}");
    }
    let Ok(mut value) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(text) else {
        return text.to_owned();
    };
    if let Some(serde_yaml_ng::Value::Mapping(rust)) = value.get_mut("x-rust") {
        rust.insert("allow-warnings".into(), true.into());
    }
    serde_yaml_ng::to_string(&value).unwrap_or_else(|_| text.to_owned())
}

fn spec_title(text: &str) -> Option<String> {
    let value: serde_yaml_ng::Value = serde_yaml_ng::from_str(text).ok()?;
    Some(value.get("info")?.get("title")?.as_str()?.to_owned())
}

/// The workspace manifest with the crate among `members`, `default-members` and
/// `[workspace.dependencies]` (after the last crate under `crates/` there).
fn with_member(manifest: &str, name: &str, crate_name: &str) -> Result<String, String> {
    let member = format!("\"crates/{crate_name}\"");
    let mut out = String::with_capacity(manifest.len() + 200);
    let mut added = 0;
    // The last workspace dependency on a crate of ours: the new one goes after it.
    let last_path_dependency = manifest
        .lines()
        .enumerate()
        .filter(|(_, line)| line.contains("= { path = \"crates/"))
        .map(|(number, _)| number)
        .last();
    for (number, line) in manifest.lines().enumerate() {
        if line.starts_with("members = [") || line.starts_with("default-members = [") {
            // Before the first entry that is not a crate under `crates/`.
            let Some(open) = line.find('[') else {
                return Err(format!("cannot read `{line}`"));
            };
            let entries: Vec<&str> = line[open + 1..]
                .trim_end_matches(']')
                .split(',')
                .map(str::trim)
                .filter(|entry| !entry.is_empty())
                .collect();
            let at = entries
                .iter()
                .position(|entry| !entry.starts_with("\"crates/"))
                .unwrap_or(entries.len());
            let mut entries: Vec<String> = entries.iter().map(|e| (*e).to_owned()).collect();
            entries.insert(at, member.clone());
            out.push_str(&format!("{}[{}]\n", &line[..open], entries.join(", ")));
            added += 1;
            continue;
        }
        out.push_str(line);
        out.push('\n');
        if Some(number) == last_path_dependency {
            out.push_str(&format!(
                "{crate_name} = {{ path = \"crates/{crate_name}\", version = \"0.1.0\" }}\n"
            ));
            added += 1;
        }
    }
    if added != 3 {
        return Err(format!(
            "Cargo.toml: expected one-line `members` and `default-members` lists and a \
             workspace dependency on a crate under `crates/`; add {name} by hand"
        ));
    }
    Ok(out)
}

fn crate_manifest(crate_name: &str, title: &str) -> String {
    format!(
        r#"[package]
name = "{crate_name}"
description = "Typed Rust client of the {title}."
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
readme = "README.md"
categories = ["api-bindings", "authentication", "web-programming::http-client"]

[features]
default = ["rustls"]
## TLS through rustls with the ring provider.
rustls = ["auth-core/rustls"]
## TLS through the platform library (OpenSSL on Linux).
native-tls = ["auth-core/native-tls"]
## A `tracing` span per operation call (no bodies, no secrets).
tracing = ["auth-core/tracing"]
## `Client::token_middleware()`, for users of `reqwest-middleware`.
middleware = ["auth-core/middleware"]
## `KeyringTokenStore`: tokens in the OS credential store.
keyring = ["auth-core/keyring"]
## `RedisTokenStore`: tokens shared by a fleet.
redis = ["auth-core/redis"]

[dependencies]
auth-core.workspace = true
serde.workspace = true
serde_json.workspace = true

[dev-dependencies]
httpmock.workspace = true
tokio = {{ workspace = true, features = ["macros", "rt-multi-thread"] }}

[lints]
workspace = true
"#
    )
}

fn lib_rs(crate_name: &str, title: &str) -> String {
    let module = crate_name.replace('-', "_");
    format!(
        r#"//! A typed client of the {title}.
//!
//! Every operation is a method of the [`operations`] group of its tag, named after its
//! operationId, with typed requests ([`models`]) and a typed error per operation ([`errors`]).
//! Flows (logins, token providers) go in modules of their own beside this file, named as the
//! workspace README's flow vocabulary names them.
//!
//! ```no_run
//! use {module}::{{Client, Credentials}};
//!
//! # fn run() -> Result<(), Box<dyn std::error::Error>> {{
//! let client = Client::new(Credentials::None)?;
//! # let _ = client;
//! # Ok(())
//! # }}
//! ```

#![deny(missing_docs)]

#[rustfmt::skip]
mod generated;

#[cfg(feature = "keyring")]
pub use auth_core::KeyringTokenStore;
#[cfg(feature = "redis")]
pub use auth_core::RedisTokenStore;
pub use auth_core::{{
    self, ApiError, ApiErrorKind, AuthorizedRequest, AuthorizedResponse, Credentials, Error,
    ErrorMetadata, FileTokenStore, MemoryTokenStore, Method, RequestError, RetryPolicy, Secret,
    Timeouts, TokenError, TokenErrorKind, TokenProvider, TokenStore,
}};
pub use generated::client::Client;
pub use generated::{{Server, errors, models, operations}};
"#
    )
}

fn readme(crate_name: &str, title: &str) -> String {
    format!(
        "# {crate_name}\n\nA typed Rust client of the {title}, generated from \
         `openapi/{}.yaml` by `cargo xtask codegen` on the `auth-core` runtime.\n",
        crate_name.trim_end_matches("-auth")
    )
}

fn changelog(crate_name: &str) -> String {
    format!(
        "# Changelog of {crate_name}\n\nThe format follows [Keep a Changelog](https://keepachangelog.com/en/1.1.0/); versions follow\n[Semantic Versioning](https://semver.org/).\n\n## [Unreleased]\n\n### Added\n- The crate, generated from `openapi/{}.yaml`.\n",
        crate_name.trim_end_matches("-auth")
    )
}
