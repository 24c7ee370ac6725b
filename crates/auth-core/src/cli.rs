//! The `cli` feature: what the vendor crates' command lines share, so that each binary writes
//! only its vendor's logins. Profiles (the non-secret settings of a login, one JSON file per
//! tool), the token store each profile uses (the OS keyring or the 0600 file store), prompts
//! (secrets read without echo), the exit codes scripts branch on, and the one-line error. It
//! uses the errors, secrets and token stores; nothing here knows a vendor.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{TokenError, TokenErrorKind};
use crate::secret::Secret;
use crate::token::{FileTokenStore, StoredToken, Token, TokenProvider, TokenStore};

/// What a command ended with: the exit codes a script can branch on, as `gh` has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done.
    Done = 0,
    /// 1: an error (the vendor refused, the network failed, the input was wrong).
    Error = 1,
    /// 2: cancelled by the user (Ctrl-C, or end of input at a prompt).
    Cancelled = 2,
    /// 4: no usable login: run `login` (nothing stored, or the vendor refused what was).
    LoginNeeded = 4,
}

/// Why a command failed: its exit code and one line for stderr, which never holds a secret.
#[derive(Debug)]
pub struct Failure {
    exit: Exit,
    line: String,
}

impl Failure {
    /// A failure with exit code 1.
    pub fn error(line: impl fmt::Display) -> Self {
        Self::new(Exit::Error, line)
    }

    /// A failure with exit code 4: no usable login.
    pub fn login_needed(line: impl fmt::Display) -> Self {
        Self::new(Exit::LoginNeeded, line)
    }

    /// The user cancelled (exit code 2).
    pub fn cancelled() -> Self {
        Self::new(Exit::Cancelled, "cancelled")
    }

    /// A failure of `exit` saying `line` (folded to one line).
    pub fn new(exit: Exit, line: impl fmt::Display) -> Self {
        let line = line.to_string();
        Self {
            exit,
            line: line.split_whitespace().collect::<Vec<_>>().join(" "),
        }
    }

    /// The exit code.
    pub fn exit(&self) -> Exit {
        self.exit
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line)
    }
}

/// A binary's `main`: runs `command` to its end, or until Ctrl-C (exit code 2), and prints its
/// failure on stderr as one line, `tool: line`. A prompt still waiting for input is left
/// behind, not waited for.
pub fn main<F>(tool: &str, command: F) -> ExitCode
where
    F: Future<Output = Result<(), Failure>>,
{
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("{tool}: cannot start: {error}");
            return ExitCode::from(Exit::Error as u8);
        }
    };
    let outcome = runtime.block_on(async {
        tokio::select! {
            outcome = command => outcome,
            _ = tokio::signal::ctrl_c() => Err(Failure::cancelled()),
        }
    });
    runtime.shutdown_background();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{tool}: {failure}");
            ExitCode::from(failure.exit as u8)
        }
    }
}

/// Where a profile keeps its secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StoreKind {
    /// The operating system's credential store ([`KeyringTokenStore`](crate::KeyringTokenStore)).
    Keyring,
    /// One 0600 JSON file per entry, in the tool's directory ([`FileTokenStore`]).
    File,
}

impl StoreKind {
    /// Whether the keyring keeps a login from one command to the next here: the macOS
    /// Keychain and the Windows Credential Manager do. On Linux the keyring this crate reaches
    /// without system libraries is the kernel's session keyring, which a command started
    /// without a login session gets afresh and loses at its exit (seen: the next command
    /// finds nothing), so a CLI cannot keep a login there.
    pub const KEYRING_KEEPS_LOGINS: bool = cfg!(any(target_os = "macos", target_os = "windows"));

    /// The store used when none is chosen: the OS keyring where it keeps logins
    /// ([`StoreKind::KEYRING_KEEPS_LOGINS`]), the file store elsewhere.
    pub fn default_here() -> Self {
        if Self::KEYRING_KEEPS_LOGINS {
            Self::Keyring
        } else {
            Self::File
        }
    }

    /// The store `--store` named, or [`StoreKind::default_here`]; the keyring where it would
    /// not keep the login is refused, rather than losing it.
    pub fn chosen(name: Option<&str>) -> Result<Self, Failure> {
        match name.map(|name| Self::from_name(name).ok_or(name)) {
            None => Ok(Self::default_here()),
            Some(Ok(Self::Keyring)) if !Self::KEYRING_KEEPS_LOGINS => Err(Failure::error(
                "the OS keyring reachable here (the Linux session keyring) would not keep the \
                 login for the next command: use --store file (0600 files)",
            )),
            Some(Ok(kind)) => Ok(kind),
            Some(Err(name)) => Err(Failure::error(format!("no store named {name:?}"))),
        }
    }

