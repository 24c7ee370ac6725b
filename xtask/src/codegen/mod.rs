//! `cargo xtask codegen`: the specs under `openapi/` to Rust under `crates/<crate>/src/generated/`
//! (the crate each spec's `x-rust` block names), and the generator's fixtures beside their specs.
//!
//! The work goes in four steps: `normalize` reads YAML or JSON and rewrites OpenAPI 3.1 as 3.0;
//! `lower` reads the spec (parsed by `openapiv3`) into a small intermediate form (`ir`), one
//! file per concern (names, schemas, operations, servers), and reports every problem with its
//! JSON pointer; `emit` turns that form into Rust with `quote`, one file per generated file;
//! `prettyplease` formats it. Everything iterates in the spec's own order, so two runs give the
//! same bytes. `standalone` writes any spec as a crate of its own (`cargo xtask generate`).

use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub mod diff;
mod emit;
mod ir;
mod lower;
mod names;
mod normalize;
mod smoke;
pub mod standalone;

pub use smoke::SmokeTest;

/// A spec and where its generated code goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The spec, relative to the workspace root.
    pub spec: String,
    /// The folder of generated code, relative to the workspace root.
    pub out_dir: PathBuf,
    /// Whether the spec may generate with warnings (`x-rust: {allow-warnings: true}`, which
    /// `new-vendor` writes for a spec that has some); otherwise a warning fails `codegen`.
    pub allow_warnings: bool,
}

/// Where the vendors' specs are: every `*.yaml` there is generated into the crate its `x-rust`
/// block names (`x-rust: {crate: emnify-auth}` → `crates/emnify-auth/src/generated/`).
pub const SPECS_DIR: &str = "openapi";

/// The generator's own fixtures: small specs, one per construct, each generated into the folder
/// of its name beside it, and compiled as modules of the `codegen-fixtures` crate there.
pub const FIXTURES_DIR: &str = "xtask/tests/fixtures";

/// Every spec `cargo xtask codegen` generates: the vendors' under [`SPECS_DIR`] and the
/// fixtures under [`FIXTURES_DIR`], each in file-name order.
pub fn targets(root: &Path) -> Result<Vec<Target>, CodegenError> {
    let mut targets = Vec::new();
    for spec in yaml_files(root, SPECS_DIR)? {
        let rust = x_rust(root, &spec)?;
        let allow_warnings = rust
            .as_ref()
            .and_then(|rust| rust.get("allow-warnings")?.as_bool())
            .unwrap_or(false);
        let crate_name = rust
            .as_ref()
            .and_then(|rust| rust.get("crate"))
            .and_then(|name| name.as_str())
            .filter(|name| standalone::is_crate_name(name))
            .map(str::to_owned);
        let Some(crate_name) = crate_name else {
            return Err(CodegenError::one(
                &spec,
                "#/x-rust",
                "name the crate the spec generates: `x-rust: {crate: <name>-auth}` \
                 (`cargo xtask new-vendor` writes it)",
            ));
        };
        targets.push(Target {
            out_dir: Path::new("crates").join(crate_name).join("src/generated"),
            spec,
            allow_warnings,
        });
    }
    for spec in yaml_files(root, FIXTURES_DIR)? {
        let stem = Path::new(&spec)
            .file_stem()
            .map(|stem| stem.to_string_lossy().into_owned())
            .unwrap_or_default();
        let allow_warnings = x_rust(root, &spec)?
            .and_then(|rust| rust.get("allow-warnings")?.as_bool())
            .unwrap_or(false);
        targets.push(Target {
            out_dir: Path::new(FIXTURES_DIR).join(stem),
            spec,
            allow_warnings,
        });
    }
    Ok(targets)
}

/// The `x-rust` block of the spec at `spec` (relative to `root`), if it has one.
fn x_rust(root: &Path, spec: &str) -> Result<Option<serde_json::Value>, CodegenError> {
    let text = fs::read_to_string(root.join(spec))
        .map_err(|err| CodegenError::one(spec, "", format!("cannot read: {err}")))?;
    let read = normalize::read(&text, root.join(spec).parent())
        .map_err(|(location, message)| CodegenError::one(spec, &location, message))?;
    Ok(read.spec.extensions.get("x-rust").cloned())
}

