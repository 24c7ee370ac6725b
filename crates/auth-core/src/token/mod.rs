//! The token lifecycle: tokens that expire, anchored at the instant they arrived, and the
//! providers that fetch them (this file); the source that keeps one fresh for a client, one
//! refresh at a time (`source`); and where tokens are kept across restarts and processes
//! (`store`, with the file, keyring and Redis stores). Why a token could not be had is a
//! [`TokenError`], in `error`, which this module uses (with `retry`'s back-off and `secret`);
//! the transport uses it, never the other way round.

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::time::Instant;

use crate::error::TokenError;

mod file_store;
#[cfg(feature = "keyring")]
mod keyring_store;
#[cfg(feature = "redis")]
mod redis_store;
mod source;
mod store;

use crate::secret::Secret;
pub use file_store::{FileTokenStore, LONGEST_KEY_NAME};
#[cfg(feature = "keyring")]
pub use keyring_store::KeyringTokenStore;
#[cfg(feature = "redis")]
pub use redis_store::RedisTokenStore;
pub use source::{DEFAULT_REFRESH_SKEW, TokenPolicy, TokenSource};
pub use store::{
    LOCK_TTL, MemoryTokenStore, StoreFuture, Stored, StoredToken, TokenStore, TokenStoreError,
};

/// A token and, when known, the instant it expires.
///
/// Its lifetime is anchored at the instant it arrived, on this machine's monotonic clock: from an
/// OAuth `expires_in`, or a JWT's `exp - iat`. A vendor clock hours off ours changes nothing.
#[derive(Clone, Debug)]
pub struct Token {
    secret: Secret,
    issued_at: Instant,
    expires_at: Option<Instant>,
    refresh_token: Option<Secret>,
}

impl Token {
    /// A token whose expiry is unknown (it is used until the server rejects it).
    pub fn new(secret: impl Into<Secret>) -> Self {
        Self {
            secret: secret.into(),
            issued_at: Instant::now(),
            expires_at: None,
            refresh_token: None,
        }
    }

    /// A token that arrived now and lives `lifetime` (an OAuth `expires_in`). A lifetime too long
    /// for the clock counts as unknown.
    pub fn expiring_in(secret: impl Into<Secret>, lifetime: Duration) -> Self {
        let issued_at = Instant::now();
        Self {
            secret: secret.into(),
            issued_at,
            expires_at: issued_at.checked_add(lifetime),
            refresh_token: None,
        }
    }

    /// A token that arrived now and lives `seconds` as the server said it (an OAuth `expires_in`
    /// as received): zero or negative means it is expired on arrival.
    pub fn expiring_in_secs(secret: impl Into<Secret>, seconds: i64) -> Self {
        Self::expiring_in(
            secret,
            Duration::from_secs(u64::try_from(seconds).unwrap_or(0)),
        )
    }

    /// A JWT that arrived now. Its lifetime is `exp - iat` when it has both claims, so that the
    /// vendor's clock does not matter; with `exp` alone it is `exp` against this machine's wall
    /// clock. A token that is no JWT, or has no `exp`, gets no expiry.
    ///
    /// ```
    /// use auth_core::Token;
    ///
    /// // {"alg":"HS256"} . {"iat": 1000, "exp": 4600} (issued at 1970-01-01T00:16:40Z) . signature
    /// let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJpYXQiOjEwMDAsImV4cCI6NDYwMH0.c2ln";
    /// let left = Token::from_jwt(jwt).expires_in().unwrap().as_secs();
    /// assert!((3599..=3600).contains(&left), "an hour, whatever the date: {left}");
    /// assert!(Token::from_jwt("opaque").expires_in().is_none());
    /// ```
    pub fn from_jwt(secret: impl Into<Secret>) -> Self {
        let secret = secret.into();
        match jwt_lifetime(secret.expose(), unix_now()) {
            Some(lifetime) => Self::expiring_in(secret, lifetime),
            None => Self::new(secret),
        }
    }

