//! A cache that keeps one token fresh for every caller: one refresh per episode, run detached
//! from the callers and shared with all of them, paced after failures, and every wait bounded.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use tokio::time::Instant;

use tokio::sync::watch;

use crate::error::{Error, TimeoutKind};
use crate::error::{TokenError, TokenErrorKind};
use crate::retry::backoff;
use crate::token::{Token, TokenProvider};

/// How long before its expiry a token is refreshed, unless the policy says otherwise.
pub const DEFAULT_REFRESH_SKEW: Duration = Duration::from_secs(30);

/// How a [`TokenSource`] paces its refreshes.
///
/// ```
/// use std::time::Duration;
/// use auth_core::TokenPolicy;
///
/// let policy = TokenPolicy::default()
///     .refresh_skew(Duration::from_secs(60))
///     .request_timeout(Duration::from_secs(10))
///     .max_failure_backoff(Duration::from_secs(120));
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct TokenPolicy {
    refresh_skew: Duration,
    request_timeout: Duration,
    min_refresh_interval: Duration,
    initial_failure_backoff: Duration,
    max_failure_backoff: Duration,
}

impl Default for TokenPolicy {
    /// Refresh 30 s before expiry (at most half a lifetime early), a 30 s token request, at least
    /// 1 s between two refreshes, and after a failure a back-off from 1 s doubling up to 60 s.
    fn default() -> Self {
        Self {
            refresh_skew: DEFAULT_REFRESH_SKEW,
            request_timeout: Duration::from_secs(30),
            min_refresh_interval: Duration::from_secs(1),
            initial_failure_backoff: Duration::from_secs(1),
            max_failure_backoff: Duration::from_secs(60),
        }
    }
}

impl TokenPolicy {
    /// How long before its expiry a token is refreshed in the background (at most half its
    /// lifetime early, so that a short-lived token is still used).
    pub fn refresh_skew(mut self, skew: Duration) -> Self {
        self.refresh_skew = skew;
        self
    }

    /// The longest a token request may take, whoever waits for it; then the refresh fails with
    /// [`TimeoutKind::TokenRequest`].
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The shortest time between the starts of two refreshes (at most an hour). A token that is
    /// expired on arrival is used until then, and a server that rejects every new token gets
    /// at most one token request per interval.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval.min(Duration::from_secs(3600));
        self
    }

    /// The wait after a first failed refresh; it doubles with every further failure, with jitter.
    pub fn initial_failure_backoff(mut self, backoff: Duration) -> Self {
        self.initial_failure_backoff = backoff;
        self
    }

    /// The longest wait after failed refreshes, and the longest `Retry-After` of the token
    /// endpoint that is honoured (at most a day).
    pub fn max_failure_backoff(mut self, backoff: Duration) -> Self {
        self.max_failure_backoff = backoff.min(Duration::from_secs(24 * 3600));
        self
    }

    /// The wait before the next refresh after `failures` failures in a row, the token endpoint
    /// having asked for `retry_after`.
    fn failure_wait(&self, failures: u32, retry_after: Option<Duration>) -> Duration {
        let wait = backoff(
            self.initial_failure_backoff,
            self.max_failure_backoff,
            failures,
        );
        retry_after.map_or(wait, |asked| wait.max(asked.min(self.max_failure_backoff)))
    }
}

/// What a refresh ended with, as every caller that waited for it receives it.
type Outcome = Result<Arc<Token>, TokenError>;

/// The cached token, with the instants that decide its use (worked out once, when stored).
struct Cached {
    token: Arc<Token>,
    /// From then on a background refresh is due; `None`: never (the expiry is unknown).
    refresh_at: Option<Instant>,
    /// Until then it is handed out; `None`: until the server rejects it.
    usable_until: Option<Instant>,
}

impl Cached {
    fn new(token: Arc<Token>, policy: &TokenPolicy) -> Self {
        let Some(expires_at) = token.expires_at() else {
            return Self {
                token,
                refresh_at: None,
                usable_until: None,
            };
        };
        let issued_at = token.issued_at();
        // No refresh sooner than the minimum interval after it arrived, and until then it is
        // used even if it expired on arrival: a zero or negative lifetime causes no storm.
        let earliest = issued_at.checked_add(policy.min_refresh_interval);
        let lifetime = expires_at.saturating_duration_since(issued_at);
        let ahead = expires_at
            .checked_sub(policy.refresh_skew.min(lifetime / 2))
            .unwrap_or(issued_at);
        let at_least = |instant: Instant| earliest.map(|earliest| instant.max(earliest));
        Self {
            token,
            refresh_at: at_least(ahead),
            usable_until: at_least(expires_at),
        }
    }

