//! The tour's walk of the command lines: `login` then `token` of each vendor's binary, as a
//! script runs them (credentials from the environment, the token read from stdout and used),
//! against fakes of its own.

use std::path::Path;
use std::process::{Command, Stdio};

use auth_core::Method;
use plex_auth::ClientIdentity;

use super::{Report, Row};
use crate::fakes::dintero::{DinteroConfig, DinteroFake};
use crate::fakes::emnify::{EmnifyConfig, EmnifyFake};
use crate::fakes::plex::{PlexConfig, PlexFake};

/// Runs `login` and `token` of `emnify-auth`, `dintero-auth` and `plex-auth` (found in
/// `binaries`), each against a fake, and checks that the vendor takes the printed token.
pub async fn run(binaries: &Path) -> std::io::Result<Report> {
    let mut report = Report::default();
    let dir = std::env::temp_dir().join(format!("tour-shell-{}", std::process::id()));

    let config = EmnifyConfig::default();
    let (_emnify, server) = EmnifyFake::start(config.clone()).await?;
    let vendor = Walk::new(binaries, "emnify", &dir)
        .env("EMNIFY_BASE_URL", server.url())
        .env("EMNIFY_APPLICATION_TOKEN", &config.application_token);
    if let Some(token) = vendor.login_then_token(&mut report).await {
        let client = emnify_auth::testing::builder(&server).build().ok();
        let answer = match client {
            Some(client) => client
                .with_token(token)
                .request(Method::GET, "/api/v1/endpoint")
                .send()
                .await
                .ok(),
            None => None,
        };
        vendor.used(&mut report, answer.map(|answer| answer.status().as_u16()));
    }

    let config = DinteroConfig::default();
    let (dintero, server) = DinteroFake::start(config.clone()).await?;
    let vendor = Walk::new(binaries, "dintero", &dir)
        .env("DINTERO_BASE_URL", server.url())
        .env("DINTERO_ACCOUNT_ID", &config.account_id)
        .env("DINTERO_CLIENT_ID", &config.client_id)
        .env("DINTERO_CLIENT_SECRET", &config.client_secret);
    if let Some(token) = vendor.login_then_token(&mut report).await {
        let issued = dintero.issued(&token);
        vendor.used(&mut report, issued.then_some(200));
    }

    // A PIN login without a terminal: the code and link on stderr, approved at once here.
    let config = PlexConfig {
        pin_approved_after_polls: Some(1),
        ..PlexConfig::default()
    };
    let (_plex, servers) = PlexFake::start(config).await?;
    let vendor = Walk::new(binaries, "plex", &dir).env(
        "PLEX_TV_BASE_URL",
        format!("{}/api/v2", servers.plex_tv.url()),
    );
    if let Some(token) = vendor.login_then_token(&mut report).await {
        let identity = ClientIdentity::new("tour-shell");
        let client = plex_auth::testing::builder(&servers, &identity)
            .build()
            .ok();
        let details = match client {
            Some(client) => client
                .with_token(token)
                .authentication()
                .get_token_details()
                .await
                .ok(),
            None => None,
        };
        vendor.used(&mut report, details.map(|_| 200));
    }

    let _ = std::fs::remove_dir_all(&dir);
    Ok(report)
}

/// One vendor's binary, with its environment.
struct Walk {
    vendor: &'static str,
    command: Command,
}

impl Walk {
    fn new(binaries: &Path, vendor: &'static str, dir: &Path) -> Self {
        let tool = format!("{vendor}-auth");
        let mut command = Command::new(binaries.join(&tool));
        let config_dir = format!("{}_CONFIG_DIR", tool.to_uppercase().replace('-', "_"));
        command
            .env_clear()
            .env(config_dir, dir.join(vendor))
            .stdin(Stdio::null());
        Self { vendor, command }
    }

    fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.command.env(name, value);
        self
    }

    /// Runs `args`; its stdout when it exits 0, and a row either way.
    async fn run(&self, report: &mut Report, args: &'static [&'static str]) -> Option<String> {
        let mut command = Command::new(self.command.get_program());
        command.args(args).stdin(Stdio::null()).env_clear();
        for (name, value) in self.command.get_envs() {
            if let Some(value) = value {
                command.env(name, value);
            }
        }
        let output = tokio::task::spawn_blocking(move || command.output()).await;
        let operation = match args {
            ["login", ..] => "login (command line)",
            _ => "token (command line)",
        };
        let (ok, outcome, stdout) = match output {
            Ok(Ok(output)) => {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let said = stderr.lines().last().unwrap_or("").to_owned();
                let stdout = String::from_utf8_lossy(&output.stdout)
                    .trim_end()
                    .to_owned();
                let code = output.status.code();
                (
                    code == Some(0),
                    format!(
                        "exit {}: {said}",
                        code.map_or("?".into(), |c| c.to_string())
                    ),
                    Some(stdout).filter(|_| code == Some(0)),
                )
            }
            Ok(Err(error)) => (false, format!("cannot run it: {error}"), None),
            Err(error) => (false, format!("cannot run it: {error}"), None),
        };
        report.rows.push(Row {
            vendor: self.vendor,
            operation,
            status: None,
            outcome,
            ok,
        });
        stdout
    }

    /// `login --store file`, then `token`: the printed token.
    async fn login_then_token(&self, report: &mut Report) -> Option<String> {
        self.run(report, &["login", "--store", "file"]).await?;
        let token = self.run(report, &["token"]).await?;
        if let Some(row) = report.rows.last_mut() {
            row.outcome = format!("printed a token of {} characters", token.len());
        }
        Some(token)
    }

    /// Whether the vendor took the printed token (`status`: the vendor's answer to it).
    fn used(&self, report: &mut Report, status: Option<u16>) {
        let ok = status.is_some_and(|status| (200..300).contains(&status));
        report.rows.push(Row {
            vendor: self.vendor,
            operation: "the printed token, used",
            status: None,
            outcome: if ok { "the vendor took it" } else { "refused" }.to_owned(),
            ok,
        });
    }
}
