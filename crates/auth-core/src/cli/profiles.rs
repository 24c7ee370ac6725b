//! Profiles and their stores: `profiles.json` (the logins' settings, nothing secret), the
//! store each profile keeps its secrets in (the OS keyring or 0600 files), and the lock files
//! that keep two commands of one tool from writing either at once.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::Failure;
use super::tokens::TOKEN_TIMEOUT;
use crate::token::{FileTokenStore, StoredToken, TokenStore};

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
    /// A profile `name` of the `login` kind, its secrets in `store`. A name is letters,
    /// digits, `-` and `_` (at most 64), so that no two profiles' store entries meet.
    pub fn new(name: &str, store: StoreKind, login: &str) -> Result<Self, Failure> {
        check_name(name)?;
        Ok(Self {
            name: name.to_owned(),
            store,
            login: login.to_owned(),
            settings: BTreeMap::new(),
        })
    }

    /// The same with the setting `name` taken from the environment variable `variable`, when
    /// it is set (a server's URL, kept so that later commands use it too).
    #[must_use]
    pub fn with_setting_from_env(mut self, name: &str, variable: &str) -> Self {
        if let Ok(value) = std::env::var(variable)
            && !value.is_empty()
        {
            self.settings.insert(name.to_owned(), value);
        }
        self
    }

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

fn check_name(name: &str) -> Result<(), Failure> {
    let fits = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_');
    if fits {
        Ok(())
    } else {
        Err(Failure::error(format!(
            "{name:?} is no profile name: letters, digits, - and _ only (at most 64)"
        )))
    }
}

/// A tool's profiles and stores: `profiles.json`, the file store's `tokens/` and the `locks/`
/// in the tool's directory (`$<TOOL>_CONFIG_DIR`, else `$XDG_CONFIG_HOME/<tool>`, else
/// `~/.config/<tool>`, on Windows `%APPDATA%\.config\<tool>` without `HOME`), and the keyring
/// entries under the tool's name.
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
        let mut profiles: BTreeMap<String, Profile> = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|error| {
                Failure::error(format!("{} is not a profile list: {error}", path.display()))
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => BTreeMap::new(),
            Err(error) => {
                return Err(Failure::error(format!(
                    "cannot read {}: {error}",
                    path.display()
                )));
            }
        };
        for (name, profile) in &mut profiles {
            profile.name.clone_from(name);
        }
        Ok(profiles)
    }

    fn write_profiles(&self, profiles: &BTreeMap<String, Profile>) -> Result<(), Failure> {
        let path = self.profiles_path();
        let failed = |error: std::io::Error| {
            Failure::error(format!("cannot write {}: {error}", path.display()))
        };
        std::fs::create_dir_all(&self.dir).map_err(failed)?;
        let text = serde_json::to_vec_pretty(profiles).map_err(Failure::error)?;
        let partial = path.with_extension(format!("json.{}.partial", std::process::id()));
        std::fs::write(&partial, text).map_err(failed)?;
        std::fs::rename(&partial, &path).map_err(failed)
    }

    /// The profile `name`, or exit code 4 when there is none.
    pub fn profile(&self, name: &str) -> Result<Profile, Failure> {
        check_name(name)?;
        self.profiles()?.remove(name).ok_or_else(|| {
            Failure::login_needed(format!(
                "not logged in (profile {name:?}): run `{} login`",
                self.name
            ))
        })
    }

    /// Keeps a login: its token (and its long-lived credential, when it has one) in the
    /// profile's store, then the profile. What an earlier login of the same name kept and this
    /// one does not overwrite (a credential it has no more, entries in another store) is
    /// cleared after, so that a new login leaves no secret of the old one behind.
    pub async fn save_login(
        &self,
        profile: &Profile,
        token: &StoredToken,
        credential: Option<&StoredToken>,
    ) -> Result<(), Failure> {
        check_name(&profile.name)?;
        let _lock = self.lock("profiles").await?;
        let mut profiles = self.profiles()?;
        let store = self.store(profile.store);
        let saved = store.save(&profile.token_key(), token).await;
        saved.map_err(Failure::error)?;
        match credential {
            Some(credential) => store.save(&profile.credential_key(), credential).await,
            None => store.clear(&profile.credential_key()).await,
        }
        .map_err(Failure::error)?;
        let earlier = profiles.insert(profile.name.clone(), profile.clone());
        self.write_profiles(&profiles)?;
        if let Some(earlier) = earlier.filter(|earlier| earlier.store != profile.store) {
            self.clear_entries(&earlier).await?;
        }
        Ok(())
    }

    /// `logout`: forgets the profile `name`, its settings and its store entries, and says so
    /// on stderr; exit code 4 when there was none.
    pub async fn logout(&self, name: &str) -> Result<(), Failure> {
        check_name(name)?;
        let _lock = self.lock("profiles").await?;
        let mut profiles = self.profiles()?;
        let Some(profile) = profiles.remove(name) else {
            return Err(Failure::login_needed(format!(
                "not logged in (profile {name:?})"
            )));
        };
        self.clear_entries(&profile).await?;
        self.write_profiles(&profiles)?;
        super::tell(format_args!("Logged out of profile {name:?}."));
        Ok(())
    }

    /// [`Tool::logout`], after `revoke`, the vendor's revocation of the login's token (when the
    /// login has one to revoke): the login is forgotten whether or not it worked, and a failed
    /// revocation is the command's failure. `revoked` says, as a sentence, what a revocation
    /// did ("The token is signed out at plex.tv."); `not_revoked` what a failed one did not
    /// ("the token was not signed out at plex.tv").
    pub async fn logout_revoking(
        &self,
        name: &str,
        revoke: Option<impl Future<Output = Result<(), Failure>>>,
        revoked: &str,
        not_revoked: &str,
    ) -> Result<(), Failure> {
        let outcome = match revoke {
            Some(revoke) => Some(revoke.await),
            None => None,
        };
        self.logout(name).await?;
        match outcome {
            Some(Err(failure)) => Err(Failure::new(
                failure.exit(),
                format!("forgotten here, but {not_revoked}: {failure}"),
            )),
            Some(Ok(())) => {
                super::tell(revoked);
                Ok(())
            }
            None => Ok(()),
        }
    }

    async fn clear_entries(&self, profile: &Profile) -> Result<(), Failure> {
        let store = self.store(profile.store);
        for key in [profile.token_key(), profile.credential_key()] {
            store.clear(&key).await.map_err(Failure::error)?;
        }
        Ok(())
    }

    /// The failure of a login that needs renewing: exit code 4, and the command that mends it.
    pub fn login_again(&self) -> Failure {
        Failure::login_needed(format!("run `{} login` again", self.name))
    }

    /// The long-lived credential `profile` keeps ([`Profile::credential_key`]); exit code 4
    /// when there is none.
    pub async fn credential(&self, profile: &Profile) -> Result<crate::Secret, Failure> {
        let kept = self
            .store(profile.store)
            .load(&profile.credential_key())
            .await;
        let kept = kept.map_err(Failure::error)?;
        kept.map(|kept| kept.access_token)
            .ok_or_else(|| self.login_again())
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

    /// Takes the tool's lock `name` (a file in `locks/`), waiting for another command of this
    /// tool to give it up.
    pub(super) async fn lock(&self, name: &str) -> Result<FileLock, Failure> {
        FileLock::take(self.dir.join("locks").join(format!("{name}.lock"))).await
    }
}

