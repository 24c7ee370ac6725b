//! `Redirect` and `Redirected`: the answer of an operation whose spec documents a 3xx status
//! (an OAuth authorization endpoint sending the browser on, a `304 Not Modified`), as a value
//! rather than an error.

use reqwest::StatusCode;

/// A 3xx answer: its status and where it sends the caller.
///
/// The client follows redirects within a server's origin by itself; what comes back as a
/// `Redirect` is one to another origin (an application's callback URL, say), which no
/// credential follows, or a 3xx without a `Location` (`304 Not Modified`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Redirect {
    /// The status (301, 302, 303, 304, 307, 308, ...).
    pub status: StatusCode,
    /// The `Location` header, as sent (it may be relative to the request's URL, and it may hold
    /// what the server hands the next hop: an authorization code, say).
    pub location: Option<String>,
}

/// The success of an operation that documents both 2xx and 3xx statuses.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Redirected<T> {
    /// A 2xx answer, decoded.
    Done(T),
    /// A 3xx answer.
    Redirect(Redirect),
}

impl<T> Redirected<T> {
    /// The 2xx value, if it is one.
    pub fn done(self) -> Option<T> {
        match self {
            Redirected::Done(value) => Some(value),
            Redirected::Redirect(_) => None,
        }
    }

    /// The redirect, if it is one.
    pub fn redirect(&self) -> Option<&Redirect> {
        match self {
            Redirected::Redirect(redirect) => Some(redirect),
            Redirected::Done(_) => None,
        }
    }
}
