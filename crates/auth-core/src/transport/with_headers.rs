//! `WithHeaders`: an operation's success together with the response headers its spec documents.

/// The success of an operation whose spec documents response headers: the body, and those
/// headers read into a typed struct (each `None` when absent or malformed).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct WithHeaders<T, H> {
    /// The decoded body (`()` when the success has none).
    pub body: T,
    /// The documented headers.
    pub headers: H,
}

impl<T, H> WithHeaders<T, H> {
    /// The body and the headers (used by generated code).
    pub fn new(body: T, headers: H) -> Self {
        Self { body, headers }
    }

    /// The body alone.
    pub fn into_body(self) -> T {
        self.body
    }
}