    fn fresh(&self, now: Instant) -> bool {
        self.refresh_at.is_none_or(|at| now < at)
    }

    fn usable(&self, now: Instant) -> bool {
        self.usable_until.is_none_or(|at| now < at)
    }
}

/// The refresh in flight and what the last ones did.
#[derive(Default)]
struct Control {
    /// The refresh in flight: its callers wait on this.
    in_flight: Option<watch::Receiver<Option<Outcome>>>,
    /// The number of the latest refresh.
    episode: u64,
    /// When the latest refresh started.
    last_started: Option<Instant>,
    /// Failed refreshes in a row.
    failures: u32,
    /// The last failure, and the instant before which no new refresh starts.
    failed: Option<(TokenError, Instant)>,
}

struct Inner {
    provider: Box<dyn TokenProvider>,
    policy: TokenPolicy,
    current: RwLock<Option<Cached>>,
    /// Set while a refresh is in flight: callers holding a usable token then skip the lock.
    refreshing: AtomicBool,
    control: Mutex<Control>,
}

impl Inner {
    fn control(&self) -> MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn store(&self, token: Arc<Token>) {
        let cached = Cached::new(token, &self.policy);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Some(cached);
    }

    /// Records how refresh `episode` ended, and ends it.
    fn settle(&self, episode: u64, result: Result<Token, TokenError>) -> Outcome {
        let mut control = self.control();
        let outcome = match result {
            Ok(token) => {
                let token = Arc::new(token);
                self.store(Arc::clone(&token));
                control.failures = 0;
                control.failed = None;
                Ok(token)
            }
            Err(error) => {
                control.failures = control.failures.saturating_add(1);
                let wait = self
                    .policy
                    .failure_wait(control.failures, error.retry_after());
                let now = Instant::now();
                let retry_at = now.checked_add(wait).unwrap_or(now);
                control.failed = Some((error.clone(), retry_at));
                Err(error)
            }
        };
        if control.episode == episode {
            control.in_flight = None;
            self.refreshing.store(false, Ordering::Release);
        }
        outcome
    }
}

/// One refresh: it hands its outcome to every waiting caller, also when its task is dropped
/// before the provider answered (the runtime shut down, or the provider panicked).
struct Episode {
    inner: Arc<Inner>,
    id: u64,
    sender: Option<watch::Sender<Option<Outcome>>>,
}

impl Episode {
    fn finish(mut self, result: Result<Token, TokenError>) {
        let outcome = self.inner.settle(self.id, result);
        if let Some(sender) = self.sender.take() {
            sender.send_replace(Some(outcome));
        }
    }
}

impl Drop for Episode {
    fn drop(&mut self) {
        if let Some(sender) = self.sender.take() {
            let outcome = self
                .inner
                .settle(self.id, Err(TokenError::of_kind(TokenErrorKind::Abandoned)));
            sender.send_replace(Some(outcome));
        }
    }
}

/// What a caller without a fresh token does next.
enum Step {
    /// Use this token.
    Ready(Arc<Token>),
    /// The last refresh failed and the source is backing off: this is why.
    Failed(TokenError),
    /// Wait until then (the minimum interval between refreshes), and look again.
    WaitUntil(Instant),
    /// Wait for the refresh in flight.
    Join(watch::Receiver<Option<Outcome>>),
}

