//! How the crates are put together, and what the README says of them: auth-core's parts
//! depend on one another one way (no cycle among its top-level modules, a file `src/x.rs` or a
//! folder `src/x/`, counting paths through the crate root's re-exports: `crate::Stored` is a use
//! of the module that defines it; doc links do not count); no two public types of a crate share
//! a name (a token provider at the root and a request body in `models` once did); and the
//! README's flow table names only what each crate has. auth-core's parts also keep to their
//! layers (secret, error, retry, token, transport, then what is built on the transport). Every
//! feature-gated public item names its feature, and every documented example runs.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The first segment of every path that starts with `crate::` in `text`, braces included
/// (`crate::{a::X, b}` names `a` and `b`).
fn crate_paths(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let mut end = 0;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    _ => {}
                }
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            let mut depth = 0;
            let mut start = 0;
            let inner = &group[..end];
            for (i, c) in inner.char_indices().chain([(inner.len(), ',')]) {
                match c {
                    '{' => depth += 1,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        let item = inner[start..i].trim();
                        let first = item.split("::").next().unwrap_or("").trim();
                        if !first.is_empty() {
                            names.push(first.to_owned());
                        }
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.push(name);
        }
    }
    names
}

#[test]
fn auth_core_has_no_module_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/auth-core/src");
    let lib = fs::read_to_string(src.join("lib.rs")).unwrap();
    // The root's re-exports: `pub use module::{A, B}` makes `crate::A` a use of `module`.
    let mut exported: BTreeMap<String, String> = BTreeMap::new();
    for statement in lib.split(';') {
        let Some(at) = statement.find("pub use ") else {
            continue;
        };
        let path = statement[at + "pub use ".len()..].trim();
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        let items = items.trim().trim_start_matches('{').trim_end_matches('}');
        for item in items.split(',') {
            let item = item.trim().rsplit("::").next().unwrap_or("").trim();
            if !item.is_empty() && item != "self" {
                exported.insert(item.to_owned(), module.trim().to_owned());
            }
        }
    }
    // Each top-level module and the modules it uses.
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in rust_files(&src) {
        let relative = file.strip_prefix(&src).unwrap();
        let first = relative.components().next().unwrap();
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let module = if module == "private" {
            "__private".to_owned()
        } else {
            module
        };
        if module == "lib" {
            continue;
        }
        // Code only: a doc link (`[`X`](crate::X)`) is no dependency.
        let text: String = fs::read_to_string(&file)
            .unwrap()
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let entry = uses.entry(module.clone()).or_default();
        for name in crate_paths(&text) {
            let target = exported.get(&name).cloned().unwrap_or(name);
            if target != module {
                entry.insert(target);
            }
        }
    }
    let modules: BTreeSet<String> = uses.keys().cloned().collect();
    for targets in uses.values_mut() {
        targets.retain(|target| modules.contains(target));
    }
    // A cycle: a module that reaches itself.
    let mut cycles = Vec::new();
    for start in &modules {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(String, Vec<String>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((module, path)) = stack.pop() {
            for next in &uses[&module] {
                if next == start {
                    cycles.push(format!("{} -> {start}", path.join(" -> ")));
                } else if seen.insert(next.clone()) {
                    let mut longer = path.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        ["transport", "token", "error", "secret", "session"]
            .iter()
            .all(|part| modules.contains(*part))
            && uses["transport"].contains("token"),
        "the scan found auth-core's parts: {uses:?}"
    );
    assert!(
        cycles.is_empty(),
        "module cycles in auth-core:\n{}",
        cycles.join("\n")
    );
    // The layers, as each part's first comment states what it may use.
    let allowed: BTreeMap<&str, &[&str]> = BTreeMap::from([
        ("secret", &[][..]),
        ("error", &["secret"][..]),
        ("retry", &["error"][..]),
        ("token", &["error", "retry", "secret"][..]),
        ("transport", &["error", "retry", "secret", "token"][..]),
        ("authorized", &["error", "token", "transport"][..]),
        ("session", &["error", "secret", "token", "transport"][..]),
        (
            "__private",
            &["authorized", "error", "token", "transport"][..],
        ),
        ("testing", &[][..]),
        ("cli", &["error", "secret", "token"][..]),
    ]);
    for (module, targets) in &uses {
        let Some(may) = allowed.get(module.as_str()) else {
            panic!("auth-core has a part the layers do not name: {module}");
        };
        let beyond: Vec<&String> = targets
            .iter()
            .filter(|target| !may.contains(&target.as_str()))
            .collect();
        assert!(
            beyond.is_empty(),
            "{module} uses {beyond:?}, beyond its layer"
        );
    }
}

#[test]
fn no_two_public_types_of_a_crate_share_a_name() {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates");
    let mut checked = 0;
    for entry in fs::read_dir(&crates).unwrap() {
        let src = entry.unwrap().path().join("src");
        let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
        let mut clashes = Vec::new();
        for file in rust_files(&src) {
            let text = fs::read_to_string(&file).unwrap();
            for line in text.lines() {
                let line = line.trim_start();
                let Some(rest) = ["pub struct ", "pub enum ", "pub trait ", "pub type "]
                    .iter()
                    .find_map(|keyword| line.strip_prefix(keyword))
                else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if let Some(first) = seen.insert(name.clone(), file.clone()) {
                    clashes.push(format!(
                        "{name}: {} and {}",
                        first.display(),
                        file.display()
                    ));
                }
            }
        }
        assert!(clashes.is_empty(), "{}", clashes.join("\n"));
        checked += 1;
    }
    assert!(checked >= 4, "auth-core and the vendor crates");
}

/// The README's flow table names, per vendor, only what that crate has: every type in its
/// column is declared or re-exported by the crate, every method is a `fn` of the crate (or of
/// auth-core, which its clients wrap).
#[test]
fn the_readme_flow_table_names_what_each_crate_has() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = fs::read_to_string(root.join("README.md")).unwrap();
    let table = readme
        .split("## One flow vocabulary")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").find(|part| part.contains("| idea |")))
        .expect("the flow table");
    let source_of = |krate: &str| -> String {
        rust_files(&root.join("crates").join(krate).join("src"))
            .iter()
            .chain(&rust_files(&root.join("crates/auth-core/src")))
            .map(|file| fs::read_to_string(file).unwrap())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let crates = ["emnify-auth", "dintero-auth", "plex-auth"];
    let sources: Vec<String> = crates.iter().map(|krate| source_of(krate)).collect();
    let mut missing = Vec::new();
    for row in table.lines().skip(2) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        for (column, krate) in crates.iter().enumerate() {
            let Some(cell) = cells.get(column + 2) else {
                continue;
            };
            // The code spans of the cell.
            for span in cell.split('`').skip(1).step_by(2) {
                if span.contains('-') || span.contains("::testing") {
                    continue; // a header name or a module path
                }
                let mut words = Vec::new();
                let mut word = String::new();
                for c in span.chars().chain([' ']) {
                    if c.is_alphanumeric() || c == '_' {
                        word.push(c);
                    } else {
                        if !word.is_empty() {
                            words.push((std::mem::take(&mut word), c));
                        }
                    }
                }
                let source = &sources[column];
                for (word, next) in words {
                    let declared = if word.starts_with(|c: char| c.is_ascii_uppercase()) {
                        ["struct", "enum", "trait", "type"].iter().any(|kind| {
                            let declaration = format!("pub {kind} {word}");
                            whole_word_before(source, &declaration, &[' ', '<', '(', ';', '{'])
                        })
                            // A tuple variant, or a name in a `pub use` list.
                            || whole_word_before(source, &word, &['(', ',', '}', ';'])
                    } else if next == '(' {
                        source.contains(&format!("fn {word}("))
                            || source.contains(&format!("fn {word}<"))
                    } else {
                        true // a variable of the example (`client`, `pending`)
                    };
                    if !declared {
                        missing.push(format!("{krate}: `{word}` in `{span}`"));
                    }
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "the README's flow table names what the crate does not have:\n{}",
        missing.join("\n")
    );
}

/// Whether `word` stands in `source` as a whole word directly followed by one of `followers`.
fn whole_word_before(source: &str, word: &str, followers: &[char]) -> bool {
    source.match_indices(word).any(|(at, _)| {
        let before = source[..at].chars().next_back();
        let after = source[at + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_')
            && after.is_some_and(|c| followers.contains(&c))
    })
}

/// The doc comment right above line `at` of `lines` (attributes skipped), as one string.
fn doc_above(lines: &[&str], at: usize) -> String {
    lines[..at]
        .iter()
        .rev()
        .take_while(|line| {
            let line = line.trim_start();
            line.starts_with("///") || line.starts_with("#[")
        })
        .filter(|line| line.trim_start().starts_with("///"))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The file of module `name` declared in `dir`.
fn module_file(dir: &Path, name: &str) -> Option<PathBuf> {
    [
        dir.join(format!("{name}.rs")),
        dir.join(name).join("mod.rs"),
    ]
    .into_iter()
    .find(|path| path.exists())
}

#[test]
fn every_feature_gated_public_item_says_which_feature_it_needs() {
    let mut silent = Vec::new();
    for krate in ["auth-core", "emnify-auth", "dintero-auth", "plex-auth"] {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../crates/{krate}/src"));
        for file in rust_files(&src) {
            if file
                .components()
                .any(|part| part.as_os_str() == "generated")
            {
                continue;
            }
            let text = fs::read_to_string(&file).unwrap();
            let lines: Vec<&str> = text.lines().collect();
            for (at, line) in lines.iter().enumerate() {
                let Some(feature) = line
                    .trim()
                    .strip_prefix("#[cfg(feature = \"")
                    .and_then(|rest| rest.strip_suffix("\")]"))
                else {
                    continue;
                };
                let named = format!("`{feature}`");
                let item_at = (at + 1..lines.len())
                    .find(|&i| !lines[i].trim_start().starts_with("#["))
                    .unwrap_or(at);
                let item = lines[item_at].trim();
                // A gated module: its own first comment (public), or each public item in it.
                if let Some(name) = item
                    .strip_prefix("pub mod ")
                    .or_else(|| item.strip_prefix("pub(crate) mod "))
                    .or_else(|| item.strip_prefix("mod "))
                    .and_then(|rest| rest.strip_suffix(';'))
                {
                    let Some(module) = module_file(file.parent().unwrap(), name) else {
                        continue;
                    };
                    let inner = fs::read_to_string(&module).unwrap();
                    let inner_lines: Vec<&str> = inner.lines().collect();
                    if item.starts_with("pub mod ") {
                        let header: String = inner_lines
                            .iter()
                            .take_while(|line| line.starts_with("//!"))
                            .copied()
                            .collect();
                        if !header.contains(&named) {
                            silent.push(format!("{} (module)", module.display()));
                        }
                        continue;
                    }
                    for (i, line) in inner_lines.iter().enumerate() {
                        let public = [
                            "pub struct ",
                            "pub enum ",
                            "pub trait ",
                            "pub fn ",
                            "pub const ",
                        ]
                        .iter()
                        .any(|start| line.starts_with(start));
                        if public && !doc_above(&inner_lines, i).contains(&named) {
                            silent.push(format!("{}:{} {line}", module.display(), i + 1));
                        }
                    }
                    continue;
                }
                // A re-export carries the doc of what it names; private items need none.
                if !item.starts_with("pub ") || item.starts_with("pub use ") {
                    continue;
                }
                let doc = doc_above(&lines, at) + &doc_above(&lines, item_at);
                if !doc.contains(&named) {
                    silent.push(format!("{}:{} {item}", file.display(), item_at + 1));
                }
            }
        }
    }
    assert!(
        silent.is_empty(),
        "feature-gated public items whose docs do not name their feature:\n{}",
        silent.join("\n")
    );
}

/// Every Rust example a user reads (the READMEs, the hand-written rustdoc) runs as a doc test:
/// none is `no_run`, `ignore` or `compile_fail`, so an example that fails against the local fakes
/// fails the tests.
#[test]
fn every_documented_example_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = vec![root.join("README.md")];
    for krate in ["auth-core", "emnify-auth", "dintero-auth", "plex-auth"] {
        let dir = root.join("crates").join(krate);
        files.push(dir.join("README.md"));
        files.extend(rust_files(&dir.join("src")).into_iter().filter(|file| {
            !file
                .components()
                .any(|part| part.as_os_str() == "generated")
        }));
    }
    let mut not_run = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (number, line) in text.lines().enumerate() {
            let fence = line
                .trim_start()
                .trim_start_matches("//!")
                .trim_start_matches("///");
            let Some(info) = fence.trim_start().strip_prefix("```") else {
                continue;
            };
            if ["no_run", "ignore", "compile_fail"]
                .iter()
                .any(|skip| info.contains(skip))
            {
                not_run.push(format!("{}:{}", file.display(), number + 1));
            }
        }
    }
    assert!(files.len() > 20, "the walk found the sources");
    assert!(not_run.is_empty(), "examples that do not run: {not_run:?}");
}
