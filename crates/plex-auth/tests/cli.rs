//! The `plex-auth` binary driven as a user drives it, against the crate's fakes: the PIN at a
//! pseudo-terminal (its link and QR code), the token from the environment, the password with
//! its two-factor code, servers and their tokens, and each exit code.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use plex_auth::testing::{self, PlexConfig, PlexFake, PlexServers};
use plex_auth::{ClientIdentity, Method};
use rexpect::process::wait::WaitStatus;

const BINARY: &str = env!("CARGO_BIN_EXE_plex-auth");

/// The fakes, and a configuration directory of this test's own.
struct Setup {
    _fake: Arc<PlexFake>,
    servers: PlexServers,
    config: PlexConfig,
    dir: PathBuf,
}

impl Setup {
    async fn new(name: &str, config: PlexConfig) -> Self {
        let (fake, servers) = PlexFake::start(config.clone()).await.unwrap();
        let dir = std::env::temp_dir().join(format!("plex-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self {
            _fake: fake,
            servers,
            config,
            dir,
        }
    }

    /// The binary with `args`, pointed at the fake plex.tv, its files in the test's
    /// directory, and no variable of the person running the tests.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env_clear()
            .env("PLEX_AUTH_CONFIG_DIR", &self.dir)
            .env(
                "PLEX_TV_BASE_URL",
                format!("{}/api/v2", self.servers.plex_tv.url()),
            )
            .stdin(Stdio::null());
        command
    }