/// Caches a token and keeps it fresh through its [`TokenProvider`].
///
/// - One refresh per episode: however many tasks need a token at once, one token request runs,
///   and all of them get its outcome, success or failure.
/// - The refresh runs in a task of its own: a caller that is cancelled or times out does not
///   cancel it, and later callers join it.
/// - Shortly before expiry ([`TokenPolicy::refresh_skew`]) one background refresh starts while
///   callers keep using the still-valid token; callers wait only when no valid token exists.
/// - After a failed refresh the next one waits a growing back-off that honours the token
///   endpoint's `Retry-After`; callers arriving meanwhile get the last error at once (or the
///   old token while it is still valid).
/// - Refreshes start at least [`TokenPolicy::min_refresh_interval`] apart, and a token that is
///   expired on arrival is still used until then.
/// - A call's wait for a token counts against its total timeout ([`TimeoutKind::Token`]); the
///   token request has its own ([`TokenPolicy::request_timeout`]).
///
/// Refreshes are spawned on the current Tokio runtime. Cloning is cheap: clones share the cache.
///
/// Time is read on Tokio's clock ([`tokio::time::Instant`]), tokens' lifetimes included, so a
/// test of code that holds tokens can run on a paused clock
/// (`#[tokio::test(start_paused = true)]`, Tokio's `test-util` feature) and see an hour pass at
/// once.
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::time::Duration;
/// use auth_core::{FetchFuture, Token, TokenProvider, TokenSource};
///
/// struct Counter(AtomicU32);
///
/// impl TokenProvider for Counter {
///     fn fetch(&self) -> FetchFuture<'_> {
///         let n = self.0.fetch_add(1, Ordering::SeqCst);
///         Box::pin(async move { Ok(Token::expiring_in(format!("token-{n}"), Duration::from_secs(3600))) })
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let source = TokenSource::new(Counter(AtomicU32::new(0)));
/// assert_eq!(source.token().await.unwrap().secret().expose(), "token-0");
/// assert_eq!(source.token().await.unwrap().secret().expose(), "token-0"); // cached
/// # }
/// ```
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<Inner>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.cached();
        f.debug_struct("TokenSource")
            .field("cached", &cached.is_some())
            .field("expires_in", &cached.and_then(|token| token.expires_in()))
            .field("refreshing", &self.inner.refreshing.load(Ordering::Relaxed))
            .field("policy", &self.inner.policy)
            .finish()
    }
}

impl TokenSource {
    /// A source with no token yet and the default [`TokenPolicy`]; the first call fetches one.
    pub fn new(provider: impl TokenProvider + 'static) -> Self {
        Self::with_policy(provider, TokenPolicy::default())
    }

    /// A source that paces its refreshes by `policy`.
    pub fn with_policy(provider: impl TokenProvider + 'static, policy: TokenPolicy) -> Self {
        Self {
            inner: Arc::new(Inner {
                provider: Box::new(provider),
                policy,
                current: RwLock::new(None),
                refreshing: AtomicBool::new(false),
                control: Mutex::new(Control::default()),
            }),
        }
    }