/// How long a command waits for a lock: longer than a holder may keep it.
const LOCK_WAIT: Duration = TOKEN_TIMEOUT.saturating_add(Duration::from_secs(10));
/// A lock file older than this was left by a command that crashed: it is taken over.
const STALE_LOCK: Duration = TOKEN_TIMEOUT.saturating_add(Duration::from_secs(30));

/// An exclusive lock between a tool's processes: a file made with `create_new`, removed when
/// dropped.
#[derive(Debug)]
pub(super) struct FileLock {
    path: PathBuf,
}

impl FileLock {
    async fn take(path: PathBuf) -> Result<Self, Failure> {
        let give_up = tokio::time::Instant::now() + LOCK_WAIT;
        let failed = |error: std::io::Error| {
            Failure::error(format!("cannot take the lock {}: {error}", path.display()))
        };
        loop {
            let made = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path);
            match made {
                Ok(_) => return Ok(Self { path }),
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                    let parent = path.parent().unwrap_or(&path);
                    std::fs::create_dir_all(parent).map_err(failed)?;
                }
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    let age = std::fs::metadata(&path)
                        .and_then(|meta| meta.modified())
                        .ok()
                        .and_then(|at| SystemTime::now().duration_since(at).ok());
                    if age.is_some_and(|age| age > STALE_LOCK) {
                        let _ = std::fs::remove_file(&path);
                        continue;
                    }
                    if tokio::time::Instant::now() >= give_up {
                        return Err(Failure::error(format!(
                            "another command holds {} (remove it if none runs)",
                            path.display()
                        )));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(error) => return Err(failed(error)),
            }
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