    /// Its name on the command line: `keyring` or `file`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Keyring => "keyring",
            Self::File => "file",
        }
    }

    /// Parses a name of [`StoreKind::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "keyring" => Some(Self::Keyring),
            "file" => Some(Self::File),
            _ => None,
        }
    }
}

/// A login as the tool remembers it: its kind and settings (none secret), and its store. The
/// secrets are in the store, under [`Profile::token_key`] and [`Profile::credential_key`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// The profile's name (`default` unless `--profile` chose another).
    #[serde(skip)]
    pub name: String,
    /// Where its secrets are.
    pub store: StoreKind,
    /// How it logged in (`application-token`, `password`, ...: each tool's own names).
    pub login: String,
    /// The login's other settings (a user name, an account id, a server's URL).
    #[serde(default)]
    pub settings: BTreeMap<String, String>,
}

impl Profile {
    /// The store entry of the access token (with its refresh token and expiry).
    pub fn token_key(&self) -> String {
        self.name.clone()
    }

    /// The store entry of the long-lived credential a new token is obtained with (an
    /// application token, an API client's secret), for logins that have one.
    pub fn credential_key(&self) -> String {
        format!("{}.credential", self.name)
    }

    /// A setting, or a failure naming it.
    pub fn setting(&self, name: &str) -> Result<&str, Failure> {
        self.settings.get(name).map(String::as_str).ok_or_else(|| {
            Failure::login_needed(format!(
                "profile {:?} has no {name}: log in again",
                self.name
            ))
        })
    }
}

/// A tool's profiles and stores: `profiles.json` and the file store's `tokens/` in the tool's
/// directory (`$<TOOL>_CONFIG_DIR`, else `$XDG_CONFIG_HOME/<tool>`, else `~/.config/<tool>`),
/// and the keyring entries under the tool's name.
#[derive(Debug, Clone)]
pub struct Tool {
    name: &'static str,
    dir: PathBuf,
}

impl Tool {
    /// The tool `name` (the binary's name, `emnify-auth` say) and its directory.
    pub fn new(name: &'static str) -> Result<Self, Failure> {
        let variable = format!("{}_CONFIG_DIR", name.to_uppercase().replace('-', "_"));
        let dir = match std::env::var_os(&variable) {
            Some(dir) => PathBuf::from(dir),
            None => match std::env::var_os("XDG_CONFIG_HOME") {
                Some(config) => PathBuf::from(config).join(name),
                None => match std::env::var_os("HOME").or_else(|| std::env::var_os("APPDATA")) {
                    Some(home) => PathBuf::from(home).join(".config").join(name),
                    None => {
                        return Err(Failure::error(format!(
                            "no directory for the profiles: set {variable}"
                        )));
                    }
                },
            },
        };
        Ok(Self { name, dir })
    }

