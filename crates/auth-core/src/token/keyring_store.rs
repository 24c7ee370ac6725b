//! The `keyring` feature: [`KeyringTokenStore`], tokens kept in the operating system's
//! credential store (macOS Keychain, Windows Credential Manager, the Linux kernel keyring), and
//! the one thread its blocking calls run on.

use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};

use crate::token::{StoreFuture, StoredToken, TokenStore, TokenStoreError};

/// A call to the platform's credential store, run on the keyring thread.
type Job = Box<dyn FnOnce() + Send>;

/// Where the keyring thread takes its jobs.
static KEYRING_THREAD: Mutex<Option<Sender<Job>>> = Mutex::new(None);

/// Runs `work` on the process's one keyring thread. One thread, not a pool: on Linux a session
/// keyring that the first call creates belongs to the credentials of the thread that made it,
/// so calls from other threads would not see what it stored.
async fn on_keyring_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ()> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _ = reply.send(work());
    });
    {
        let mut thread = KEYRING_THREAD
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if thread.is_none() {
            let (sender, jobs) = channel::<Job>();
            std::thread::Builder::new()
                .name("auth-core-keyring".into())
                .spawn(move || jobs.into_iter().for_each(|job| job()))
                .map_err(|_| ())?;
            *thread = Some(sender);
        }
        let sender = thread.as_ref().ok_or(())?;
        sender.send(job).map_err(|_| ())?;
    }
    answer.await.map_err(|_| ())
}

/// Tokens kept in the operating system's credential store, one entry per key under a service
/// name: the macOS Keychain, the Windows Credential Manager, and on Linux the kernel's keyutils
/// session keyring (it lasts as long as the login session, not across reboots: a server that
/// must keep tokens across reboots uses [`FileTokenStore`](crate::FileTokenStore)). The
/// `keyring` crate does the platform work, without system libraries.
///
/// ```
/// use auth_core::{KeyringTokenStore, TokenProvider};
/// # fn provider() -> impl TokenProvider { || -> auth_core::FetchFuture<'static> { unimplemented!() } }
///
/// let provider = provider().stored_in(KeyringTokenStore::new("my-cli"), "user@example.org");
/// ```
#[derive(Debug, Clone)]
pub struct KeyringTokenStore {
    service: String,
}

impl KeyringTokenStore {
    /// A store of entries under `service` (your application's name).
    pub fn new(service: impl Into<String>) -> Self {
        Self {
            service: service.into(),
        }
    }

    fn place(&self, key: &str) -> String {
        format!(
            "the OS credential store, service {:?} entry {key:?}",
            self.service
        )
    }

    /// Runs `work` on the entry of `key` (given a way to open it), off the async threads (the
    /// platforms' calls block).
    async fn with_entry<T: Send + 'static>(
        &self,
        key: &str,
        write: bool,
        work: impl FnOnce(&dyn Fn() -> keyring::Result<keyring::Entry>) -> keyring::Result<T>
        + Send
        + 'static,
    ) -> Result<T, TokenStoreError> {
        let place = self.place(key);
        let service = self.service.clone();
        let key = key.to_owned();
        let failed = move |reason: String| {
            if write {
                TokenStoreError::Unwritable { place, reason }
            } else {
                TokenStoreError::Unreadable { place, reason }
            }
        };
        let done = on_keyring_thread(move || work(&|| keyring::Entry::new(&service, &key))).await;
        match done {
            Ok(Ok(value)) => Ok(value),
            // The keyring's messages name the platform's failure, never the secret.
            Ok(Err(error)) => Err(failed(error.to_string())),
            Err(()) => Err(failed("the keyring thread is gone".to_owned())),
        }
    }
}

impl TokenStore for KeyringTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let text = self
                .with_entry(key, false, |open| match open()?.get_password() {
                    Ok(text) => Ok(Some(text)),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(error) => Err(error),
                })
                .await?;
            let Some(text) = text else {
                return Ok(None);
            };
            serde_json::from_str(&text)
                .map(Some)
                .map_err(|error| TokenStoreError::Corrupt {
                    place: self.place(key),
                    reason: format!("not a stored token ({:?} error)", error.classify()),
                })
        })
    }

    fn save<'a>(&'a self, key: &'a str, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let text =
                serde_json::to_string(token).map_err(|error| TokenStoreError::Unwritable {
                    place: self.place(key),
                    reason: error.to_string(),
                })?;
            self.with_entry(key, true, move |open| {
                // On Linux the first write of a process can fail with `NoEntry` while the kernel
                // sets up the session's keyrings (seen in containers): it succeeds through an
                // entry opened afresh.
                match open()?.set_password(&text) {
                    Err(keyring::Error::NoEntry) => open()?.set_password(&text),
                    done => done,
                }
            })
            .await
        })
    }

    fn clear<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            self.with_entry(key, true, |open| match open()?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(error) => Err(error),
            })
            .await
        })
    }
}