    /// The token.
    pub fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The same token with the refresh token its provider will use next (so that a
    /// [`TokenStore`](crate::TokenStore) keeps it across restarts).
    #[must_use]
    pub fn with_refresh_token(mut self, refresh_token: impl Into<Secret>) -> Self {
        self.refresh_token = Some(refresh_token.into());
        self
    }

    /// The refresh token its provider will use next, if it has one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// How long until it expires (zero once it has), when known.
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_at
            .map(|at| at.saturating_duration_since(Instant::now()))
    }

    /// How long ago it arrived.
    pub(crate) fn age(&self) -> Duration {
        self.issued_at.elapsed()
    }

    /// The instant it arrived.
    pub(crate) fn issued_at(&self) -> Instant {
        self.issued_at
    }

    /// The instant it expires, when known.
    pub(crate) fn expires_at(&self) -> Option<Instant> {
        self.expires_at
    }

    #[cfg(test)]
    pub(crate) fn with_times(
        secret: &str,
        issued_at: Instant,
        expires_at: Option<Instant>,
    ) -> Self {
        Self {
            secret: Secret::new(secret),
            issued_at,
            expires_at,
            refresh_token: None,
        }
    }
}

/// Seconds since the Unix epoch on this machine's clock (negative before it).
fn unix_now() -> i128 {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(since) => i128::from(since.as_secs()),
        Err(before) => -i128::from(before.duration().as_secs()),
    }
}

/// A JWT's lifetime: `exp - iat`, or `exp - now` without `iat`; zero when that is negative.
/// The claims are read without checking the signature (the server checks it; the client only
/// wants to know when to refresh).
fn jwt_lifetime(token: &str, now: i128) -> Option<Duration> {
    let payload = token.split('.').nth(1)?;
    let bytes = base64url_decode(payload.trim_end_matches('='))?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    let seconds = |name: &str| -> Option<i128> {
        let value = claims.get(name)?;
        value
            .as_i64()
            .map(i128::from)
            .or_else(|| value.as_u64().map(i128::from))
            // A float claim: `as` saturates (and maps NaN to 0), so no value panics.
            .or_else(|| value.as_f64().map(|f| f as i128))
    };
    let exp = seconds("exp")?;
    let anchor = seconds("iat").unwrap_or(now);
    let lifetime = exp.saturating_sub(anchor).max(0);
    Some(Duration::from_secs(
        u64::try_from(lifetime).unwrap_or(u64::MAX),
    ))
}

/// Decodes unpadded base64url (RFC 4648, section 5), the encoding of a JWT's parts.
fn base64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        if chunk.len() == 1 {
            return None;
        }
        let mut bits = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= value(c)? << (18 - 6 * i);
        }
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

/// The future a [`TokenProvider`] returns.
pub type FetchFuture<'a> = Pin<Box<dyn Future<Output = Result<Token, TokenError>> + Send + 'a>>;

/// Gets a new token: logs in again, or trades a refresh token.
pub trait TokenProvider: Send + Sync {
    /// Fetches a fresh token.
    fn fetch(&self) -> FetchFuture<'_>;

    /// Takes `refresh_token` (kept by a [`TokenStore`](crate::TokenStore) from an earlier run)
    /// to try before a full login. Providers without refresh tokens ignore it (the default).
    fn resume(&self, refresh_token: Secret) {
        let _ = refresh_token;
    }

    /// Why the [`TokenStore`](crate::TokenStore) this provider keeps its tokens in failed last,
    /// when its latest use failed (the token then came from the provider itself). `None` for
    /// providers without a store (the default) and while the store works.
    fn store_failure(&self) -> Option<crate::TokenStoreError> {
        None
    }

    /// This provider with its tokens kept in `store` under `key` (one key per credential, such
    /// as the user name): a stored token that is still valid is used without a token request,
    /// a stored refresh token is tried before a full login, and every new token is saved.
    fn stored_in(
        self,
        store: impl crate::TokenStore + 'static,
        key: impl Into<String>,
    ) -> store::Stored<Self>
    where
        Self: Sized,
    {
        store::Stored::new(self, store, key)
    }
}

