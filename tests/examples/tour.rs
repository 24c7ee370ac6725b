//! `cargo run --example tour`: every operation of every vendor, against local fakes (or the
//! servers named by `EMNIFY_BASE_URL`, `DINTERO_BASE_URL`, `PLEX_TV_BASE_URL`/`PLEX_SERVER_URL`).

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let report = match workspace_tests::tour::run().await {
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