    /// The tool's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn profiles_path(&self) -> PathBuf {
        self.dir.join("profiles.json")
    }

    fn profiles(&self) -> Result<BTreeMap<String, Profile>, Failure> {
        let path = self.profiles_path();
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
                Failure::error(format!("{} is not a profile list: {error}", path.display()))
            }),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(error) => Err(Failure::error(format!(
                "cannot read {}: {error}",
                path.display()
            ))),
        }
    }

    fn write_profiles(&self, profiles: &BTreeMap<String, Profile>) -> Result<(), Failure> {
        let path = self.profiles_path();
        let failed = |error: std::io::Error| {
            Failure::error(format!("cannot write {}: {error}", path.display()))
        };
        std::fs::create_dir_all(&self.dir).map_err(failed)?;
        let text = serde_json::to_vec_pretty(profiles).map_err(Failure::error)?;
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, text).map_err(failed)?;
        std::fs::rename(&partial, &path).map_err(failed)
    }

    /// The profile `name`, or exit code 4 when there is none.
    pub fn profile(&self, name: &str) -> Result<Profile, Failure> {
        let mut profile = self.profiles()?.remove(name).ok_or_else(|| {
            Failure::login_needed(format!(
                "not logged in (profile {name:?}): run `{} login`",
                self.name
            ))
        })?;
        profile.name = name.to_owned();
        Ok(profile)
    }

    /// Remembers `profile` (replacing one of its name).
    pub fn save_profile(&self, profile: &Profile) -> Result<(), Failure> {
        let mut profiles = self.profiles()?;
        profiles.insert(profile.name.clone(), profile.clone());
        self.write_profiles(&profiles)
    }

    /// Forgets the profile `name`: its settings and both its store entries. `false` when there
    /// was none.
    pub async fn remove_profile(&self, name: &str) -> Result<bool, Failure> {
        let mut profiles = self.profiles()?;
        let Some(mut profile) = profiles.remove(name) else {
            return Ok(false);
        };
        profile.name = name.to_owned();
        let store = self.store(profile.store);
        for key in [profile.token_key(), profile.credential_key()] {
            store.clear(&key).await.map_err(Failure::error)?;
        }
        self.write_profiles(&profiles)?;
        Ok(true)
    }

    /// `logout`: forgets the profile `name` and says so on stderr; exit code 4 when there was
    /// none.
    pub async fn logout(&self, name: &str) -> Result<(), Failure> {
        if self.remove_profile(name).await? {
            eprintln!("Logged out of profile {name:?}.");
            Ok(())
        } else {
            Err(Failure::login_needed(format!(
                "not logged in (profile {name:?})"
            )))
        }
    }

    /// The store of `kind` for this tool.
    pub fn store(&self, kind: StoreKind) -> Arc<dyn TokenStore> {
        match kind {
            StoreKind::File => Arc::new(FileTokenStore::new(self.dir.join("tokens"))),
            StoreKind::Keyring => Arc::new(crate::KeyringTokenStore::new(self.name)),
        }
    }

    /// Where `profile` keeps its secrets, in words (for `status`).
    pub fn place(&self, profile: &Profile) -> String {
        match profile.store {
            StoreKind::File => {
                let path = FileTokenStore::new(self.dir.join("tokens")).path_of(&profile.name);
                format!("the file store ({})", path.display())
            }
            StoreKind::Keyring => format!(
                "the OS keyring (service {:?}, entry {:?})",
                self.name, profile.name
            ),
        }
    }
}

/// `error` in one line, with `code` (the vendor's error code, in words) after it. Exit code 4
/// when only a new login mends it: the vendor refused what the stored login obtains tokens
/// with ([`needs_login`]), or answered 401 to the stored token; 1 otherwise.
pub fn failure<E>(error: &E, code: Option<String>) -> Failure
where
    E: crate::ErrorMetadata + std::error::Error + 'static,
{
    let refused = error.status() == Some(reqwest::StatusCode::UNAUTHORIZED);
    let exit = if needs_login(error) || refused {
        Exit::LoginNeeded
    } else {
        Exit::Error
    };
    match code {
        Some(code) => Failure::new(exit, format!("{error} ({code})")),
        None => Failure::new(exit, error),
    }
}

/// The same for `login` itself: always exit code 1, as what was just given was refused.
pub fn login_failure<E>(error: &E, code: Option<String>) -> Failure
where
    E: crate::ErrorMetadata + std::error::Error + 'static,
{
    Failure::new(Exit::Error, failure(error, code))
}

/// Whether `error` is the vendor refusing what a stored login obtains tokens with (or a token
/// request that needs a person), which only a new login mends: exit code 4.
pub fn needs_login(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        let kind = match error.downcast_ref::<crate::Error>() {
            Some(crate::Error::TokenRefresh(refused)) => Some(refused.kind()),
            _ => error.downcast_ref::<TokenError>().map(TokenError::kind),
        };
        if matches!(
            kind,
            Some(TokenErrorKind::Rejected | TokenErrorKind::InteractionRequired)
        ) {
            return true;
        }
        next = error.source();
    }
    false
}

/// `variable` from the environment, as a secret, when it is set and not empty.
pub fn secret_from_env(variable: &str) -> Option<Secret> {
    std::env::var(variable)
        .ok()
        .filter(|value| !value.is_empty())
        .map(Secret::from)
}

/// Whether a person can answer prompts: standard input is a terminal.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal()
}

