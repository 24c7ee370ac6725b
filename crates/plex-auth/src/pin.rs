//! PIN (link code) login, as Plex apps log in: show a code, let the user approve it at
//! plex.tv/link or on the app-auth page, and poll plex.tv until the PIN carries a token.

use std::time::Duration;

use tokio::time::Instant;

use auth_core::{ApiError, ApiErrorKind, Error, ErrorMetadata, ResponseMeta, Secret, Timeouts};

use crate::errors::{CreatePinError, GetPinError, GetTokenDetailsError};
use crate::models::Pin;
use crate::{Client, ClientIdentity, LoggedIn, PlexCode, VendorCode as _};

/// Where users enter a 4-character code.
pub const LINK_URL: &str = "https://plex.tv/link";

/// How often [`PinLogin::wait`] asks plex.tv, unless told otherwise (python-plexapi's
/// `MyPlexPinLogin` polls every second too).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The longest a PIN is waited for, whatever lifetime plex.tv gives it.
const LONGEST_PIN_LIFETIME: Duration = Duration::from_secs(3600);

/// What creating a PIN fails with.
pub type PinStartError = ApiError<CreatePinError>;

/// What a PIN login fails with (an expired PIN is [`PinOutcome::Expired`], not an error):
/// polling the PIN, or reading the account of an approved PIN's token. The accessors of
/// [`ErrorMetadata`] and [`VendorCode`](crate::VendorCode) read whichever it is.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinWaitError {
    /// Polling the PIN failed, with an error that does not pass (see [`PinLogin::wait`]).
    #[error(transparent)]
    Poll(ApiError<GetPinError>),
    /// A device PIN ([`PinLogin::start_with_key`]): the nonce to sign the poll with could not
    /// be had (feature `jwt`).
    #[cfg(feature = "jwt")]
    #[error("could not get a nonce to sign the PIN's poll with")]
    Nonce(#[source] ApiError<crate::errors::GetNonceError>),
    /// A device PIN: the Plex JWT the linked PIN carries did not verify, or was issued to
    /// another device key (feature `jwt`). It is not used.
    #[cfg(feature = "jwt")]
    #[error("the linked PIN's Plex JWT was not accepted")]
    Verify(#[source] crate::JwtVerifyError),
    /// The user approved the PIN, and reading the account of its token failed. The token is
    /// kept here, so nothing is lost: `client.with_token(token)` uses it.
    #[error("the PIN was approved, and its account could not be read")]
    Account {
        /// The account token the approved PIN carries.
        token: Secret,
        /// Why the account could not be read.
        #[source]
        error: ApiError<GetTokenDetailsError>,
    },
}

impl ErrorMetadata for PinWaitError {
    fn response_meta(&self) -> Option<&ResponseMeta> {
        match self {
            PinWaitError::Poll(error) => error.response_meta(),
            #[cfg(feature = "jwt")]
            PinWaitError::Nonce(error) => error.response_meta(),
            #[cfg(feature = "jwt")]
            PinWaitError::Verify(crate::JwtVerifyError::Keys(error)) => error.response_meta(),
            #[cfg(feature = "jwt")]
            PinWaitError::Verify(_) => None,
            PinWaitError::Account { error, .. } => error.response_meta(),
        }
    }
}

impl From<ApiError<GetPinError>> for PinWaitError {
    fn from(error: ApiError<GetPinError>) -> Self {
        PinWaitError::Poll(error)
    }
}

/// A PIN login in progress: show [`PinLogin::code`] with [`LINK_URL`], or send the user to
/// [`PinLogin::auth_url`], then [`PinLogin::wait`].
///
/// ```
/// use plex_auth::{Client, ClientIdentity, PinLogin, PinOutcome};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # // The hidden lines run this against the crate's local fakes (`plex_auth::testing`).
/// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
/// # let (_fake, servers) = PlexFake::start(PlexConfig { pin_approved_after_polls: Some(1), ..Default::default() }).await?;
/// let identity = ClientIdentity::new("my-install-id").product("my-app");
/// let client = Client::new(&identity)?;
/// # let client = builder(&servers, &identity).build()?;
/// let login = PinLogin::start(&client, &identity).await?;
/// # let login = login.poll_interval(std::time::Duration::from_millis(10));
/// println!("Enter {} at {}", login.code(), plex_auth::LINK_URL);
/// match login.wait().await? {
///     PinOutcome::LoggedIn(logged_in) => println!("signed in as {}", logged_in.account.username),
///     PinOutcome::Expired => println!("the code expired"),
///     PinOutcome::TimedOut => println!("gave up waiting"),
///     _ => {}
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct PinLogin {
    client: Client,
    pin: Pin,
    auth_url: String,
    expires_at: Instant,
    deadline: Option<Instant>,
    poll_interval: Duration,
    /// The device key the PIN was created with, and what polling with it needs.
    #[cfg(feature = "jwt")]
    device: Option<crate::jwt::PinDevice>,
}

/// How a PIN login ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum PinOutcome {
    /// The user approved the PIN: the same [`LoggedIn`] a password sign-in gives, a client
    /// (sharing the connection pool) that sends the account's token, and the account (read
    /// with that token). Keep it with [`LoggedIn::save`].
    LoggedIn(Box<LoggedIn>),
    /// The PIN expired before the user approved it (plex.tv forgot it, or its lifetime passed).
    Expired,
    /// The caller's deadline ([`PinLogin::deadline`]) passed first.
    TimedOut,
}

