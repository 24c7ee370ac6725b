//! Keeping a plex.tv token alive: a ping in the background, tied to the client's lifetime, its
//! outcomes reported, never faster than its interval.

use std::time::{Duration, SystemTime};

use auth_core::{ApiError, Error, ErrorMetadata, StatusCode};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::errors::PingTokenError;
use crate::{Client, PlexCode, VendorCode as _};

/// How often [`Client::keep_alive`] is meant to ping: once a day, as services that hold a Plex
/// token for months do (nylonee/watchlistarr pings plex.tv daily to "update access token
/// expiry"); Plex documents no interval.
pub const DEFAULT_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(24 * 3600);

/// The shortest interval [`Client::keep_alive`] pings at: a shorter one is raised to it.
pub const MIN_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(1);

/// What a ping fails with.
pub type PingError = ApiError<PingTokenError>;

/// How soon after the client is dropped the keep-alive notices, between pings.
const LIVENESS_CHECK: Duration = Duration::from_secs(5);

/// A ping that failed, as [`KeepAliveState::last_error`] reports it: what the error said, and
/// not the error itself, which holds what the request was sent with (and would keep the client's
/// credentials, and so the keep-alive, alive).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PingFailure {
    /// The answer's status, when there was one.
    pub status: Option<StatusCode>,
    /// Plex's error code, when the answer carried one.
    pub code: Option<PlexCode>,
    /// The error in words (as its `Display` shows it: no secret).
    pub message: String,
}

impl PingFailure {
    fn of(error: &PingError) -> Self {
        Self {
            status: error.status(),
            code: error.vendor_code(),
            message: error.to_string(),
        }
    }
}

/// What the keep-alive has done so far ([`KeepAlive::state`]).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct KeepAliveState {
    /// Pings plex.tv answered 2xx.
    pub pings: u64,
    /// When the last of them was answered.
    pub last_success: Option<SystemTime>,
    /// The last ping's failure, if the last ping failed (cleared by the next success).
    pub last_error: Option<PingFailure>,
    /// Whether it stopped: the client was dropped (noticed within seconds), plex.tv rejected the
    /// token (401 or 422: pinging a token that no longer works cannot revive it), or
    /// [`KeepAlive::stop`].
    pub stopped: bool,
}

/// A running keep-alive ([`Client::keep_alive`]). Dropping the handle does not stop it: it runs
/// as long as the client (or a clone of it) does, or until [`KeepAlive::stop`].
#[derive(Debug)]
pub struct KeepAlive {
    state: watch::Receiver<KeepAliveState>,
    task: tokio::task::AbortHandle,
}

impl KeepAlive {
    /// What it has done so far.
    pub fn state(&self) -> KeepAliveState {
        self.state.borrow().clone()
    }

    /// Waits for the next ping's outcome (or the stop) and returns the state after it; `None`
    /// once it has stopped and nothing more will change.
    pub async fn changed(&mut self) -> Option<KeepAliveState> {
        self.state.changed().await.ok()?;
        Some(self.state.borrow_and_update().clone())
    }

    /// Stops it now (a ping in flight is abandoned).
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Client {
    /// Pings plex.tv now and then once every `every` (at least [`MIN_KEEP_ALIVE_INTERVAL`];
    /// once a day is [`DEFAULT_KEEP_ALIVE_INTERVAL`]), so that a token a long-running service
    /// holds does not lapse for want of use, as python-plexapi's `MyPlexAccount.ping` does it.
    ///
    /// The pings run in a task of the current Tokio runtime (an error outside one). It stops when
    /// this client and its clones are dropped (within seconds, with no further ping), when
    /// plex.tv rejects the token (401 or 422), or on [`KeepAlive::stop`]. Each ping is one call
    /// with the client's retries and timeouts; a failure is reported ([`KeepAlive::state`],
    /// [`KeepAlive::changed`]) and the next ping still waits its whole interval, so no answer can
    /// make it ping faster.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
    /// # let config = PlexConfig { two_factor_code: None, ..Default::default() };
    /// # let (_fake, servers) = PlexFake::start(config.clone()).await?;
    /// # let identity = plex_auth::ClientIdentity::new("my-install-id");
    /// # let plex_auth::LoginOutcome::LoggedIn(logged_in) = builder(&servers, &identity).build()?
    /// #     .login(config.login, config.password).await? else { unreachable!() };
    /// # let client = logged_in.client;
    /// let mut keep_alive = client.keep_alive(plex_auth::DEFAULT_KEEP_ALIVE_INTERVAL)?;
    /// let first = keep_alive.changed().await.expect("the first ping's outcome");
    /// assert_eq!(first.pings, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn keep_alive(&self, every: Duration) -> Result<KeepAlive, Error> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            Error::Config("keep_alive runs in a Tokio runtime: call it inside one".into())
        })?;
        let every = every.max(MIN_KEEP_ALIVE_INTERVAL);
        let client = self.core().downgrade();
        let (report, state) = watch::channel(KeepAliveState::default());
        let task = runtime.spawn(async move {
            // The client is held only while a ping is in flight: dropping it stops the task.
            while let Some(core) = client.upgrade() {
                let outcome = Client::from(core).authentication().ping_token().await;
                let rejected = outcome.as_ref().is_err_and(|error| {
                    matches!(
                        error.status(),
                        Some(StatusCode::UNAUTHORIZED | StatusCode::UNPROCESSABLE_ENTITY)
                    )
                });
                report.send_modify(|state| match outcome {
                    Ok(()) => {
                        state.pings += 1;
                        state.last_success = Some(SystemTime::now());
                        state.last_error = None;
                    }
                    Err(error) => state.last_error = Some(PingFailure::of(&error)),
                });
                if rejected {
                    break;
                }
                // The whole interval, in steps that notice a dropped client.
                let wake = Instant::now().checked_add(every);
                loop {
                    let left = wake.map_or(LIVENESS_CHECK, |wake| {
                        wake.saturating_duration_since(Instant::now())
                    });
                    if left.is_zero() || client.upgrade().is_none() {
                        break;
                    }
                    tokio::time::sleep(left.min(LIVENESS_CHECK)).await;
                }
            }
            report.send_modify(|state| state.stopped = true);
        });
        Ok(KeepAlive {
            state,
            task: task.abort_handle(),
        })
    }
}
