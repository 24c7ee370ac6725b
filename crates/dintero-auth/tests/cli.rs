//! The `dintero-auth` binary driven as a user drives it, against the crate's fake: an API
//! client from the environment, an account user with the code Dintero sends typed at a
//! pseudo-terminal, renewals, and each exit code.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use dintero_auth::testing::{DinteroConfig, DinteroFake, Server};
use dintero_auth::{
    ClientCredentials, FileTokenStore, RefreshToken, TokenErrorKind, TokenProvider, TokenStore,
};
use rexpect::process::wait::WaitStatus;

const BINARY: &str = env!("CARGO_BIN_EXE_dintero-auth");

/// The fake, and a configuration directory of this test's own.
struct Setup {
    fake: Arc<DinteroFake>,
    server: Server,
    config: DinteroConfig,
    dir: PathBuf,
}

impl Setup {
    async fn new(name: &str, config: DinteroConfig) -> Self {
        let (fake, server) = DinteroFake::start(config.clone()).await.unwrap();
        let dir = std::env::temp_dir().join(format!("dintero-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Self {
            fake,
            server,
            config,
            dir,
        }
    }

    /// The binary with `args`, pointed at the fake, the account and API client in the
    /// environment as CI has them, its files in the test's directory.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(BINARY);
        command
            .args(args)
            .env_clear()
            .env("DINTERO_AUTH_CONFIG_DIR", &self.dir)
            .env("DINTERO_BASE_URL", self.server.url())
            .env("DINTERO_ACCOUNT_ID", &self.config.account_id)
            .env("DINTERO_CLIENT_ID", &self.config.client_id)
            .stdin(Stdio::null());
        command
    }

    async fn run(&self, mut command: Command) -> Output {
        tokio::task::spawn_blocking(move || command.output().unwrap())
            .await
            .unwrap()
    }

    async fn login_as_api_client(&self) -> Output {
        let mut login = self.command(&["login", "--store", "file"]);
        login.env("DINTERO_CLIENT_SECRET", &self.config.client_secret);
        self.run(login).await
    }