impl PinLogin {
    /// Creates a 4-character PIN for [`LINK_URL`], through `client` (a plex.tv client sending
    /// `identity`: the PIN is tied to its client identifier).
    pub async fn start(client: &Client, identity: &ClientIdentity) -> Result<Self, PinStartError> {
        Self::create(client, identity, Some(false), None).await
    }

    /// Creates a strong PIN, for the app-auth page only ([`PinLogin::auth_url`]).
    pub async fn start_strong(
        client: &Client,
        identity: &ClientIdentity,
    ) -> Result<Self, PinStartError> {
        Self::create(client, identity, Some(true), None).await
    }

    /// Creates a PIN that registers `key` with plex.tv (feature `jwt`): once the user links it,
    /// the login is a 7-day Plex JWT (verified against plex.tv's keys, see
    /// [`PlexKeys`](crate::PlexKeys)) instead of a legacy token, and the device goes on
    /// obtaining tokens with its key ([`JwtDevice::new`](crate::JwtDevice::new) with the same
    /// key), no password or legacy token ever needed. `strong` as for
    /// [`PinLogin::start_strong`]. The key's client identifier must be `identity`'s.
    ///
    /// ```
    /// use plex_auth::{Client, ClientIdentity, DeviceKey, JwtDevice, PinLogin, PinOutcome};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # use plex_auth::testing::{builder, PlexConfig, PlexFake};
    /// # let (_fake, servers) = PlexFake::start(PlexConfig { pin_approved_after_polls: Some(1), ..Default::default() }).await?;
    /// let key = DeviceKey::generate("my-install-id")?;
    /// let identity = ClientIdentity::new(key.client_identifier()).product("my-app");
    /// let client = Client::new(&identity)?;
    /// # let client = builder(&servers, &identity).build()?;
    /// let login = PinLogin::start_with_key(&client, &identity, &key, false).await?;
    /// # let login = login.poll_interval(std::time::Duration::from_millis(10));
    /// println!("Enter {} at {}", login.code(), plex_auth::LINK_URL);
    /// let PinOutcome::LoggedIn(logged_in) = login.wait().await? else {
    ///     return Err("not linked".into());
    /// };
    /// // From now on, tokens from the key alone.
    /// let device = client.with_token_provider(JwtDevice::new(&client, key));
    /// assert_eq!(
    ///     device.authentication().get_token_details().await?.username,
    ///     logged_in.account.username
    /// );
    /// # Ok(())
    /// # }
    /// ```
    #[cfg(feature = "jwt")]
    pub async fn start_with_key(
        client: &Client,
        identity: &ClientIdentity,
        key: &crate::DeviceKey,
        strong: bool,
    ) -> Result<Self, PinStartError> {
        if key.client_identifier() != identity.client_identifier {
            return Err(ApiError::new(
                "plex",
                "create_pin",
                ApiErrorKind::Other(Error::InvalidRequest(
                    "the device key's client identifier is not the identity's: plex.tv ties the \
                     key to the identifier the PIN is polled with"
                        .into(),
                )),
            ));
        }
        let body = crate::models::PinRequest {
            jwk: Some(key.jwk()),
            strong: strong.then_some(true),
        };
        let mut login = Self::create(client, identity, Some(strong), Some(&body)).await?;
        login.device = Some(crate::jwt::PinDevice::new(&login.client, key.clone()));
        Ok(login)
    }