    async fn run(&self, mut command: Command) -> Output {
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    /// Runs `command` at a pseudo-terminal, answering each prompt; what it wrote, and how it
    /// ended.
    async fn at_terminal(
        &self,
        mut command: Command,
        dialogue: Vec<(&'static str, String)>,
    ) -> (String, WaitStatus) {
        command.stdin(Stdio::inherit()).env("TERM", "xterm");
        tokio::task::spawn_blocking(move || {
            let mut session = rexpect::session::spawn_command(command, Some(15_000)).unwrap();
            let mut said = String::new();
            for (prompt, answer) in dialogue {
                let (before, matched) = session.exp_regex(prompt).unwrap();
                said.push_str(&before);
                said.push_str(&matched);
                session.send_line(&answer).unwrap();
            }
            said.push_str(&session.exp_eof().unwrap());
            (said, session.process.wait().unwrap())
        })
        .await
        .unwrap()
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What a command printed on stdout, as one line without its newline.
fn line(output: &Output) -> String {
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    let line = printed.strip_suffix('\n').expect("one line");
    assert!(!line.contains('\n'));
    line.to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pin_login_at_a_terminal_then_tokens_servers_and_logout() {
    let config = PlexConfig {
        pin_approved_after_polls: Some(1),
        ..PlexConfig::default()
    };
    let setup = Setup::new("pin", config).await;

    let login = setup.command(&["login", "--store", "file"]);
    let (said, status) = setup.at_terminal(login, Vec::new()).await;
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}: {said}"
    );
    assert!(said.contains("https://plex.tv/link"), "{said}");
    assert!(said.contains("enter the code"), "{said}");
    // A QR code of block characters (U+2580..U+2588): rexpect reads the terminal byte by
    // byte, so each shows as its first UTF-8 byte, 0xE2, and two more.
    let blocks = said.matches('\u{e2}').count();
    assert!(
        blocks > 100,
        "a QR code: {blocks} block characters in {said}"
    );
    assert!(said.contains("Logged in to Plex as"), "{said}");

    // The account's token, alone on stdout; plex.tv takes it.
    let account_token = line(&setup.run(setup.command(&["token"])).await);
    let json = setup.run(setup.command(&["token", "--json"])).await;
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["token"], account_token.as_str());
    assert!(value["expires_at"].is_null(), "Plex gives no expiry");
    let status = setup.run(setup.command(&["status"])).await;
    assert_eq!(status.status.code(), Some(0), "{}", text(&status.stderr));
    assert!(text(&status.stdout).contains("logged in as"));
    assert!(!text(&status.stdout).contains(&account_token));

    // The servers, each with the connection that answered; a server's own token, which the
    // media server takes.
    let servers = setup.run(setup.command(&["servers"])).await;
    let listed = text(&servers.stdout);
    assert_eq!(
        listed,
        format!("Fake Server\t{}\n", setup.servers.media_server.url())
    );
    let server_token = line(
        &setup
            .run(setup.command(&["token", "--server", "Fake Server"]))
            .await,
    );
    assert_ne!(server_token, account_token);
    let identity = ClientIdentity::new("the-test");
    let media_server = testing::builder(&setup.servers, &identity)
        .build()
        .unwrap()
        .with_token(server_token);
    let sections = media_server
        .request(Method::GET, "/library/sections")
        .send()
        .await
        .unwrap();
    assert!(sections.status().is_success());

    let unknown = setup
        .run(setup.command(&["token", "--server", "Nope"]))
        .await;
    assert_eq!(unknown.status.code(), Some(1));
    assert!(
        text(&unknown.stderr).contains("Fake Server"),
        "names the servers"
    );
    assert!(unknown.stdout.is_empty());

    // Another profile from the token in the environment, with no terminal.
    let mut from_env = setup.command(&["--profile", "ci", "login", "--store", "file"]);
    from_env.env("PLEX_TOKEN", &account_token);
    let from_env = setup.run(from_env).await;
    assert_eq!(
        from_env.status.code(),
        Some(0),
        "{}",
        text(&from_env.stderr)
    );
    assert!(!text(&from_env.stderr).contains(&account_token));
    let ci_token = setup
        .run(setup.command(&["--profile", "ci", "token"]))
        .await;
    assert_eq!(line(&ci_token), account_token);

    // A token given in PLEX_TOKEN is only forgotten at logout: other programs may use it.
    let account = || {
        testing::builder(&setup.servers, &ClientIdentity::new("the-test"))
            .build()
            .unwrap()
            .with_token(account_token.clone())
    };
    let ci_logout = setup
        .run(setup.command(&["--profile", "ci", "logout"]))
        .await;
    assert_eq!(ci_logout.status.code(), Some(0));
    assert!(!text(&ci_logout.stderr).contains("signed out"));
    account()
        .authentication()
        .get_token_details()
        .await
        .unwrap();

    // The PIN login's own token is signed out at plex.tv as well.
    let logout = setup.run(setup.command(&["logout"])).await;
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
    assert!(text(&logout.stderr).contains("signed out at plex.tv"));
    let after = setup.run(setup.command(&["token"])).await;
    assert_eq!(after.status.code(), Some(4));
    assert_eq!(text(&after.stderr).lines().count(), 1);
    let refused = account().authentication().get_token_details().await;
    assert!(refused.is_err(), "the token no longer works at plex.tv");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_sign_in_with_the_two_factor_code_at_a_terminal() {
    let setup = Setup::new("password", PlexConfig::default()).await;
    let config = setup.config.clone();
    let login = setup.command(&["login", "--store", "file", "--user", &config.login]);
    let dialogue = vec![
        ("Password of", config.password.clone()),
        ("Two-factor code", config.two_factor_code.clone().unwrap()),
    ];
    let (said, status) = setup.at_terminal(login, dialogue).await;
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}: {said}"
    );
    assert!(
        !said.contains(&config.password),
        "the password is not echoed"
    );
    assert!(said.contains("Logged in to Plex as"), "{said}");
    let token = setup.run(setup.command(&["token"])).await;
    assert!(!line(&token).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_expiries_and_cancellations_have_their_exit_codes() {
    let config = PlexConfig {
        pin_lifetime: Duration::from_secs(1),
        pin_approved_after_polls: None,
        ..PlexConfig::default()
    };
    let setup = Setup::new("refused", config).await;

    // A token plex.tv refuses: the login fails (1) in one line, without the token.
    let mut wrong = setup.command(&["login", "--store", "file"]);
    wrong.env("PLEX_TOKEN", "not-a-plex-token");
    let wrong = setup.run(wrong).await;
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stderr));
    let said = text(&wrong.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.contains("Plex error code 1001"), "{said}");
    assert!(!said.contains("not-a-plex-token"));

    // A PIN nobody approves expires (1).
    let expired = setup
        .run(setup.command(&["login", "--store", "file"]))
        .await;
    assert_eq!(expired.status.code(), Some(1), "{}", text(&expired.stderr));
    assert!(text(&expired.stderr).contains("the code expired"));

    // A password asked for with nothing on stdin: cancelled (2).
    let cancelled = setup
        .run(setup.command(&["login", "--user", "user@example.org"]))
        .await;
    assert_eq!(
        cancelled.status.code(),
        Some(2),
        "{}",
        text(&cancelled.stderr)
    );

    // Nothing logged in: 4, for each command that needs a login.
    for args in [&["token"][..], &["servers"], &["status"], &["logout"]] {
        let none = setup.run(setup.command(args)).await;
        assert_eq!(none.status.code(), Some(4), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_while_waiting_for_the_pin_cancels() {
    let config = PlexConfig {
        pin_approved_after_polls: None,
        ..PlexConfig::default()
    };
    let setup = Setup::new("ctrl-c", config).await;
    let mut command = setup.command(&["login", "--store", "file"]);
    command.stdin(Stdio::inherit()).env("TERM", "xterm");
    let status = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(command, Some(15_000)).unwrap();
        session.exp_string("Waiting for the approval").unwrap();
        session.send_control('c').unwrap();
        session.exp_eof().unwrap();
        session.process.wait().unwrap()
    })
    .await
    .unwrap();
    assert!(matches!(status, WaitStatus::Exited(_, 2)), "{status:?}");
    assert!(!setup.dir.join("profiles.json").exists(), "nothing kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_completion_scripts_and_its_help() {
    let setup = Setup::new("completion", PlexConfig::default()).await;
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = setup.run(setup.command(&["completion", shell])).await;
        assert_eq!(script.status.code(), Some(0), "{shell}");
        assert!(text(&script.stdout).contains("logout"), "{shell}");
    }
    let help = setup.run(setup.command(&["--help"])).await;
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("status"));
    let unknown = setup.run(setup.command(&["tokens"])).await;
    assert_eq!(unknown.status.code(), Some(1));
}