/// Asks for one line on stderr and reads it from stdin (end of input: cancelled).
pub async fn prompt_line(prompt: &str) -> Result<String, Failure> {
    let prompt = prompt.to_owned();
    blocking(move || {
        let mut stderr = std::io::stderr();
        let _ = write!(stderr, "{prompt}");
        let _ = stderr.flush();
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line) {
            Ok(0) => Err(Failure::cancelled()),
            Ok(_) => Ok(line.trim().to_owned()),
            Err(error) => Err(Failure::error(format!("cannot read the answer: {error}"))),
        }
    })
    .await
}

/// Asks for a secret on the terminal, read without echo; without a terminal, one line of
/// stdin (`printf %s "$TOKEN" | tool login --with-token`). An empty answer is cancelled.
pub async fn prompt_secret(prompt: &str) -> Result<Secret, Failure> {
    let prompt = prompt.to_owned();
    blocking(move || {
        let answer = if interactive() {
            rpassword::prompt_password(&prompt)
        } else {
            let mut line = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map(|_| line.trim_end_matches(['\r', '\n']).to_owned())
        };
        match answer {
            Ok(secret) if secret.is_empty() => Err(Failure::cancelled()),
            Ok(secret) => Ok(Secret::from(secret)),
            // Ctrl-D on an empty line, or Ctrl-C (the terminal is restored before either).
            Err(error)
                if matches!(
                    error.kind(),
                    std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::Interrupted
                ) =>
            {
                Err(Failure::cancelled())
            }
            Err(error) => Err(Failure::error(format!("cannot read the secret: {error}"))),
        }
    })
    .await
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(Failure::error("the prompt failed")))
}

/// How long a printed token has left at least: a stored one closer to its expiry is renewed
/// first, so that the command a script hands it to does not get an expired token.
pub const RENEW_AHEAD: Duration = Duration::from_secs(60);

/// How long obtaining a token may take (`login`, `token`).
pub const TOKEN_TIMEOUT: Duration = Duration::from_secs(60);

/// A new token from `provider`, within [`TOKEN_TIMEOUT`]; `describe` says why there is none
/// (the vendor's refusal is [`Error::TokenRefresh`](crate::Error::TokenRefresh)).
pub async fn obtain(
    provider: &dyn TokenProvider,
    describe: impl Fn(&crate::Error) -> Failure,
) -> Result<Token, Failure> {
    match tokio::time::timeout(TOKEN_TIMEOUT, provider.fetch()).await {
        Ok(Ok(token)) => Ok(token),
        Ok(Err(refused)) => Err(describe(&crate::Error::TokenRefresh(refused))),
        Err(_) => Err(Failure::error(format!(
            "no token within {} s",
            TOKEN_TIMEOUT.as_secs()
        ))),
    }
}

/// The token kept under `key` when it has more than [`RENEW_AHEAD`] left; otherwise a new one
/// from `provider` ([`obtain`]), kept in its place (with the refresh token it rotated to).
pub async fn fresh_token(
    store: &dyn TokenStore,
    key: &str,
    provider: &dyn TokenProvider,
    describe: impl Fn(&crate::Error) -> Failure,
) -> Result<StoredToken, Failure> {
    if let Some(kept) = store.load(key).await.map_err(Failure::error)?
        && kept.expires_in().is_none_or(|left| left > RENEW_AHEAD)
    {
        return Ok(kept);
    }
    let token = StoredToken::of(&obtain(provider, describe).await?);
    store.save(key, &token).await.map_err(Failure::error)?;
    Ok(token)
}

/// Prints `token` on stdout, alone on its line; with `json`, as
/// `{"token": .., "expires_at": .., "expires_in": ..}` (Unix seconds and seconds left, or
/// `null` when the vendor gives no expiry).
pub fn print_token(token: &StoredToken, json: bool) {
    let secret = token.access_token.expose();
    if json {
        let value = serde_json::json!({
            "token": secret,
            "expires_at": token.expires_at,
            "expires_in": token.expires_in().map(|left| left.as_secs()),
        });
        println!("{value}");
    } else {
        println!("{secret}");
    }
}

/// `token`'s expiry in words, for `status`: `in 3599 s (at 1767225600, Unix time)`, or that
/// the vendor gave none.
pub fn expiry_in_words(token: &StoredToken) -> String {
    match (token.expires_in(), token.expires_at) {
        (Some(left), Some(at)) if left.is_zero() => format!("expired (at {at}, Unix time)"),
        (Some(left), Some(at)) => format!("in {} s (at {at}, Unix time)", left.as_secs()),
        _ => "no expiry given by the vendor".to_owned(),
    }
}