    async fn create(
        client: &Client,
        identity: &ClientIdentity,
        strong: Option<bool>,
        body: Option<&crate::models::PinRequest>,
    ) -> Result<Self, PinStartError> {
        let anonymous = client.with_credentials(auth_core::Credentials::None);
        let pin = anonymous.authentication().create_pin(strong, body).await?;
        // A lifetime the server chose: none or a negative one is taken as "expired", a huge one
        // as an hour.
        let lifetime = pin
            .expires_in
            .map_or(LONGEST_PIN_LIFETIME, |seconds| {
                Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
            })
            .min(LONGEST_PIN_LIFETIME);
        let now = Instant::now();
        Ok(Self {
            auth_url: auth_url(identity, &pin.code),
            client: anonymous,
            pin,
            expires_at: now.checked_add(lifetime).unwrap_or(now),
            deadline: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            #[cfg(feature = "jwt")]
            device: None,
        })
    }

    /// The code to show the user.
    pub fn code(&self) -> &str {
        &self.pin.code
    }

    /// The app-auth page that approves this PIN in a browser (with the client identifier, the
    /// code and the product).
    pub fn auth_url(&self) -> &str {
        &self.auth_url
    }

    /// The PIN as plex.tv created it.
    pub fn pin(&self) -> &Pin {
        &self.pin
    }

    /// Stops waiting at `deadline` ([`PinOutcome::TimedOut`]), if the PIN has not expired before.
    /// A `std::time::Instant` or a `tokio::time::Instant` (the clock the wait is read on, which
    /// a test can pause and advance).
    #[must_use]
    pub fn deadline(mut self, deadline: impl Into<Instant>) -> Self {
        self.deadline = Some(deadline.into());
        self
    }

    /// Polls every `interval` (at least 100 ms) instead of every second.
    #[must_use]
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(100));
        self
    }

    /// Polls plex.tv until the user approves the PIN, it expires, or the deadline passes.
    ///
    /// - The PIN has expired when plex.tv says so (code 1020, "Code not found or expired"), or
    ///   when the lifetime it gave the PIN has passed; never from a bare status.
    /// - A failure that may pass (a 5xx, a 408 or 429, a 404 without Plex's code, a transport
    ///   failure or a stalled answer) does not end the wait: the next poll comes after a
    ///   growing back-off, or after the `Retry-After` plex.tv asked for. Any other error ends
    ///   it.
    /// - Once the PIN is approved, the account of its token is read (one `GET /api/v2/user`),
    ///   for the [`LoggedIn`]; if that fails, the error keeps the token
    ///   ([`PinWaitError::Account`]).
    /// - Nothing runs past the deadline or the PIN's expiry: each poll's total timeout is cut
    ///   to what is left, and so are every pause and the account's read. The last pause ends
    ///   there and one more poll is made, so that a PIN approved in its last seconds is not
    ///   lost.
    ///
    /// Dropping the future stops the polling.
    pub async fn wait(&self) -> Result<PinOutcome, PinWaitError> {
        let mut failures = 0u32;
        loop {
            let pause = match self.poll(Some(self.end())).await {
                Ok(Some(token)) => return self.logged_in(token).await,
                Ok(None) => {
                    failures = 0;
                    self.poll_interval
                }
                Err(error) if error.vendor_code() == Some(PlexCode::PinNotFound) => {
                    return Ok(PinOutcome::Expired);
                }
                Err(error) if error.may_pass() => {
                    failures = failures.saturating_add(1);
                    let backoff = self.poll_interval.saturating_mul(1 << failures.min(5));
                    error
                        .retry_after()
                        .unwrap_or(backoff)
                        .max(self.poll_interval)
                }
                Err(error) => return Err(error),
            };
            let now = Instant::now();
            if now >= self.expires_at {
                return Ok(PinOutcome::Expired);
            }
            if self.deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(PinOutcome::TimedOut);
            }
            let wake = now.checked_add(pause).unwrap_or(self.end()).min(self.end());
            tokio::time::sleep_until(wake).await;
        }
    }

    /// The login of an approved PIN's `token`: its client and account.
    async fn logged_in(&self, token: Secret) -> Result<PinOutcome, PinWaitError> {
        let client = self.client.with_token(token.clone());
        // Read within what is left of the wait, as the polls are; the client handed on keeps
        // its own timeouts.
        let reader = self.until(Some(self.end())).with_token(token.clone());
        match reader.authentication().get_token_details().await {
            Ok(account) => Ok(PinOutcome::LoggedIn(Box::new(LoggedIn { client, account }))),
            Err(error) => Err(PinWaitError::Account { token, error }),
        }
    }

    /// When the wait ends at the latest: the PIN's expiry, or the deadline if it comes first.
    fn end(&self) -> Instant {
        self.deadline
            .map_or(self.expires_at, |deadline| deadline.min(self.expires_at))
    }

    /// The PIN's client, its total timeout cut to what is left before `end`.
    fn until(&self, end: Option<Instant>) -> Client {
        match end {
            Some(end) => {
                let left = end.saturating_duration_since(Instant::now());
                let timeouts = self.client.core().timeouts();
                let total = timeouts.total.map_or(left, |total| total.min(left));
                self.client.with_timeouts(Timeouts {
                    total: Some(total),
                    ..timeouts
                })
            }
            None => self.client.clone(),
        }
    }

    /// One poll, its total timeout cut to what is left before `end`: the PIN's token once it is
    /// approved.
    async fn poll(&self, end: Option<Instant>) -> Result<Option<Secret>, PinWaitError> {
        let client = self.until(end);
        #[cfg(feature = "jwt")]
        if let Some(device) = &self.device {
            return device.poll(&client, self.pin.id).await;
        }
        let pin = client.authentication().get_pin(self.pin.id, None).await?;
        Ok(pin.auth_token.filter(|token| !token.is_empty()))
    }

    /// The account token of an approved PIN, if the PIN is approved now (one poll, bounded by
    /// the client's timeouts; the deadline is for [`PinLogin::wait`]).
    pub async fn check(&self) -> Result<Option<Secret>, PinWaitError> {
        self.poll(None).await
    }
}

