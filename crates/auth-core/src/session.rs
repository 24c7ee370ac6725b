//! What every vendor's login shares, so that a vendor crate writes only its grants: the outcome
//! of a login ([`LoginOutcome`]), the token provider that trades the refresh token, logs in again
//! when the vendor refuses it, and rotates the refresh token each answer brings
//! ([`RefreshThenLogin`], over a vendor's [`Grants`]), and the client a login hands back
//! ([`logged_in`]). It uses the client and the token types; nothing here knows a vendor.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Mutex, PoisonError};

use crate::error::{TokenError, TokenErrorKind};
use crate::secret::Secret;
use crate::token::{FetchFuture, Token, TokenProvider, TokenSource};
use crate::transport::client::Client;

/// What a login led to: logged in, or waiting for the user's second factor. Each vendor crate
/// names it with its own types (`emnify_auth::LoginOutcome` is `LoginOutcome<Client, MfaPending>`),
/// and every login path of a vendor answers with it.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoginOutcome<L, P> {
    /// Logged in: the vendor's client that sends the token, and keeps it valid.
    LoggedIn(L),
    /// The account has a second factor: finish the login with the pending step.
    MfaRequired(P),
}

/// The future of one grant of [`Grants`].
pub type GrantFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, TokenError>> + Send + 'a>>;

/// What trading a refresh token came to, when the vendor answered.
#[derive(Debug)]
pub enum Refresh {
    /// A new token (with the refresh token of the answer, when it brought one).
    Token(Token),
    /// The vendor refused the refresh token: a login follows where the session has one, and
    /// this is the error where it has none.
    Refused(TokenError),
}

/// A vendor's grants, which [`RefreshThenLogin`] combines into a token provider.
///
/// Each returns a [`Token`] carrying the refresh token of its answer, when the answer had one
/// ([`Token::with_refresh_token`]); the session keeps the last one it was given.
pub trait Grants: Send + Sync {
    /// Trades `refresh_token`. `Err` is a failure a login would not mend (the vendor is down);
    /// [`Refresh::Refused`] one it would.
    fn refresh(&self, refresh_token: Secret) -> GrantFuture<'_, Refresh>;

    /// Logs in again, for a session that can (a password login). `None`, the default, for one
    /// that cannot (it started from a refresh token): a refused refresh token is then its error.
    fn login(&self) -> Option<FetchFuture<'_>> {
        None
    }
}

/// A token provider over a vendor's [`Grants`]: each new token from the refresh token of the
/// last, from a new login when there is none or the vendor refuses it. The refresh token rotates
/// with every answer that brings one, and one kept by a [`TokenStore`](crate::TokenStore) from an
/// earlier run is tried first ([`TokenProvider::resume`]).
pub struct RefreshThenLogin<G> {
    grants: G,
    refresh_token: Mutex<Option<Secret>>,
}

impl<G: Grants> RefreshThenLogin<G> {
    /// A session that logs in with `grants` for its first token.
    pub fn new(grants: G) -> Self {
        Self {
            grants,
            refresh_token: Mutex::new(None),
        }
    }

    /// A session whose first token comes from trading `refresh_token`.
    pub fn from_refresh_token(grants: G, refresh_token: impl Into<Secret>) -> Self {
        Self {
            grants,
            refresh_token: Mutex::new(Some(refresh_token.into())),
        }
    }

    /// The grants.
    pub fn grants(&self) -> &G {
        &self.grants
    }

    /// The grants, to change before the session starts (a device fingerprint, say).
    pub fn grants_mut(&mut self) -> &mut G {
        &mut self.grants
    }

    /// `token` as this session's: the refresh token it carries becomes the next one to trade,
    /// and the token comes back with the refresh token the session holds now.
    fn rotate(&self, token: Token) -> Token {
        let mut slot = self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(next) = token.refresh_token() {
            *slot = Some(next.clone());
        }
        match slot.clone() {
            Some(next) => token.with_refresh_token(next),
            None => token,
        }
    }

    fn current(&self) -> Option<Secret> {
        self.refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl<G: Grants + 'static> RefreshThenLogin<G> {
    /// `client` sending `first` (the token a login just got, so that the first call needs no
    /// token request) and the tokens of this session after it, kept valid with the client's
    /// [`TokenPolicy`](crate::TokenPolicy).
    pub fn into_client(self, client: &Client, first: Token) -> Client {
        let first = self.rotate(first);
        logged_in(client, self, first)
    }
}

impl<G: Grants> TokenProvider for RefreshThenLogin<G> {
    fn fetch(&self) -> FetchFuture<'_> {
        Box::pin(async move {
            let refused = match self.current() {
                Some(refresh_token) => match self.grants.refresh(refresh_token).await? {
                    Refresh::Token(token) => return Ok(self.rotate(token)),
                    Refresh::Refused(error) => Some(error),
                },
                None => None,
            };
            match (self.grants.login(), refused) {
                (Some(login), _) => Ok(self.rotate(login.await?)),
                (None, Some(refused)) => Err(refused),
                (None, None) => Err(TokenError::new(
                    TokenErrorKind::Rejected,
                    "the session has neither a refresh token nor a login",
                )),
            }
        })
    }

