//! The `emnify-auth` binary driven as a user drives it, against the crate's fake: each
//! subcommand and exit code, secrets from the environment, stdin and a pseudo-terminal.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use emnify_auth::auth_core::{StoredToken, Token};
use emnify_auth::testing::{EmnifyConfig, EmnifyFake, Server};
use emnify_auth::{Method, TokenStore};

const BINARY: &str = env!("CARGO_BIN_EXE_emnify-auth");

/// The fake, and a configuration directory of this test's own.
struct Setup {
    fake: Arc<EmnifyFake>,
    server: Server,
    config: EmnifyConfig,
    dir: PathBuf,
}

impl Setup {
    async fn new(name: &str, config: EmnifyConfig) -> Self {
        let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
        let dir = std::env::temp_dir().join(format!("emnify-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self {
            fake,
            server,
            config,
            dir,
        }
    }

    /// The binary with `args`, pointed at the fake, its files in the test's directory, and no
    /// variable of the person running the tests.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env_clear()
            .env("EMNIFY_AUTH_CONFIG_DIR", &self.dir)
            .env("EMNIFY_BASE_URL", self.server.url())
            .stdin(Stdio::null());
        command
    }

    /// Runs it to its end, off the fake's threads.
    async fn run(&self, mut command: Command) -> Output {
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    async fn login_with_application_token(&self) -> Output {
        let mut login = self.command(&["login", "--store", "file"]);
        login.env("EMNIFY_APPLICATION_TOKEN", &self.config.application_token);
        self.run(login).await
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Auth tokens of 20 s: always within the refresh skew, so each `token` renews first.
fn short_tokens() -> EmnifyConfig {
    EmnifyConfig {
        token_lifetime: Duration::from_secs(20),
        ..EmnifyConfig::default()
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn assert_no_secret(output: &Output, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text(&output.stderr).contains(secret), "{secret} on stderr");
    }
}

fn file_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_token_status_logout_with_an_application_token() {
    let setup = Setup::new("app", EmnifyConfig::default()).await;

    let login = setup.login_with_application_token().await;
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    assert!(login.stdout.is_empty(), "login prints nothing on stdout");
    assert!(text(&login.stderr).contains("Logged in to emnify"));
    assert_no_secret(&login, &[&setup.config.application_token]);
    // The secrets are in 0600 files, the profile holds none.
    let tokens = setup.dir.join("tokens");
    for entry in std::fs::read_dir(&tokens).unwrap() {
        assert_eq!(file_mode(&entry.unwrap().path()), 0o600);
    }
    let profiles = std::fs::read_to_string(setup.dir.join("profiles.json")).unwrap();
    assert!(!profiles.contains(&setup.config.application_token));

    // `token`: the token alone on stdout, the one the login got (no new authentication).
    let token = setup.run(setup.command(&["token"])).await;
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
    let printed = text(&token.stdout);
    let jwt = printed.strip_suffix('\n').expect("one line");
    assert_eq!(jwt.split('.').count(), 3, "a JWT: {printed}");
    assert!(token.stderr.is_empty());
    assert_eq!(setup.fake.logins(), 1);
    // It is a token emnify takes.
    let client = emnify_auth::Client::builder()
        .server_url(emnify_auth::Server::Api, setup.server.url())
        .build()
        .unwrap()
        .with_token(jwt);
    let endpoints = client.request(Method::GET, "/api/v1/endpoint").send().await;
    assert!(endpoints.unwrap().status().is_success());

    let json = setup.run(setup.command(&["token", "--json"])).await;
    let value: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(value["token"], jwt);
    assert!(value["expires_in"].as_u64().unwrap() > 0);
    assert!(value["expires_at"].as_u64().is_some());

    let status = setup.run(setup.command(&["status"])).await;
    assert_eq!(status.status.code(), Some(0));
    let said = text(&status.stdout);
    assert!(said.contains("profile \"default\""), "{said}");
    assert!(said.contains("the file store"), "{said}");
    assert!(said.contains("expires in"), "{said}");
    assert!(!said.contains(jwt));

    let logout = setup.run(setup.command(&["logout"])).await;
    assert_eq!(logout.status.code(), Some(0));
    assert_eq!(
        std::fs::read_dir(&tokens).unwrap().count(),
        0,
        "nothing kept"
    );
    for args in [&["token"][..], &["status"], &["logout"]] {
        let after = setup.run(setup.command(args)).await;
        assert_eq!(after.status.code(), Some(4), "{args:?}: login needed");
        assert!(text(&after.stderr).contains("not logged in"));
        assert_eq!(text(&after.stderr).lines().count(), 1, "one line");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_about_to_expire_is_renewed_and_kept() {
    let setup = Setup::new("renew", short_tokens()).await;
    assert_eq!(
        setup.login_with_application_token().await.status.code(),
        Some(0)
    );
    let first = setup.run(setup.command(&["token"])).await;
    let second = setup.run(setup.command(&["token"])).await;
    assert_eq!(second.status.code(), Some(0));
    assert_ne!(first.stdout, second.stdout);
    assert_eq!(setup.fake.logins(), 3, "the login, then one per renewal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_cancellations_have_their_exit_codes() {
    let setup = Setup::new("refused", short_tokens()).await;

    // A wrong application token: an error of the login (1), one line, the code, no secret.
    let mut wrong = setup.command(&["login", "--store", "file"]);
    wrong.env("EMNIFY_APPLICATION_TOKEN", "not-the-token");
    let wrong = setup.run(wrong).await;
    assert_eq!(wrong.status.code(), Some(1));
    assert_eq!(
        text(&wrong.stderr).lines().count(),
        1,
        "{}",
        text(&wrong.stderr)
    );
    assert!(text(&wrong.stderr).starts_with("emnify-auth: "));
    assert_no_secret(&wrong, &["not-the-token"]);

    // No variable and nothing on stdin: nobody to ask, cancelled (2).
    let cancelled = setup
        .run(setup.command(&["login", "--store", "file"]))
        .await;
    assert_eq!(
        cancelled.status.code(),
        Some(2),
        "{}",
        text(&cancelled.stderr)
    );

    // The token piped on stdin, as `printf %s "$TOKEN" | emnify-auth login` does.
    let mut piped = setup.command(&["login", "--store", "file"]);
    piped
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = piped.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(setup.config.application_token.as_bytes())
        .unwrap();
    drop(stdin);
    let piped = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(piped.status.code(), Some(0), "{}", text(&piped.stderr));

    // emnify stops taking the kept application token (revoked in the portal): a new login
    // is needed (4). Its auth tokens are short, so `token` asks emnify for a new one.
    let store = emnify_auth::FileTokenStore::new(setup.dir.join("tokens"));
    let revoked = StoredToken::of(&Token::new("revoked-token"));
    store.save("default.credential", &revoked).await.unwrap();
    let refused = setup.run(setup.command(&["token"])).await;
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused.stderr));
    assert_eq!(text(&refused.stderr).lines().count(), 1);
    assert_no_secret(
        &refused,
        &["revoked-token", &setup.config.application_token],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_logs_in_with_a_password_and_the_mfa_code_at_a_terminal() {
    let setup = Setup::new("mfa", short_tokens()).await;
    let key = setup.fake.enable_mfa();
    let mut command = setup.command(&[
        "--profile",
        "person",
        "login",
        "--store",
        "file",
        "--user",
        &setup.config.username,
    ]);
    command.stdin(Stdio::inherit());
    let password = setup.config.password.clone();
    let login = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(command, Some(10_000)).unwrap();
        session.exp_string("Password of").unwrap();
        session.send_line(&password).unwrap();
        session.exp_string("One-time code").unwrap();
        session
            .send_line(&emnify_auth::totp::code_now(&key).unwrap())
            .unwrap();
        let rest = session.exp_eof().unwrap();
        (rest, session.process.wait().unwrap())
    })
    .await
    .unwrap();
    let (rest, status) = login;
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 0)),
        "{status:?}: {rest}"
    );
    assert!(rest.contains("Logged in to emnify with user"), "{rest}");
    assert!(
        !rest.contains(&setup.config.password),
        "the password is not echoed"
    );

    // Later tokens come from the refresh token: no new login, no password.
    let token = setup
        .run(setup.command(&["--profile", "person", "token"]))
        .await;
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
    assert_eq!((setup.fake.logins(), setup.fake.refreshes()), (1, 1));
    let status = setup
        .run(setup.command(&["--profile", "person", "status"]))
        .await;
    assert!(text(&status.stdout).contains(&setup.config.username));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_completion_scripts() {
    let setup = Setup::new("completion", EmnifyConfig::default()).await;
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = setup.run(setup.command(&["completion", shell])).await;
        assert_eq!(script.status.code(), Some(0), "{shell}");
        assert!(text(&script.stdout).contains("logout"), "{shell}");
    }
    // Help is no error; a usage error is one (1), not a cancellation (2).
    let help = setup.run(setup.command(&["--help"])).await;
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).contains("token"));
    let unknown = setup.run(setup.command(&["tokens"])).await;
    assert_eq!(unknown.status.code(), Some(1));
}

