//! [`FileTokenStore`]: tokens kept on disk, one JSON file per credential key, readable by the
//! owner only, replaced atomically so that processes sharing the directory never read half a
//! file.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::token::{StoreFuture, StoredToken, TokenStore, TokenStoreError};

/// Tokens kept in a directory, one JSON file per credential key.
///
/// - Files are created readable and writable by the owner only (0600 on Unix), in a directory
///   created 0700 when it does not exist.
/// - A save writes a temporary file beside the target and renames it over the target: a reader
///   (another process, say) sees the old file or the new one, never a part. When two processes
///   save at once, the later rename wins, and both files were whole.
/// - A file that is not a token ([`TokenStoreError::Corrupt`]) or cannot be read is passed over
///   by [`Stored`](crate::Stored), which logs in afresh and saves a repaired file.
/// - A token file that is a symbolic link is never followed: reading it fails
///   ([`TokenStoreError::Unreadable`]), and a save replaces the link itself, not what it points
///   to. (The directory is yours to choose, links and all.)
/// - Any key names one file: see [`FileTokenStore::path_of`].
///
/// ```
/// use auth_core::{FileTokenStore, StoredToken, Token, TokenStore};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dir = std::env::temp_dir().join(format!("auth-core-doc-{}", std::process::id()));
/// let store = FileTokenStore::new(&dir);
/// let token = Token::expiring_in("secret", std::time::Duration::from_secs(600));
/// store.save("user@example.org", &StoredToken::of(&token)).await?;
/// let loaded = store.load("user@example.org").await?.expect("saved above");
/// assert_eq!(loaded.access_token.expose(), "secret");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct FileTokenStore {
    dir: PathBuf,
}

impl FileTokenStore {
    /// A store in `dir` (created on the first save).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The file that holds the token of `key`: the key with every byte other than ASCII
    /// letters, digits, `-` and `_` written as `%XX`, so that any key is one safe file name. A
    /// key whose name would be longer than [`LONGEST_KEY_NAME`] bytes (file systems allow 255,
    /// and the temporary file of a save needs room) is cut there and followed by `~` and a hash
    /// of the whole key (128-bit FNV-1a), so that it still names a file of its own.
    pub fn path_of(&self, key: &str) -> PathBuf {
        // `.` too: a key of `..` must not name the parent.
        const FILE_NAME: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_');
        let mut name: String = percent_encoding::utf8_percent_encode(key, FILE_NAME).collect();
        if name.len() > LONGEST_KEY_NAME {
            // The name is ASCII: any cut is a character boundary. Room for `~` and the hash.
            name.truncate(LONGEST_KEY_NAME - 33);
            name.push('~');
            name.push_str(&format!("{:032x}", fnv1a_128(key.as_bytes())));
        }
        name.push_str(".json");
        self.dir.join(name)
    }
}

/// The longest file name (without `.json`) a key is written as.
pub const LONGEST_KEY_NAME: usize = 160;

/// The 128-bit FNV-1a hash of `bytes`: stable across versions and platforms (file names must
/// not change), and spread enough that two keys an application chooses never meet.
fn fnv1a_128(bytes: &[u8]) -> u128 {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    bytes.iter().fold(OFFSET, |hash, byte| {
        (hash ^ u128::from(*byte)).wrapping_mul(PRIME)
    })
}

fn place(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path) -> Result<Option<StoredToken>, TokenStoreError> {
    let unreadable = |reason: String| TokenStoreError::Unreadable {
        place: place(path),
        reason,
    };
    let bytes = match read_no_follow(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) if is_link(path) => {
            return Err(unreadable(format!(
                "it is a symbolic link, which the store does not follow ({error})"
            )));
        }
        Err(error) => return Err(unreadable(error.to_string())),
    };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|error| TokenStoreError::Corrupt {
            place: place(path),
            // The category and position only: serde's message may quote the file's text.
            reason: format!(
                "not a stored token ({:?} error at line {} column {})",
                error.classify(),
                error.line(),
                error.column()
            ),
        })
}

/// Whether `path` is a symbolic link (not followed).
fn is_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

/// The whole file at `path`, refusing a symbolic link in its last component (`O_NOFOLLOW`, so
/// that no link swapped in between a check and the open is followed).
#[cfg(unix)]
fn read_no_follow(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The whole file at `path`, refusing a symbolic link.
#[cfg(not(unix))]
fn read_no_follow(path: &Path) -> std::io::Result<Vec<u8>> {
    if is_link(path) {
        return Err(std::io::Error::other("a symbolic link"));
    }
    std::fs::read(path)
}

static TEMPORARY: AtomicU64 = AtomicU64::new(0);

fn write(dir: &Path, path: &Path, token: &StoredToken) -> Result<(), TokenStoreError> {
    let unwritable = |error: std::io::Error| TokenStoreError::Unwritable {
        place: place(path),
        reason: error.to_string(),
    };
    create_dir(dir).map_err(unwritable)?;
    let bytes = serde_json::to_vec_pretty(token).map_err(|error| TokenStoreError::Unwritable {
        place: place(path),
        reason: error.to_string(),
    })?;
    // A name no other writer uses: this process's id and a counter.
    let temporary = path.with_extension(format!(
        "json.{}.{}.tmp",
        std::process::id(),
        TEMPORARY.fetch_add(1, Ordering::Relaxed)
    ));
    // The temporary file is created new (`O_EXCL`: never through a link), and the rename
    // replaces whatever the target is, a link included, without following it.
    let written = (|| {
        let mut file = owner_only().open(&temporary)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written.map_err(unwritable)
}

#[cfg(unix)]
fn owner_only() -> std::fs::OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    options
}

#[cfg(not(unix))]
fn owner_only() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    options
}

#[cfg(unix)]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

#[cfg(not(unix))]
fn create_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

fn remove(path: &Path) -> Result<(), TokenStoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(TokenStoreError::Unwritable {
            place: place(path),
            reason: error.to_string(),
        }),
    }
}

/// Runs `work` off the async threads (file I/O blocks).
async fn blocking<T: Send + 'static>(
    path: &Path,
    work: impl FnOnce() -> Result<T, TokenStoreError> + Send + 'static,
) -> Result<T, TokenStoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|error| {
            Err(TokenStoreError::Unreadable {
                place: place(path),
                reason: format!("the file task failed: {error}"),
            })
        })
}

impl TokenStore for FileTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        let path = self.path_of(key);
        Box::pin(async move {
            let file = path.clone();
            blocking(&path, move || read(&file)).await
        })
    }

    fn save<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        let path = self.path_of(key);
        let dir = self.dir.clone();
        let token = token.clone();
        Box::pin(async move {
            let file = path.clone();
            blocking(&path, move || write(&dir, &file, &token)).await
        })
    }

    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let path = self.path_of(key);
        Box::pin(async move {
            let file = path.clone();
            blocking(&path, move || remove(&file)).await
        })
    }
}