    /// Whether `other` is this source (or a clone of it, sharing its cache).
    pub(crate) fn same(&self, other: &TokenSource) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }

    /// The policy it refreshes by.
    pub fn policy(&self) -> &TokenPolicy {
        &self.inner.policy
    }

    /// Why the token store its provider keeps tokens in failed, while it fails (see
    /// [`TokenProvider::store_failure`]): calls go on with tokens from the provider itself, but a
    /// fleet sharing the store no longer shares them. `None` while the store works, or without one.
    pub fn store_failure(&self) -> Option<crate::TokenStoreError> {
        self.inner.provider.store_failure()
    }

    /// Starts the cache with a token already in hand (from a login, say).
    pub fn seed(&self, token: Token) {
        self.inner.store(Arc::new(token));
    }

    fn cached(&self) -> Option<Arc<Token>> {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        current.as_ref().map(|cached| Arc::clone(&cached.token))
    }

    /// A valid token: the cached one, or the outcome of a refresh, waiting as long as that takes
    /// (the token request has its own timeout).
    pub async fn token(&self) -> Result<Arc<Token>, Error> {
        self.token_until(None).await
    }

    /// A valid token, waiting for it until `deadline` at the latest; then
    /// [`Error::Timeout`] with [`TimeoutKind::Token`], while the refresh goes on without us.
    pub async fn token_until(&self, deadline: Option<Instant>) -> Result<Arc<Token>, Error> {
        if let Some(token) = self.without_waiting() {
            return Ok(token);
        }
        // Boxed: the waits are large futures, and keeping them out of this one keeps every
        // call's future small on the path nearly every call takes.
        Box::pin(self.wait_for_token(deadline)).await
    }

    /// The path of a caller without a fresh token: decide, and wait where needed.
    async fn wait_for_token(&self, deadline: Option<Instant>) -> Result<Arc<Token>, Error> {
        loop {
            match self.next_step(Instant::now())? {
                Step::Ready(token) => return Ok(token),
                Step::Failed(cause) => return Err(Error::TokenRefresh(cause)),
                Step::WaitUntil(at) => match deadline {
                    Some(deadline) if deadline <= at => {
                        tokio::time::sleep_until(deadline).await;
                        return Err(Error::Timeout(TimeoutKind::Token));
                    }
                    _ => tokio::time::sleep_until(at).await,
                },
                Step::Join(receiver) => return outcome(receiver, deadline).await,
            }
        }
    }

    /// The cached token when it is fresh, or still valid while a refresh is in flight: the path
    /// of nearly every call, one read lock and no waiting.
    fn without_waiting(&self) -> Option<Arc<Token>> {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        let cached = current.as_ref()?;
        if cached.refresh_at.is_none() {
            return Some(Arc::clone(&cached.token));
        }
        let now = Instant::now();
        let serve = cached.fresh(now)
            || (cached.usable(now) && self.inner.refreshing.load(Ordering::Acquire));
        serve.then(|| Arc::clone(&cached.token))
    }

    /// Decides, under the control lock, what a caller without a fresh token does; starts a
    /// refresh when one is due and allowed.
    fn next_step(&self, now: Instant) -> Result<Step, Error> {
        let runtime = tokio::runtime::Handle::try_current().ok();
        let mut control = self.inner.control();
        let current = {
            let current = self
                .inner
                .current
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            current.as_ref().map(|cached| {
                (
                    Arc::clone(&cached.token),
                    cached.fresh(now),
                    cached.usable(now),
                )
            })
        };
        if let Some((token, fresh, usable)) = current {
            if fresh {
                return Ok(Step::Ready(token));
            }
            if usable {
                // Stale while revalidating: one background refresh, the old token serves.
                let due = runtime.is_some()
                    && control.in_flight.is_none()
                    && self.pause(&control, now).is_none();
                let refresh = due.then(|| self.begin(&mut control, now).1);
                // Spawned after the lock is released: a runtime that is shutting down drops the
                // task at once, and its episode then takes the lock to record that.
                drop(control);
                if let (Some(refresh), Some(runtime)) = (refresh, runtime) {
                    runtime.spawn(refresh);
                }
                return Ok(Step::Ready(token));
            }
        }
        if let Some(receiver) = &control.in_flight {
            return Ok(Step::Join(receiver.clone()));
        }
        if let Some(step) = self.pause(&control, now) {
            return Ok(step);
        }
        let Some(runtime) = runtime else {
            return Err(Error::Config(
                "a token refresh needs a Tokio runtime, and none is running".into(),
            ));
        };
        let (receiver, refresh) = self.begin(&mut control, now);
        drop(control);
        runtime.spawn(refresh);
        Ok(Step::Join(receiver))
    }

    /// Why no refresh may start now, if one may not: the back-off after a failure, or the
    /// minimum interval since the last start.
    fn pause(&self, control: &Control, now: Instant) -> Option<Step> {
        if let Some((cause, retry_at)) = &control.failed
            && now < *retry_at
        {
            return Some(Step::Failed(cause.clone()));
        }
        let next = control
            .last_started?
            .checked_add(self.inner.policy.min_refresh_interval)?;
        (now < next).then_some(Step::WaitUntil(next))
    }

    /// Starts a refresh episode: records it, and returns where its outcome will be and the task
    /// that runs it.
    fn begin(
        &self,
        control: &mut Control,
        now: Instant,
    ) -> (
        watch::Receiver<Option<Outcome>>,
        impl Future<Output = ()> + Send + 'static,
    ) {
        let (sender, receiver) = watch::channel(None);
        control.episode = control.episode.wrapping_add(1);
        control.in_flight = Some(receiver.clone());
        control.last_started = Some(now);
        self.inner.refreshing.store(true, Ordering::Release);
        let episode = Episode {
            inner: Arc::clone(&self.inner),
            id: control.episode,
            sender: Some(sender),
        };
        let task = async move {
            let policy = episode.inner.policy;
            let fetched =
                tokio::time::timeout(policy.request_timeout, episode.inner.provider.fetch()).await;
            let result = match fetched {
                Ok(Ok(token)) => Ok(token),
                Ok(Err(error)) => Err(error),
                Err(_) => Err(TokenError::new(
                    TokenErrorKind::TimedOut,
                    Error::Timeout(TimeoutKind::TokenRequest),
                )),
            };
            episode.finish(result);
        };
        (receiver, task)
    }

    /// Forgets `rejected` (a token the server answered 401 to), so that the next call refreshes;
    /// a token that has been replaced meanwhile is kept.
    pub fn invalidate(&self, rejected: &Token) {
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        if current
            .as_ref()
            .is_some_and(|cached| cached.token.secret() == rejected.secret())
        {
            *current = None;
        }
    }
}