/// The `*.yaml` files of `dir` (relative to `root`), as paths relative to `root`, sorted.
fn yaml_files(root: &Path, dir: &str) -> Result<Vec<String>, CodegenError> {
    let entries = fs::read_dir(root.join(dir))
        .map_err(|err| CodegenError::one(dir, "", format!("cannot list: {err}")))?;
    let mut files: Vec<String> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".yaml"))
        .map(|name| format!("{dir}/{name}"))
        .collect();
    files.sort();
    Ok(files)
}

/// One thing the generator left out or read loosely in a spec: where, what, and how many uses
/// of that place it concerns (a security scheme that every operation names is one problem).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A JSON pointer into the spec (`#/paths/~1user/get/...`), `line L column C`, or empty.
    pub location: String,
    /// What is wrong, and what the generator did instead.
    pub message: String,
    /// How many times the spec met it there (at least 1).
    pub uses: usize,
}

impl Problem {
    fn new(location: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            location: location.into(),
            message: message.into(),
            uses: 1,
        }
    }
}

/// `problems` with each place and message once, counted, in the order first met.
fn tally(problems: impl IntoIterator<Item = Problem>) -> Vec<Problem> {
    let mut tallied: Vec<Problem> = Vec::new();
    let mut index: std::collections::HashMap<(String, String), usize> =
        std::collections::HashMap::new();
    for problem in problems {
        let key = (problem.location.clone(), problem.message.clone());
        match index.get(&key) {
            Some(&at) => tallied[at].uses += problem.uses,
            None => {
                index.insert(key, tallied.len());
                tallied.push(problem);
            }
        }
    }
    tallied
}

/// Why generation failed: every problem found in one spec (or the file that could not be read
/// or written), reported together so that a maintainer fixes them in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError {
    /// The spec file, or the file that could not be read or written.
    pub file: String,
    /// The problems, in the spec's order; at least one.
    pub problems: Vec<Problem>,
}

impl CodegenError {
    pub(crate) fn one(file: &str, location: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_owned(),
            problems: vec![Problem::new(location, message)],
        }
    }
}

impl fmt::Display for CodegenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.problems.len() > 1 {
            writeln!(f, "{}: {} problems", self.file, self.problems.len())?;
        }
        for (index, problem) in self.problems.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            if problem.location.is_empty() {
                write!(f, "{}: {}", self.file, problem.message)?;
            } else {
                write!(
                    f,
                    "{} at {}: {}",
                    self.file, problem.location, problem.message
                )?;
            }
            if problem.uses > 1 {
                write!(f, " ({} uses)", problem.uses)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for CodegenError {}

/// One file the generator writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Relative to the workspace root.
    pub path: PathBuf,
    /// The whole text.
    pub contents: String,
}

/// Generates the files of one of our specs given as text, strictly: anything the generator
/// would leave out or read loosely is an error (our specs must say exactly what they mean).
/// `spec_path` (relative to the current folder, or absolute) is used in headers and errors,
/// and to find the files its `$ref`s name; its file stem names the API in errors.
pub fn generate_spec(spec_path: &str, text: &str) -> Result<Vec<(String, String)>, CodegenError> {
    let api_name = Path::new(spec_path)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default();
    let base = Path::new(spec_path).parent();
    let generated = generate_api(spec_path, &api_name, text, base)?;
    if !generated.warnings.is_empty() {
        return Err(CodegenError {
            file: spec_path.to_owned(),
            problems: generated.warnings,
        });
    }
    Ok(generated.files)
}

/// What one spec generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// File name (such as `models.rs`) and text of each file.
    pub files: Vec<(String, String)>,
    /// How many operations the generated code has (each one a method).
    pub operations: usize,
    /// What was left out or read loosely, each place once (the code generated compiles
    /// without it).
    pub warnings: Vec<Problem>,
    /// A test of one operation against a mock server, for a new crate (`None`: the spec has no
    /// operation whose arguments a test can write).
    pub smoke_test: Option<SmokeTest>,
}