/// A closure returning a boxed future is a provider too.
impl<F> TokenProvider for F
where
    F: Fn() -> FetchFuture<'static> + Send + Sync,
{
    fn fetch(&self) -> FetchFuture<'_> {
        self()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn jwt(claims: &str) -> String {
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims);
        format!("eyJhbGciOiJub25lIn0.{payload}.sig")
    }

    #[test]
    fn decodes_base64url_like_rfc_4648() {
        for (encoded, decoded) in [
            ("", ""),
            ("Zg", "f"),
            ("Zm8", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg", "foob"),
            ("Zm9vYmE", "fooba"),
            ("Zm9vYmFy", "foobar"),
        ] {
            assert_eq!(
                base64url_decode(encoded).unwrap(),
                decoded.as_bytes(),
                "{encoded}"
            );
        }
        assert_eq!(base64url_decode("-_8").unwrap(), [0xfb, 0xff]);
        assert_eq!(base64url_decode("Z"), None);
        assert_eq!(base64url_decode("Zm+v"), None);
    }

    #[test]
    fn a_jwt_lives_exp_minus_iat_whatever_the_clocks() {
        let now = 1_800_000_000;
        let hour = Some(Duration::from_secs(3600));
        // The vendor's clock five hours behind ours, and five hours ahead: still an hour.
        let behind = now - 5 * 3600;
        let ahead = now + 5 * 3600;
        for iat in [behind, now, ahead] {
            let token = jwt(&format!(r#"{{"iat":{iat},"exp":{}}}"#, iat + 3600));
            assert_eq!(jwt_lifetime(&token, now), hour, "iat {iat}");
        }
        // Without iat, exp is read against our clock.
        assert_eq!(
            jwt_lifetime(&jwt(&format!(r#"{{"exp":{}}}"#, now + 60)), now),
            Some(Duration::from_secs(60))
        );
        // Expired on arrival, or exp before iat: zero, never negative.
        assert_eq!(
            jwt_lifetime(&jwt(r#"{"exp":1}"#), now),
            Some(Duration::ZERO)
        );
        assert_eq!(
            jwt_lifetime(&jwt(r#"{"iat":100,"exp":50}"#), now),
            Some(Duration::ZERO)
        );
        assert_eq!(jwt_lifetime("h.not-base64!.s", now), None);
        assert_eq!(jwt_lifetime("no-dots", now), None);
        assert_eq!(jwt_lifetime(&jwt(r#"{"iat":1}"#), now), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// Any `exp` and `iat`, integers or floats, give a lifetime or none, never a panic.
        #[test]
        fn any_jwt_claims_give_a_lifetime_without_panicking(
            exp in proptest::prelude::any::<i64>(),
            iat in proptest::prelude::any::<i64>(),
            float in proptest::prelude::any::<f64>(),
            now in proptest::prelude::any::<i64>(),
        ) {
            let now = i128::from(now);
            let _ = jwt_lifetime(&jwt(&format!(r#"{{"exp":{exp},"iat":{iat}}}"#)), now);
            let _ = jwt_lifetime(&jwt(&format!(r#"{{"exp":{exp}}}"#)), now);
            if float.is_finite() {
                let _ = jwt_lifetime(&jwt(&format!(r#"{{"exp":{float:e},"iat":{iat}}}"#)), now);
            }
            let lifetime = jwt_lifetime(&jwt(&format!(r#"{{"exp":{exp},"iat":{iat}}}"#)), now);
            let expected = (i128::from(exp) - i128::from(iat)).max(0);
            proptest::prop_assert_eq!(lifetime, Some(Duration::from_secs(expected as u64)));
        }
    }

    #[test]
    fn absurd_claims_never_panic() {
        for claims in [
            r#"{"exp":1e308,"iat":-1e308}"#,
            r#"{"exp":-9223372036854775808,"iat":9223372036854775807}"#,
            r#"{"exp":18446744073709551615,"iat":-9223372036854775808}"#,
            r#"{"exp":"soon","iat":null}"#,
            r#"{"exp":NaN}"#,
        ] {
            let token = Token::from_jwt(jwt(claims));
            let _ = token.expires_in();
        }
        let _ = Token::expiring_in("t", Duration::MAX).expires_in();
        assert_eq!(
            Token::expiring_in_secs("t", i64::MIN).expires_in(),
            Some(Duration::ZERO)
        );
    }
}
