//! `cargo run --example tour`: every operation of every vendor, against local fakes (or the
//! servers named by `EMNIFY_BASE_URL`, `DINTERO_BASE_URL`, `PLEX_TV_BASE_URL`/`PLEX_SERVER_URL`),
//! then `login` and `token` of each vendor's command line against fakes of their own.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

#[tokio::main]
async fn main() -> ExitCode {
    let binaries = match command_lines() {
        Ok(binaries) => binaries,
        Err(error) => {
            eprintln!("could not build the command lines: {error}");
            return ExitCode::FAILURE;
        }
    };
    let tours = async {
        let mut report = workspace_tests::tour::run().await?;
        let shell = workspace_tests::tour::shell::run(&binaries).await?;
        report.rows.extend(shell.rows);
        std::io::Result::Ok(report)
    };
    let report = match tours.await {
        Ok(report) => report,
        Err(error) => {
            eprintln!("could not start the fakes: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "     {:<8} {:<58} {:>6}  outcome",
        "vendor", "operation", "status"
    );
    for row in &report.rows {
        println!("{row}");
    }
    let operations = report.succeeded().len();
    if report.ok() {
        println!("\n{operations} operations succeeded; every step ok");
        ExitCode::SUCCESS
    } else {
        println!("\nsome steps failed");
        ExitCode::FAILURE
    }
}

/// Builds the three binaries (feature `cli`) beside this example; the directory they are in.
/// One build per crate: `--features <crate>/cli` for several crates at once does not satisfy
/// their binaries' `required-features`.
fn command_lines() -> std::io::Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    for tool in ["emnify-auth", "dintero-auth", "plex-auth"] {
        let built = Command::new(&cargo)
            .args([
                "build",
                "--quiet",
                "--features",
                "cli",
                "-p",
                tool,
                "--bin",
                tool,
            ])
            .status()?;
        if !built.success() {
            return Err(std::io::Error::other(format!(
                "cargo build of {tool}: {built}"
            )));
        }
    }
    // This example is target/<profile>/examples/tour; the binaries are in target/<profile>.
    let example = std::env::current_exe()?;
    example
        .parent()
        .and_then(|examples| examples.parent())
        .map(PathBuf::from)
        .ok_or_else(|| std::io::Error::other("no directory above the example"))
}