/// On Linux the keyring reachable without system libraries is the session keyring, which
/// keeps nothing for the next command: choosing it is refused, before anything is sent.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_keyring_that_would_lose_the_login_is_refused() {
    let setup = Setup::new("keyring", EmnifyConfig::default()).await;
    let mut login = setup.command(&["login", "--store", "keyring"]);
    login.env("EMNIFY_APPLICATION_TOKEN", &setup.config.application_token);
    let login = setup.run(login).await;
    assert_eq!(login.status.code(), Some(1));
    assert!(
        text(&login.stderr).contains("--store file"),
        "{}",
        text(&login.stderr)
    );
    assert_eq!(setup.fake.logins(), 0);
    assert!(!setup.dir.join("profiles.json").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_at_the_password_prompt_cancels() {
    let setup = Setup::new("ctrl-c", EmnifyConfig::default()).await;
    let mut command = setup.command(&["login", "--store", "file", "--user", "someone"]);
    command.stdin(Stdio::inherit());
    let status = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(command, Some(10_000)).unwrap();
        session.exp_string("Password of").unwrap();
        session.send("hunt").unwrap();
        session.send_control('c').unwrap();
        session.exp_eof().unwrap();
        session.process.wait().unwrap()
    })
    .await
    .unwrap();
    assert!(
        matches!(status, rexpect::process::wait::WaitStatus::Exited(_, 2)),
        "{status:?}"
    );
    assert_eq!(setup.fake.logins(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_login_replaces_the_old_one_only_when_it_succeeds() {
    let setup = Setup::new("relogin", EmnifyConfig::default()).await;
    assert_eq!(
        setup.login_with_application_token().await.status.code(),
        Some(0)
    );
    let credential =
        emnify_auth::FileTokenStore::new(setup.dir.join("tokens")).path_of("default.credential");
    assert!(credential.exists());

    // A login that is cancelled (no password to read) leaves the working one as it was.
    let user = setup.config.username.clone();
    let cancelled = setup
        .run(setup.command(&["login", "--store", "file", "--user", &user]))
        .await;
    assert_eq!(cancelled.status.code(), Some(2));
    let token = setup.run(setup.command(&["token"])).await;
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));

    // A password login in its place keeps no application token behind.
    let mut password = setup.command(&["login", "--store", "file", "--user", &user]);
    password.env("EMNIFY_PASSWORD", &setup.config.password);
    let password = setup.run(password).await;
    assert_eq!(
        password.status.code(),
        Some(0),
        "{}",
        text(&password.stderr)
    );
    assert!(!credential.exists(), "the application token is gone");

    // Profile names cannot reach another profile's entries.
    let odd = setup
        .run(setup.command(&["--profile", "default.credential", "token"]))
        .await;
    assert_eq!(odd.status.code(), Some(1));
    assert!(text(&odd.stderr).contains("no profile name"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_side_by_side_renew_the_token_once() {
    let setup = Setup::new("side-by-side", EmnifyConfig::default()).await;
    let user = setup.config.username.clone();
    let mut login = setup.command(&["login", "--store", "file", "--user", &user]);
    login.env("EMNIFY_PASSWORD", &setup.config.password);
    assert_eq!(setup.run(login).await.status.code(), Some(0));
    // The kept token is about to expire (the renewed one will not be).
    let store = emnify_auth::FileTokenStore::new(setup.dir.join("tokens"));
    let mut kept = store.load("default").await.unwrap().unwrap();
    kept.expires_at = kept.expires_at.map(|_| unix_now() + 10);
    store.save("default", &kept).await.unwrap();
    // Four scripts ask at once; the refresh token rotates, so only one may spend it. A fifth
    // command holds the profile's lock while they start, so that all four are at it together.
    let locks = setup.dir.join("locks");
    std::fs::create_dir_all(&locks).unwrap();
    let held = locks.join("token-default.lock");
    std::fs::write(&held, b"").unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut token = setup.command(&["token"]);
            token.stdout(Stdio::piped()).stderr(Stdio::piped());
            token.spawn().unwrap()
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(setup.fake.refreshes(), 0, "all four wait for the lock");
    std::fs::remove_file(&held).unwrap();
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output().unwrap())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    for output in &outputs {
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    }
    assert_eq!(setup.fake.refreshes(), 1, "one renewal for the four");
    let printed: std::collections::BTreeSet<_> =
        outputs.iter().map(|output| output.stdout.clone()).collect();
    assert_eq!(printed.len(), 1, "the same token for all");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_or_stderr_is_no_panic() {
    let setup = Setup::new("closed-stdout", EmnifyConfig::default()).await;
    assert_eq!(
        setup.login_with_application_token().await.status.code(),
        Some(0)
    );
    let mut token = setup.command(&["token"]);
    token.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = token.spawn().unwrap();
    drop(child.stdout.take());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{}", text(&output.stderr));
    assert!(!text(&output.stderr).contains("panicked"));

    // A closed stderr loses what the command says there, nothing else: the login is done.
    let mut login = setup.command(&["--profile", "quiet", "login", "--store", "file"]);
    login
        .env("EMNIFY_APPLICATION_TOKEN", &setup.config.application_token)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = login.spawn().unwrap();
    drop(child.stderr.take());
    let output = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
}
