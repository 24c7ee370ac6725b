//! The token a command prints: obtained within a time limit, or the kept one while it has
//! more than a minute left, renewed under the profile's lock so that commands run side by side
//! spend a rotating refresh token once; and how it is printed.

use std::time::Duration;

use super::profiles::{Profile, Tool};
use super::{Failure, out};
use crate::token::{StoredToken, Token, TokenProvider};

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

impl Tool {
    /// The token `profile` keeps when it has more than [`RENEW_AHEAD`] left (or no known
    /// expiry); otherwise a new one from the provider `provider_of` makes of the kept token
    /// (its refresh token, say), kept in its place; `provider_of` runs only then, so what it
    /// reads (a kept credential) is not read for a token that is still fresh. The renewal holds
    /// the profile's lock and reads the store again once it has it: a command that waited gets
    /// the token the other one renewed.
    pub async fn fresh_token(
        &self,
        profile: &Profile,
        provider_of: impl AsyncFnOnce(Option<StoredToken>) -> Result<Box<dyn TokenProvider>, Failure>,
        describe: impl Fn(&crate::Error) -> Failure,
    ) -> Result<StoredToken, Failure> {
        let store = self.store(profile.store);
        let key = profile.token_key();
        let fresh = |kept: &StoredToken| kept.expires_in().is_none_or(|left| left > RENEW_AHEAD);
        let kept = store.load(&key).await.map_err(Failure::error)?;
        if let Some(kept) = kept.as_ref().filter(|kept| fresh(kept)) {
            return Ok(kept.clone());
        }
        let _lock = self.lock(&format!("token-{}", profile.name)).await?;
        let kept = store.load(&key).await.map_err(Failure::error)?;
        if let Some(kept) = kept.as_ref().filter(|kept| fresh(kept)) {
            return Ok(kept.clone());
        }
        let provider = provider_of(kept).await?;
        let token = StoredToken::of(&obtain(&*provider, describe).await?);
        store.save(&key, &token).await.map_err(Failure::error)?;
        Ok(token)
    }
}

/// Prints `token` on stdout, alone on its line; with `json`, as
/// `{"token": .., "expires_at": .., "expires_in": ..}` (Unix seconds and seconds left, or
/// `null` when the vendor gives no expiry).
pub fn print_token(token: &StoredToken, json: bool) -> Result<(), Failure> {
    let secret = token.access_token.expose();
    if json {
        out(serde_json::json!({
            "token": secret,
            "expires_at": token.expires_at,
            "expires_in": token.expires_in().map(|left| left.as_secs()),
        }))
    } else {
        out(secret)
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
