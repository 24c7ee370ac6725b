//! Tokens that survive restarts: providers kept in a `TokenStore`, against the fakes. Each
//! "process" is a client with a token source of its own, sharing only the store, as processes
//! started one after another share a directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use auth_core::{
    Credentials, FileTokenStore, MemoryTokenStore, Method, StoredToken, Token, TokenProvider,
    TokenStore, TokenStoreError,
};
use emnify_auth::{ApplicationToken, PasswordLogin};
use workspace_tests::emnify;
use workspace_tests::fakes::emnify::{EmnifyConfig, EmnifyFake};

/// A directory of its own for one test, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "auth-client-store-{name}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One process's use of emnify: a fresh client whose tokens come from `provider`.
async fn one_process(base: &emnify_auth::Client, provider: impl TokenProvider + 'static) {
    let client = base.with_token_provider(provider);
    let answer = client
        .request(Method::GET, "/api/v1/endpoint")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
}

#[tokio::test]
async fn ten_processes_one_after_another_make_one_token_request() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let dir = TempDir::new("ten");
    let base = emnify(&server.url(), Credentials::None);
    for _ in 0..10 {
        let store = FileTokenStore::new(&dir.0);
        let provider = ApplicationToken::new(&base, config.application_token.clone());
        one_process(&base, provider.stored_in(store, "application")).await;
    }
    assert_eq!(fake.logins(), 1);
}

#[tokio::test]
async fn a_stored_refresh_token_comes_before_a_full_login_and_new_tokens_are_saved() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let store = MemoryTokenStore::new();
    let base = emnify(&server.url(), Credentials::None);
    let login = || PasswordLogin::new(&base, config.username.clone(), config.password.clone());

    one_process(&base, login().stored_in(store.clone(), "user")).await;
    assert_eq!((fake.logins(), fake.refreshes()), (1, 0));
    let first = store.load("user").await.unwrap().unwrap();
    assert!(
        first.refresh_token.is_some(),
        "the login's refresh token is kept"
    );

    // The stored access token has expired by the time the next process starts.
    let mut expired = first.clone();
    expired.expires_at = Some(1);
    store.save("user", &expired).await.unwrap();
    one_process(&base, login().stored_in(store.clone(), "user")).await;
    assert_eq!((fake.logins(), fake.refreshes()), (1, 1));

    let second = store.load("user").await.unwrap().unwrap();
    assert_ne!(
        second.access_token, first.access_token,
        "the new token is saved"
    );
    assert_eq!(second.refresh_token, first.refresh_token);
}

#[tokio::test]
async fn a_corrupt_file_leads_to_one_fresh_login_and_a_repaired_file() {
    let config = EmnifyConfig::default();
    let (fake, server) = EmnifyFake::start(config.clone()).await.unwrap();
    let dir = TempDir::new("corrupt");
    let store = FileTokenStore::new(&dir.0);
    let path = store.path_of("application");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(&path, "{\"access_token\": \"half-written-secret").unwrap();

    let error = store.load("application").await.unwrap_err();
    assert!(
        matches!(error, TokenStoreError::Corrupt { .. }),
        "{error:?}"
    );
    assert!(
        !error.to_string().contains("half-written-secret"),
        "{error}"
    );

    let base = emnify(&server.url(), Credentials::None);
    for _ in 0..2 {
        let provider = ApplicationToken::new(&base, config.application_token.clone());
        one_process(&base, provider.stored_in(store.clone(), "application")).await;
    }
    assert_eq!(fake.logins(), 1);
    assert!(store.load("application").await.unwrap().is_some());
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_the_owners_only_and_keys_are_safe_names() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("mode");
    let store = FileTokenStore::new(&dir.0);
    let token = StoredToken::of(&Token::expiring_in("s", Duration::from_secs(60)));
    store.save("../user@example.org", &token).await.unwrap();

    let path = store.path_of("../user@example.org");
    assert_eq!(path.parent(), Some(dir.0.as_path()));
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let dir_mode = std::fs::metadata(&dir.0).unwrap().permissions().mode();
    assert_eq!(dir_mode & 0o777, 0o700);

    store.clear("../user@example.org").await.unwrap();
    assert!(!path.exists());
    store.clear("../user@example.org").await.unwrap();
}

#[test]
fn a_stored_expiry_is_wall_clock_time_re_anchored_when_loaded() {
    let token = Token::expiring_in("secret-access", Duration::from_secs(600))
        .with_refresh_token("secret-refresh");
    let stored = StoredToken::of(&token);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let at = stored.expires_at.unwrap();
    assert!((now + 598..=now + 600).contains(&at), "{at} vs {now}");

    let loaded = stored.to_token(Duration::from_secs(60)).unwrap();
    let left = loaded.expires_in().unwrap();
    assert!((597..=600).contains(&left.as_secs()), "{left:?}");
    assert_eq!(loaded.refresh_token().unwrap().expose(), "secret-refresh");
    // Within the margin, or past: not used.
    assert!(stored.to_token(Duration::from_secs(900)).is_none());

    let shown = format!("{stored:?}");
    assert!(!shown.contains("secret"), "{shown}");
}

