//! PIN (link code) login, as Plex apps log in: show a code, let the user approve it at
//! plex.tv/link or on the app-auth page, and poll plex.tv until the PIN carries a token.

use std::time::{Duration, Instant};

use auth_core::{ApiError, ErrorMetadata as _, Secret};

use crate::errors::{CreatePinError, GetPinError};
use crate::models::Pin;
use crate::{Client, ClientIdentity};

/// Where users enter a 4-character code.
pub const LINK_URL: &str = "https://plex.tv/link";

/// How often [`PinLogin::wait`] asks plex.tv, unless told otherwise (python-plexapi's
/// `MyPlexPinLogin` polls every second too).
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);

/// The longest a PIN is waited for, whatever lifetime plex.tv gives it.
const LONGEST_PIN_LIFETIME: Duration = Duration::from_secs(3600);

/// What creating a PIN fails with.
pub type PinStartError = ApiError<CreatePinError>;

/// What polling a PIN fails with (an expired PIN is [`PinOutcome::Expired`], not an error).
pub type PinWaitError = ApiError<GetPinError>;

/// A PIN login in progress: show [`PinLogin::code`] with [`LINK_URL`], or send the user to
/// [`PinLogin::auth_url`], then [`PinLogin::wait`].
///
/// ```no_run
/// use plex_auth::{Client, ClientIdentity, PinLogin, PinOutcome};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let identity = ClientIdentity::new("my-install-id").product("my-app");
/// let client = Client::new(&identity)?;
/// let login = PinLogin::start(&client, &identity).await?;
/// println!("Enter {} at {}", login.code(), plex_auth::LINK_URL);
/// match login.wait().await? {
///     PinOutcome::LoggedIn(client) => {
///         let account = client.authentication().get_token_details().await?;
///         println!("signed in as {}", account.username);
///     }
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
}

/// How a PIN login ended.
#[derive(Debug)]
#[non_exhaustive]
pub enum PinOutcome {
    /// The user approved the PIN: a client (sharing the connection pool) that sends the
    /// account's token.
    LoggedIn(Client),
    /// The PIN expired before the user approved it (plex.tv forgot it, or its lifetime passed).
    Expired,
    /// The caller's deadline ([`PinLogin::deadline`]) passed first.
    TimedOut,
}

impl PinLogin {
    /// Creates a 4-character PIN for [`LINK_URL`], through `client` (a plex.tv client sending
    /// `identity`: the PIN is tied to its client identifier).
    pub async fn start(client: &Client, identity: &ClientIdentity) -> Result<Self, PinStartError> {
        Self::create(client, identity, false).await
    }

    /// Creates a strong PIN, for the app-auth page only ([`PinLogin::auth_url`]).
    pub async fn start_strong(
        client: &Client,
        identity: &ClientIdentity,
    ) -> Result<Self, PinStartError> {
        Self::create(client, identity, true).await
    }

    async fn create(
        client: &Client,
        identity: &ClientIdentity,
        strong: bool,
    ) -> Result<Self, PinStartError> {
        let anonymous = client.with_credentials(auth_core::Credentials::None);
        let pin = anonymous.authentication().create_pin(Some(strong)).await?;
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
    #[must_use]
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
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
    /// The last pause is cut to the PIN's expiry (or the deadline) and one more poll is made
    /// there, so that a PIN approved in its last seconds is not lost. A failure that may pass
    /// (a 5xx, a 429, a transport error, after the client's retries) does not end the wait;
    /// any other error does. Dropping the future stops the polling.
    pub async fn wait(&self) -> Result<PinOutcome, PinWaitError> {
        let api = self.client.authentication();
        loop {
            match api.get_pin(self.pin.id).await {
                Ok(Pin {
                    auth_token: Some(token),
                    ..
                }) if !token.is_empty() => {
                    return Ok(PinOutcome::LoggedIn(self.client.with_token(token)));
                }
                Ok(_) => {}
                Err(error) if matches!(error.documented(), Some(GetPinError::NotFound(_))) => {
                    return Ok(PinOutcome::Expired);
                }
                Err(error) if error.is_retryable() => {}
                Err(error) => return Err(error),
            }
            let now = Instant::now();
            if now >= self.expires_at {
                return Ok(PinOutcome::Expired);
            }
            if self.deadline.is_some_and(|deadline| now >= deadline) {
                return Ok(PinOutcome::TimedOut);
            }
            let mut wake = now
                .checked_add(self.poll_interval)
                .unwrap_or(self.expires_at)
                .min(self.expires_at);
            if let Some(deadline) = self.deadline {
                wake = wake.min(deadline);
            }
            tokio::time::sleep_until(wake.into()).await;
        }
    }

    /// The account token of an approved PIN, if the PIN is approved now (one poll).
    pub async fn check(&self) -> Result<Option<Secret>, PinWaitError> {
        let pin = self.client.authentication().get_pin(self.pin.id).await?;
        Ok(pin.auth_token.filter(|token| !token.is_empty()))
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