/// The outcome of the refresh behind `receiver`, waited for until `deadline` at the latest.
async fn outcome(
    mut receiver: watch::Receiver<Option<Outcome>>,
    deadline: Option<Instant>,
) -> Result<Arc<Token>, Error> {
    let settled = receiver.wait_for(Option::is_some);
    let settled = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, settled)
            .await
            .map_err(|_| Error::Timeout(TimeoutKind::Token))?,
        None => settled.await,
    };
    let outcome = match settled {
        Ok(outcome) => outcome.clone(),
        Err(_) => None,
    };
    match outcome {
        Some(Ok(token)) => Ok(token),
        Some(Err(error)) => Err(Error::TokenRefresh(error)),
        None => Err(Error::TokenRefresh(TokenError::of_kind(
            TokenErrorKind::Abandoned,
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::FetchFuture;
    use std::sync::atomic::AtomicUsize;

    /// A provider whose fetches take `delay` and give tokens living `lifetime`.
    struct Slow {
        fetches: Arc<AtomicUsize>,
        lifetime: Duration,
        delay: Duration,
    }

    impl TokenProvider for Slow {
        fn fetch(&self) -> FetchFuture<'_> {
            Box::pin(async move {
                let n = self.fetches.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(self.delay).await;
                Ok(Token::expiring_in(format!("token-{n}"), self.lifetime))
            })
        }
    }

    fn source(lifetime: Duration) -> (TokenSource, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let provider = Slow {
            fetches: Arc::clone(&fetches),
            lifetime,
            delay: Duration::from_millis(50),
        };
        (TokenSource::new(provider), fetches)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_refresh_serves_a_thousand_waiting_callers() {
        let (source, fetches) = source(Duration::from_secs(3600));
        let callers: Vec<_> = (0..1000)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(
                    async move { source.token().await.unwrap().secret().expose().to_owned() },
                )
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), "token-0");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn tokens_shorter_lived_than_the_skew_do_not_cause_a_refresh_storm() {
        let (source, fetches) = source(Duration::from_secs(10));
        let callers: Vec<_> = (0..100)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move { source.token().await.map(|_| ()) })
            })
            .collect();
        for caller in callers {
            caller.await.unwrap().unwrap();
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn refreshes_ahead_in_the_background_and_after_invalidation() {
        let (source, fetches) = source(Duration::from_secs(3600));
        // Issued 100 s ago, 20 s left: inside the 30 s skew, still valid.
        let now = Instant::now();
        source.seed(Token::with_times(
            "nearly-expired",
            now - Duration::from_secs(100),
            Some(now + Duration::from_secs(20)),
        ));
        // The still-valid token serves at once while the refresh runs in the background.
        assert_eq!(
            source.token().await.unwrap().secret().expose(),
            "nearly-expired"
        );
        assert_eq!(
            source.token().await.unwrap().secret().expose(),
            "nearly-expired"
        );
        tokio::time::sleep(Duration::from_millis(120)).await;
        let current = source.token().await.unwrap();
        assert_eq!(current.secret().expose(), "token-0");
        source.invalidate(&Token::new("some-other-token"));
        assert_eq!(source.token().await.unwrap().secret().expose(), "token-0");
        // A 401 within the minimum interval waits for it, then refreshes once.
        source.invalidate(&current);
        assert_eq!(source.token().await.unwrap().secret().expose(), "token-1");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn no_runtime_needed_for_a_cached_token_and_a_typed_error_without_one() {
        let (source, _) = source(Duration::from_secs(3600));
        source.seed(Token::new("cached"));
        assert!(source.without_waiting().is_some());
        let empty = TokenSource::new(|| -> FetchFuture<'static> {
            Box::pin(async { Err(TokenError::new(TokenErrorKind::Other, "never called")) })
        });
        let result = std::thread::spawn(move || futures_lite_block_on(empty.token()))
            .join()
            .unwrap();
        assert!(matches!(result, Err(Error::Config(_))), "{result:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_provider_ends_in_a_typed_error_for_every_waiter() {
        let source = TokenSource::new(|| -> FetchFuture<'static> {
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(20)).await;
                panic!("provider bug")
            })
        });
        let waiters: Vec<_> = (0..10)
            .map(|_| {
                let source = source.clone();
                tokio::spawn(async move { source.token().await })
            })
            .collect();
        for waiter in waiters {
            let error = waiter.await.unwrap().unwrap_err();
            assert!(
                matches!(&error, Error::TokenRefresh(e) if e.kind() == TokenErrorKind::Abandoned),
                "{error:?}"
            );
        }
        // The failure is recorded: the next caller gets it at once, within the back-off.
        assert!(matches!(source.token().await, Err(Error::TokenRefresh(_))));
    }

    #[test]
    fn a_refresh_dropped_with_its_runtime_ends_in_a_typed_error() {
        let (source, _) = source(Duration::from_secs(3600));
        let doomed = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        // A caller starts the refresh (50 ms) and gives up at once; the runtime then shuts down
        // with the refresh still running.
        doomed.block_on(async {
            let deadline = Instant::now() + Duration::from_millis(5);
            let early = source.token_until(Some(deadline)).await;
            assert!(matches!(early, Err(Error::Timeout(TimeoutKind::Token))));
        });
        drop(doomed);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let after = runtime.block_on(source.token());
        assert!(
            matches!(&after, Err(Error::TokenRefresh(error)) if error.kind() == TokenErrorKind::Abandoned),
            "{after:?}"
        );
    }

    mod properties {
        use super::*;
        use crate::error::Repeat;
        use crate::retry::RetryPolicy;
        use proptest::prelude::*;
        use reqwest::StatusCode;
        use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

        fn duration() -> impl Strategy<Value = Duration> {
            prop_oneof![
                Just(Duration::ZERO),
                Just(Duration::MAX),
                (0u64..10_000, 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
                (any::<u64>(), 0u32..1_000_000_000).prop_map(|(s, n)| Duration::new(s, n)),
            ]
        }

        fn retry_after_text() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<u64>().prop_map(|n| n.to_string()),
                any::<i128>().prop_map(|n| n.to_string()),
                Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
                Just("Thu, 01 Jan 1970 00:00:00 GMT".to_owned()),
                "[ -~]{0,40}",
            ]
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]

            /// Every duration a server or a user chooses goes through the arithmetic of the
            /// retry wait, the failure back-off and the token's instants without a panic.
            #[test]
            fn no_panicking_arithmetic_on_any_duration(
                header in retry_after_text(),
                status in 100u16..600,
                initial in duration(),
                max in duration(),
                max_retry_after in duration(),
                attempts in any::<u32>(),
                attempt in any::<u32>(),
                repeatable in any::<bool>(),
                skew in duration(),
                interval in duration(),
                request_timeout in duration(),
                failures in any::<u32>(),
                lifetime in duration(),
                expires_in in any::<i64>(),
                age in duration(),
            ) {
                let mut headers = HeaderMap::new();
                if let Ok(value) = HeaderValue::from_str(&header) {
                    headers.insert(RETRY_AFTER, value);
                }
                let asked = crate::error::retry_after(&headers);
                let status = StatusCode::from_u16(status).unwrap();
                let retry = RetryPolicy::default()
                    .max_attempts(attempts)
                    .initial_backoff(initial)
                    .max_backoff(max)
                    .max_retry_after(max_retry_after);
                let _ = retry.wait_before_retry(Repeat::of_status(status, asked), repeatable, attempt);

                let policy = TokenPolicy::default()
                    .refresh_skew(skew)
                    .min_refresh_interval(interval)
                    .request_timeout(request_timeout)
                    .initial_failure_backoff(initial)
                    .max_failure_backoff(max);
                let wait = policy.failure_wait(failures, asked);
                prop_assert!(wait <= max.min(Duration::from_secs(24 * 3600)));

                let now = Instant::now();
                let issued = now.checked_sub(age).unwrap_or(now);
                for token in [
                    Token::expiring_in("t", lifetime),
                    Token::expiring_in_secs("t", expires_in),
                    Token::with_times("t", issued, issued.checked_add(lifetime)),
                ] {
                    let cached = Cached::new(Arc::new(token), &policy);
                    let _ = (cached.fresh(now), cached.usable(now));
                    // A token is always usable at least as long as it is fresh.
                    if let (Some(refresh_at), Some(usable_until)) = (cached.refresh_at, cached.usable_until) {
                        prop_assert!(refresh_at <= usable_until);
                    }
                }
            }
        }
    }

    /// Polls a future that must be ready at once (no runtime on this thread).
    fn futures_lite_block_on<F: Future>(future: F) -> F::Output {
        use std::task::{Context, Poll, Waker};
        let mut future = std::pin::pin!(future);
        match future
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
        {
            Poll::Ready(output) => output,
            Poll::Pending => panic!("the future waited"),
        }
    }
}
