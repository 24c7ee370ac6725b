//! `cargo xtask`: maintainer tasks of the workspace.

use std::process::ExitCode;

const USAGE: &str =
    "usage: cargo xtask codegen [--check] | check-spec FILE | generate ... | new-vendor ...

  codegen           regenerate crates/*/src/generated/ from openapi/*.yaml
  codegen --check   exit 1, printing a diff, when a generated file is stale
  check-spec FILE   read any OpenAPI 3.0 or 3.1 spec and list every part the generator
                    leaves out or reads loosely, each place once with its count of uses
                    (exit 1 when there is one)
  generate --spec FILE --out DIR --name CRATE
                    write any spec as a standalone crate (warnings on stderr)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let root = xtask::workspace_root();
    let result = match args.as_slice() {
        ["codegen"] => xtask::codegen::write(&root).map(|written| {
            for path in written {
                println!("wrote {}", path.display());
            }
            true
        }),
        ["codegen", "--check"] => xtask::codegen::check(&root).map(|stale| {
            for diff in &stale {
                print!("{diff}");
            }
            if stale.is_empty() {
                println!("generated code is up to date");
            } else {
                eprintln!("generated code is stale: run `cargo xtask codegen`");
            }
            stale.is_empty()
        }),
        ["check-spec", file] => match std::fs::read_to_string(file) {
            Err(err) => Err(xtask::codegen::CodegenError {
                file: (*file).to_owned(),
                problems: vec![xtask::codegen::Problem {
                    location: String::new(),
                    message: format!("cannot read: {err}"),
                    uses: 1,
                }],
            }),
            Ok(text) => {
                let started = std::time::Instant::now();
                let stem = std::path::Path::new(file)
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let base = std::path::Path::new(file).parent();
                let result = xtask::codegen::generate_api(file, &stem, &text, base);
                let elapsed = started.elapsed().as_millis();
                result.map(|generated| {
                    print_warnings(file, &generated.warnings);
                    println!(
                        "{file}: generates {} operations in {elapsed} ms; {} problem(s) left out or read loosely",
                        generated.operations,
                        generated.warnings.len()
                    );
                    generated.warnings.is_empty()
                })
            }
        },
        ["spec-diff", vendor, file] => {
            xtask::codegen::spec_diff(&root, vendor, std::path::Path::new(file)).map(|report| {
                print!("{}", report.diff);
                if !report.problems.is_empty() {
                    println!(
                        "({} part(s) of {file} could not be read and are left out: `cargo xtask check-spec {file}` lists them)",
                        report.problems.len()
                    );
                }
                true
            })
        }
        ["new-vendor", name, "--spec", spec] => {
            xtask::new_vendor::new_vendor(&root, name, std::path::Path::new(spec)).map(|scaffold| {
                for path in &scaffold.written {
                    println!("wrote {}", path.display());
                }
                println!(
                    "{} is in the workspace: write its flows, tests and README, then `cargo test -p {}`",
                    scaffold.crate_name, scaffold.crate_name
                );
                true
            })
        }
        ["generate", rest @ ..] => match generate_args(rest) {
            Some((spec, out, name)) => xtask::codegen::standalone::generate(
                std::path::Path::new(spec),
                std::path::Path::new(out),
                name,
                &root.join("crates/auth-core"),
            )
            .map(|report| {
                print_warnings(spec, &report.warnings);
                println!(
                    "wrote {} ({} operations, codegen {} ms, {} warning(s))",
                    report.dir.display(),
                    report.operations,
                    report.codegen.as_millis(),
                    report.warnings.len()
                );
                true
            }),
            None => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Prints each warning of `file` on a line of its own (on stderr).
fn print_warnings(file: &str, warnings: &[xtask::codegen::Problem]) {
    for warning in warnings {
        let uses = if warning.uses > 1 {
            format!(" ({} uses)", warning.uses)
        } else {
            String::new()
        };
        if warning.location.is_empty() {
            eprintln!("warning: {file}: {}{uses}", warning.message);
        } else {
            eprintln!(
                "warning: {file} at {}: {}{uses}",
                warning.location, warning.message
            );
        }
    }
}

/// `--spec FILE --out DIR --name CRATE`, in any order, each once.
fn generate_args<'a>(args: &[&'a str]) -> Option<(&'a str, &'a str, &'a str)> {
    let (mut spec, mut out, mut name) = (None, None, None);
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let slot = match *flag {
            "--spec" => &mut spec,
            "--out" => &mut out,
            "--name" => &mut name,
            _ => return None,
        };
        if slot.replace(*args.next()?).is_some() {
            return None;
        }
    }
    Some((spec?, out?, name?))
}