#[tokio::test]
async fn plex_keeps_the_token_with_the_client_identifier_it_is_tied_to() {
    use plex_auth::testing::{PlexConfig, PlexFake};
    let config = PlexConfig {
        two_factor_code: None,
        ..PlexConfig::default()
    };
    let (_fake, servers) = PlexFake::start(config.clone()).await.unwrap();
    let store = MemoryTokenStore::new();
    let identity = workspace_tests::plex_identity();
    let plex_auth::LoginOutcome::LoggedIn(logged_in) = workspace_tests::plex_of_fake(&servers)
        .login(&config.login, config.password.clone())
        .await
        .unwrap()
    else {
        panic!("no two-factor code configured");
    };
    logged_in.save(&store, "plex", &identity).await.unwrap();

    // The next run starts with another identifier; the stored one wins, with its token.
    let fresh = plex_auth::ClientIdentity::new("another-install").product("auth-client tests");
    let (restored, token) = fresh.restore(&store, "plex").await.unwrap().unwrap();
    assert_eq!(restored.client_identifier, identity.client_identifier);
    assert_eq!(restored.product.as_deref(), Some("auth-client tests"));
    assert_eq!(token, logged_in.account.auth_token);

    let client = restored
        .builder()
        .server_url(
            plex_auth::Server::PlexTv,
            format!("{}/api/v2", servers.plex_tv.url()),
        )
        .build()
        .unwrap()
        .with_token(token);
    let me = client.authentication().get_token_details().await.unwrap();
    assert_eq!(me.email, config.login);

    assert!(
        plex_auth::ClientIdentity::new("x")
            .restore(&store, "nothing")
            .await
            .unwrap()
            .is_none()
    );
}

#[cfg(unix)]
#[tokio::test]
async fn a_token_file_that_is_a_link_is_never_followed() {
    let dir = TempDir::new("links");
    let store = FileTokenStore::new(&dir.0);
    std::fs::create_dir_all(&dir.0).unwrap();
    // Someone links the token file to a file of theirs, holding a token of theirs.
    let planted = dir.0.join("planted.json");
    let theirs = StoredToken::of(&Token::expiring_in(
        "planted-token",
        Duration::from_secs(600),
    ));
    std::fs::write(&planted, serde_json::to_vec(&theirs).unwrap()).unwrap();
    let path = store.path_of("application");
    std::os::unix::fs::symlink(&planted, &path).unwrap();

    // Reading does not follow it.
    let error = store.load("application").await.unwrap_err();
    assert!(
        matches!(&error, TokenStoreError::Unreadable { reason, .. } if reason.contains("symbolic link")),
        "{error:?}"
    );
    // Writing replaces the link, and leaves what it pointed to as it was.
    let ours = StoredToken::of(&Token::expiring_in("our-token", Duration::from_secs(600)));
    store.save("application", &ours).await.unwrap();
    assert!(
        !std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let loaded = store.load("application").await.unwrap().unwrap();
    assert_eq!(loaded.access_token.expose(), "our-token");
    let untouched: StoredToken = serde_json::from_slice(&std::fs::read(&planted).unwrap()).unwrap();
    assert_eq!(untouched.access_token.expose(), "planted-token");
}

#[tokio::test]
async fn any_key_names_a_file_of_its_own_however_long() {
    let dir = TempDir::new("long-keys");
    let store = FileTokenStore::new(&dir.0);
    let long = "k".repeat(10_000);
    let longer = format!("{long}!");
    let unicode = "ü".repeat(500);
    for (i, key) in [&long, &longer, &unicode].into_iter().enumerate() {
        let name = store.path_of(key).file_name().unwrap().len();
        assert!(
            name <= auth_core::LONGEST_KEY_NAME + ".json".len(),
            "{name}"
        );
        let token = StoredToken::of(&Token::new(format!("token-{i}")));
        store.save(key, &token).await.unwrap();
    }
    assert_ne!(store.path_of(&long), store.path_of(&longer));
    for (i, key) in [&long, &longer, &unicode].into_iter().enumerate() {
        let loaded = store.load(key).await.unwrap().unwrap();
        assert_eq!(loaded.access_token.expose(), format!("token-{i}"));
    }
    // A short key keeps its readable name.
    assert!(
        store
            .path_of("emnify:application")
            .ends_with("emnify%3Aapplication.json")
    );
}