/// Generates the files of one spec given as text, naming the API `api_name` in errors;
/// `$ref`s to other files are read from `base`. Only a document that cannot be read at all
/// is an error; anything else the generator cannot do is left out, with a warning.
pub fn generate_api(
    spec_path: &str,
    api_name: &str,
    text: &str,
    base: Option<&Path>,
) -> Result<Generated, CodegenError> {
    let fail = |location: &str, message: String| CodegenError::one(spec_path, location, message);
    let read =
        normalize::read(text, base).map_err(|(location, message)| fail(&location, message))?;
    let (mut api, problems) = lower::lower(&read.spec);
    api.name = api_name.to_owned();
    let warnings = tally(
        read.notes
            .into_iter()
            .map(|note| Problem::new(note.location, note.message))
            .chain(problems.into_iter().map(Problem::from)),
    );
    let operations = api.groups.iter().map(|group| group.operations.len()).sum();
    let smoke_test = SmokeTest::choose(&api);
    let sha = hex(&Sha256::digest(text.as_bytes()));
    let header = format!(
        "// @generated by `cargo xtask codegen` from {spec_path}\n\
         // spec sha256: {sha}\n\
         // Do not edit: change the spec and run `cargo xtask codegen`.\n\n"
    );
    let files = emit::emit(&api)
        .into_iter()
        .map(|(name, tokens)| {
            let file = syn::parse2::<syn::File>(tokens)
                .map_err(|err| fail("", format!("generated {name} does not parse: {err}")))?;
            Ok((
                name.to_owned(),
                format!("{header}{}", prettyplease::unparse(&file)),
            ))
        })
        .collect::<Result<_, CodegenError>>()?;
    Ok(Generated {
        files,
        operations,
        warnings,
        smoke_test,
    })
}

/// What `cargo xtask spec-diff` found: the differences, and the problems the generator has with
/// the new spec (the parts it could not read are left out of the comparison).
#[derive(Debug, Clone)]
pub struct SpecDiffReport {
    /// The differences.
    pub diff: diff::SpecDiff,
    /// The new spec's problems, if any.
    pub problems: Vec<Problem>,
}

/// Compares `openapi/<vendor>.yaml` with `file`, the vendor's newly published spec.
pub fn spec_diff(root: &Path, vendor: &str, file: &Path) -> Result<SpecDiffReport, CodegenError> {
    let ours_path = format!("{SPECS_DIR}/{vendor}.yaml");
    let (ours, _) = lower_file(&ours_path, &root.join(&ours_path))?;
    let (theirs, problems) = lower_file(&file.display().to_string(), file)?;
    Ok(SpecDiffReport {
        diff: diff::diff(&ours, &theirs),
        problems,
    })
}

/// The spec at `full` lowered as far as it goes, with its problems; `path` names it in errors.
fn lower_file(path: &str, full: &Path) -> Result<(ir::Api, Vec<Problem>), CodegenError> {
    let text = fs::read_to_string(full)
        .map_err(|err| CodegenError::one(path, "", format!("cannot read: {err}")))?;
    let read = normalize::read(&text, full.parent())
        .map_err(|(location, message)| CodegenError::one(path, &location, message))?;
    let (api, problems) = lower::lower(&read.spec);
    Ok((api, tally(problems.into_iter().map(Problem::from))))
}

impl From<lower::LowerError> for Problem {
    fn from(problem: lower::LowerError) -> Self {
        Problem::new(problem.location, problem.message)
    }
}

