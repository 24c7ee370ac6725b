//! `cargo xtask`: maintainer tasks of the workspace.

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask codegen [--check]

  codegen          regenerate crates/*/src/generated/ from openapi/*.yaml
  codegen --check  exit 1, printing a diff, when a generated file is stale";

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