    /// Asserts that Dintero no longer gives tokens for `refresh_token`: it was revoked.
    async fn assert_revoked(&self, refresh_token: dintero_auth::Secret) {
        let base = dintero_auth::testing::builder(&self.server)
            .build()
            .unwrap();
        let api = base.with_token_provider(ClientCredentials::new(
            &base,
            &self.config.account_id,
            &self.config.client_id,
            self.config.client_secret.clone(),
            "aud",
        ));
        let refused = RefreshToken::new(&api, &self.config.account_id, refresh_token)
            .fetch()
            .await
            .unwrap_err();
        assert_eq!(refused.kind(), TokenErrorKind::Rejected, "{refused}");
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

/// Access tokens of 20 s: always within a minute of their expiry, so each `token` renews.
fn short_tokens() -> DinteroConfig {
    DinteroConfig {
        token_lifetime: Duration::from_secs(20),
        ..DinteroConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_client_logs_in_from_the_environment_and_its_token_is_renewed() {
    let setup = Setup::new("client", short_tokens()).await;
    let login = setup.login_as_api_client().await;
    assert_eq!(login.status.code(), Some(0), "{}", text(&login.stderr));
    assert!(login.stdout.is_empty());
    assert!(!text(&login.stderr).contains(&setup.config.client_secret));

    let first = setup.run(setup.command(&["token"])).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let token = text(&first.stdout);
    let token = token.strip_suffix('\n').expect("one line");
    assert!(setup.fake.issued(token), "a token the fake issued");
    let second = setup.run(setup.command(&["token", "--json"])).await;
    let value: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_ne!(value["token"], token, "renewed: it had under a minute left");
    assert!(value["expires_in"].as_u64().unwrap() <= 20);

    let status = setup.run(setup.command(&["status"])).await;
    let said = text(&status.stdout);
    assert!(said.contains("API client fake-client-id"), "{said}");
    assert!(said.contains("the file store"), "{said}");

    assert_eq!(
        setup.run(setup.command(&["logout"])).await.status.code(),
        Some(0)
    );
    let after = setup.run(setup.command(&["token"])).await;
    assert_eq!(after.status.code(), Some(4));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_user_logs_in_with_the_code_dintero_sends() {
    let setup = Setup::new("user", short_tokens()).await;
    let mut login = setup.command(&["login", "--store", "file", "--user", &setup.config.username]);
    login
        .env("DINTERO_CLIENT_SECRET", &setup.config.client_secret)
        .stdin(Stdio::inherit());
    let password = setup.config.password.clone();
    let fake = setup.fake.clone();
    let (said, status) = tokio::task::spawn_blocking(move || {
        let mut session = rexpect::session::spawn_command(login, Some(15_000)).unwrap();
        session.exp_string("Password of").unwrap();
        session.send_line(&password).unwrap();
        session.exp_string("sms or email?").unwrap();
        session.send_line("fax").unwrap();
        session.exp_string("sms or email?").unwrap();
        session.send_line("sms").unwrap();
        session.exp_string("Code Dintero sent").unwrap();
        let code = fake.last_binding_code().expect("a challenge was sent");
        session.send_line(&code).unwrap();
        let said = session.exp_eof().unwrap();
        (said, session.process.wait().unwrap())
    })
    .await
    .unwrap();
    assert!(
        matches!(status, WaitStatus::Exited(_, 0)),
        "{status:?}: {said}"
    );
    assert!(said.contains("as user@example.org"), "{said}");

    // The user's token, renewed with the user's refresh token.
    let requests = setup.fake.token_requests();
    let token = setup.run(setup.command(&["token"])).await;
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
    assert!(setup.fake.token_requests() > requests, "renewed");
    let status = setup.run(setup.command(&["status"])).await;
    assert!(text(&status.stdout).contains("account user user@example.org"));

    // `logout` revokes the user's refresh token at Dintero: it no longer gives tokens.
    let kept = FileTokenStore::new(setup.dir.join("tokens"));
    let kept = kept.load("default").await.unwrap().unwrap();
    let refresh_token = kept
        .refresh_token
        .expect("the user's refresh token is kept");
    let logout = setup.run(setup.command(&["logout"])).await;
    assert_eq!(logout.status.code(), Some(0), "{}", text(&logout.stderr));
    assert!(text(&logout.stderr).contains("revoked at Dintero"));
    setup.assert_revoked(refresh_token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_cancellations_have_their_exit_codes() {
    let setup = Setup::new("refused", DinteroConfig::default()).await;
    let mut wrong = setup.command(&["login", "--store", "file"]);
    wrong.env("DINTERO_CLIENT_SECRET", "not-the-secret");
    let wrong = setup.run(wrong).await;
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stderr));
    assert_eq!(text(&wrong.stderr).lines().count(), 1);
    assert!(!text(&wrong.stderr).contains("not-the-secret"));

    // No secret in the environment and nothing on stdin: cancelled.
    let cancelled = setup
        .run(setup.command(&["login", "--store", "file"]))
        .await;
    assert_eq!(cancelled.status.code(), Some(2));

    // No account given at all: a usage error (1), and nothing kept.
    let mut bare = setup.command(&["login"]);
    bare.env_remove("DINTERO_ACCOUNT_ID");
    let bare = setup.run(bare).await;
    assert_eq!(bare.status.code(), Some(1));
    assert!(text(&bare.stderr).contains("--account"));
    assert!(!setup.dir.join("profiles.json").exists());

    for args in [&["token"][..], &["status"], &["logout"]] {
        let none = setup.run(setup.command(args)).await;
        assert_eq!(none.status.code(), Some(4), "{args:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_user_login_revokes_the_refresh_token_of_the_one_it_replaces() {
    let config = DinteroConfig {
        user_has_mfa: false,
        ..DinteroConfig::default()
    };
    let setup = Setup::new("relogin", config).await;
    let login = || {
        let mut login =
            setup.command(&["login", "--store", "file", "--user", &setup.config.username]);
        login
            .env("DINTERO_CLIENT_SECRET", &setup.config.client_secret)
            .env("DINTERO_PASSWORD", &setup.config.password);
        login
    };
    let first = setup.run(login()).await;
    assert_eq!(first.status.code(), Some(0), "{}", text(&first.stderr));
    let store = FileTokenStore::new(setup.dir.join("tokens"));
    let earlier = store
        .load("default")
        .await
        .unwrap()
        .unwrap()
        .refresh_token
        .unwrap();
    let second = setup.run(login()).await;
    assert_eq!(second.status.code(), Some(0), "{}", text(&second.stderr));
    setup.assert_revoked(earlier).await;
    // The new login is the profile's.
    let token = setup.run(setup.command(&["token"])).await;
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_completion_scripts_and_its_help() {
    let setup = Setup::new("completion", DinteroConfig::default()).await;
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