impl PinWaitError {
    /// Whether a failed poll may pass: plex.tv's edge failing or throttling (5xx, 408, 429, a
    /// 404 that carries no Plex code), the connection failing, or the poll running out of time;
    /// for a device PIN, the nonce or plex.tv's keys not to be had for the same reasons.
    fn may_pass(&self) -> bool {
        fn passing<E>(error: &ApiError<E>) -> bool {
            match error.status() {
                Some(status) if status.is_server_error() => true,
                Some(status) if status == 404 => error.vendor_code().is_none(),
                Some(_) => error.is_retryable(),
                None => matches!(
                    error.kind(),
                    ApiErrorKind::Other(Error::Transport(_) | Error::Timeout(_))
                ),
            }
        }
        match self {
            PinWaitError::Poll(error) => passing(error),
            #[cfg(feature = "jwt")]
            PinWaitError::Nonce(error) => passing(error),
            #[cfg(feature = "jwt")]
            PinWaitError::Verify(crate::JwtVerifyError::Keys(error)) => passing(error),
            #[cfg(feature = "jwt")]
            PinWaitError::Verify(crate::JwtVerifyError::KeysUnavailable) => true,
            _ => false,
        }
    }
}

/// The app-auth URL for `code`: `https://app.plex.tv/auth#?` and the client identifier, the code
/// and the identity's product details, each percent-encoded.
fn auth_url(identity: &ClientIdentity, code: &str) -> String {
    let mut url = String::from("https://app.plex.tv/auth#?clientID=");
    url.extend(encode(&identity.client_identifier));
    url.push_str("&code=");
    url.extend(encode(code));
    let context = [
        ("product", identity.product.as_deref()),
        ("version", identity.version.as_deref()),
        ("platform", identity.platform.as_deref()),
        ("device", identity.device.as_deref()),
    ];
    for (name, value) in context {
        if let Some(value) = value {
            url.push_str("&context%5Bdevice%5D%5B");
            url.push_str(name);
            url.push_str("%5D=");
            url.extend(encode(value));
        }
    }
    url
}

/// The characters of a URL's query and fragment that are sent as they are: RFC 3986's
/// unreserved ones. Everything else is percent-encoded.
const UNRESERVED: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `value` percent-encoded for the app-auth URL.
fn encode(value: &str) -> percent_encoding::PercentEncode<'_> {
    percent_encoding::utf8_percent_encode(value, UNRESERVED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_auth_url_names_the_client_the_code_and_the_product() {
        let identity = ClientIdentity::new("id with space").product("my&app");
        assert_eq!(
            auth_url(&identity, "ABCD"),
            "https://app.plex.tv/auth#?clientID=id%20with%20space&code=ABCD\
             &context%5Bdevice%5D%5Bproduct%5D=my%26app"
        );
    }
}