/// Generates the files of every target under `root`, and the fixtures crate's `lib.rs`.
pub fn generate(root: &Path) -> Result<Vec<GeneratedFile>, CodegenError> {
    let targets = targets(root)?;
    let mut files = Vec::new();
    for target in &targets {
        let text = fs::read_to_string(root.join(&target.spec))
            .map_err(|err| CodegenError::one(&target.spec, "", format!("cannot read: {err}")))?;
        let spec_path = root.join(&target.spec);
        let generated = generate_api(
            &target.spec,
            &api_name_of(&target.spec),
            &text,
            spec_path.parent(),
        )?;
        if !generated.warnings.is_empty() && !target.allow_warnings {
            return Err(CodegenError {
                file: target.spec.clone(),
                problems: generated.warnings,
            });
        }
        for (name, contents) in generated.files {
            files.push(GeneratedFile {
                path: target.out_dir.join(name),
                contents,
            });
        }
    }
    let fixtures: Vec<String> = targets
        .iter()
        .filter(|target| target.out_dir.starts_with(FIXTURES_DIR))
        .filter_map(|target| Some(target.out_dir.file_name()?.to_string_lossy().into_owned()))
        .collect();
    files.push(GeneratedFile {
        path: Path::new(FIXTURES_DIR).join("lib.rs"),
        contents: fixtures_lib(&fixtures),
    });
    Ok(files)
}

/// The API name of a spec: its file stem.
fn api_name_of(spec_path: &str) -> String {
    Path::new(spec_path)
        .file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The fixtures crate's root: one module per fixture.
fn fixtures_lib(fixtures: &[String]) -> String {
    let mut text = String::from(
        "// @generated by `cargo xtask codegen` from xtask/tests/fixtures/*.yaml\n\
         // Do not edit: add a fixture spec and run `cargo xtask codegen`.\n\n\
         //! The generator's fixtures, compiled: one module per spec in `xtask/tests/fixtures/`, each\n\
         //! the code `cargo xtask codegen` generates from it.\n",
    );
    for fixture in fixtures {
        let module = names::snake(fixture);
        text.push_str(&format!(
            "\n/// Generated from `{fixture}.yaml`.\n#[rustfmt::skip]\n#[path = \"{fixture}/mod.rs\"]\npub mod {module};\n"
        ));
    }
    text
}

/// Regenerates and writes every file that changed; removes generated files no spec produces.
/// Returns the paths written or removed.
pub fn write(root: &Path) -> Result<Vec<PathBuf>, CodegenError> {
    let files = generate(root)?;
    let io_error = |path: &Path, err: std::io::Error| {
        CodegenError::one(&path.display().to_string(), "", err.to_string())
    };
    let mut changed = Vec::new();
    for target in targets(root)? {
        let dir = root.join(&target.out_dir);
        fs::create_dir_all(&dir).map_err(|err| io_error(&dir, err))?;
        for stray in stray_files(root, &target.out_dir, &files) {
            fs::remove_file(root.join(&stray)).map_err(|err| io_error(&stray, err))?;
            changed.push(stray);
        }
    }
    for file in files {
        let path = root.join(&file.path);
        if fs::read_to_string(&path).ok().as_deref() != Some(file.contents.as_str()) {
            fs::write(&path, &file.contents).map_err(|err| io_error(&path, err))?;
            changed.push(file.path);
        }
    }
    Ok(changed)
}

/// Compares the generated files on disk with what the specs produce now; returns one unified
/// diff per stale, missing or stray file (empty when all is current).
pub fn check(root: &Path) -> Result<Vec<String>, CodegenError> {
    let files = generate(root)?;
    let mut diffs = Vec::new();
    for file in &files {
        let current = fs::read_to_string(root.join(&file.path)).unwrap_or_default();
        if current != file.contents {
            diffs.push(diff(&file.path, &current, &file.contents));
        }
    }
    for target in targets(root)? {
        for stray in stray_files(root, &target.out_dir, &files) {
            let current = fs::read_to_string(root.join(&stray)).unwrap_or_default();
            diffs.push(diff(&stray, &current, ""));
        }
    }
    Ok(diffs)
}

fn stray_files(root: &Path, out_dir: &Path, files: &[GeneratedFile]) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(root.join(out_dir)) else {
        return Vec::new();
    };
    let mut stray: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| out_dir.join(entry.file_name()))
        .filter(|path| files.iter().all(|file| &file.path != path))
        .collect();
    stray.sort();
    stray
}

fn diff(path: &Path, old: &str, new: &str) -> String {
    let name = path.display().to_string();
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