    fn resume(&self, refresh_token: Secret) {
        *self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(refresh_token);
    }
}

impl<G: fmt::Debug> fmt::Debug for RefreshThenLogin<G> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let held = self
            .refresh_token
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some();
        f.debug_struct("RefreshThenLogin")
            .field("grants", &self.grants)
            .field("has_refresh_token", &held)
            .finish()
    }
}

/// `client` sending `first` (the token a login just got) and then tokens of `provider`, kept
/// valid with the client's [`TokenPolicy`](crate::TokenPolicy): what a login hands back.
pub fn logged_in(client: &Client, provider: impl TokenProvider + 'static, first: Token) -> Client {
    let source = TokenSource::with_policy(provider, client.token_policy());
    source.seed(first);
    client.with_token_source(source)
}

/// The client a token provider sends its token requests with: `client`'s connection pool and
/// retries, `credentials`, and no timeouts of its own (the token source bounds each token
/// request with [`TokenPolicy::request_timeout`](crate::TokenPolicy::request_timeout), not with
/// the timeouts of the calls waiting for it).
pub fn token_client(client: &Client, credentials: crate::Credentials) -> Client {
    client.token_client(credentials)
}

#[cfg(test)]
mod tests {
    use std::error::Error as _;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    /// Grants that refuse refresh tokens starting with `old`, and count logins.
    #[derive(Debug, Default)]
    struct Scripted {
        can_log_in: bool,
        logins: AtomicUsize,
    }

    impl Grants for Scripted {
        fn refresh(&self, refresh_token: Secret) -> GrantFuture<'_, Refresh> {
            Box::pin(async move {
                Ok(if refresh_token.expose().starts_with("old") {
                    Refresh::Refused(TokenError::new(TokenErrorKind::Rejected, "refused"))
                } else {
                    let next = format!("{}+", refresh_token.expose());
                    Refresh::Token(Token::new("refreshed").with_refresh_token(next))
                })
            })
        }

        fn login(&self) -> Option<FetchFuture<'_>> {
            self.can_log_in.then(|| -> FetchFuture<'_> {
                Box::pin(async move {
                    self.logins.fetch_add(1, Ordering::SeqCst);
                    Ok(Token::new("logged-in").with_refresh_token("r"))
                })
            })
        }
    }

    fn session(can_log_in: bool) -> RefreshThenLogin<Scripted> {
        RefreshThenLogin::new(Scripted {
            can_log_in,
            ..Scripted::default()
        })
    }

    #[tokio::test]
    async fn logs_in_first_then_rotates_the_refresh_token_of_each_answer() {
        let session = session(true);
        let first = session.fetch().await.unwrap();
        assert_eq!(first.secret().expose(), "logged-in");
        let second = session.fetch().await.unwrap();
        assert_eq!(second.secret().expose(), "refreshed");
        assert_eq!(second.refresh_token().unwrap().expose(), "r+");
        let third = session.fetch().await.unwrap();
        assert_eq!(third.refresh_token().unwrap().expose(), "r++");
        assert_eq!(session.grants().logins.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refused_refresh_token_leads_to_a_login_where_there_is_one() {
        let session = session(true);
        session.resume(Secret::new("old"));
        let token = session.fetch().await.unwrap();
        assert_eq!(token.secret().expose(), "logged-in");
        assert_eq!(token.refresh_token().unwrap().expose(), "r");
    }

    #[tokio::test]
    async fn a_refused_refresh_token_is_the_error_where_there_is_no_login() {
        let session = RefreshThenLogin::from_refresh_token(Scripted::default(), "old");
        let error = session.fetch().await.unwrap_err();
        assert_eq!(error.kind(), TokenErrorKind::Rejected);
        assert_eq!(error.source().unwrap().to_string(), "refused");
        let nothing = RefreshThenLogin::new(Scripted::default());
        assert_eq!(
            nothing.fetch().await.unwrap_err().kind(),
            TokenErrorKind::Rejected
        );
    }

    #[tokio::test]
    async fn an_answer_without_a_refresh_token_keeps_the_one_held() {
        #[derive(Debug)]
        struct NoRotation;
        impl Grants for NoRotation {
            fn refresh(&self, _: Secret) -> GrantFuture<'_, Refresh> {
                Box::pin(async { Ok(Refresh::Token(Token::new("t"))) })
            }
        }
        let session = RefreshThenLogin::from_refresh_token(NoRotation, "kept");
        let token = session.fetch().await.unwrap();
        assert_eq!(token.refresh_token().unwrap().expose(), "kept");
        assert!(format!("{session:?}").contains("has_refresh_token: true"));
        assert!(!format!("{session:?}").contains("kept"));
    }
}
