//! The transport: a request's path from the client to the answer. A configured client and its
//! builder (`client`, `builder`), the credentials it sends and how they fit an operation's
//! security schemes (`credentials`), an operation's request (`request`, `encode`), the send
//! loop with its deadlines, token wait, 401 replay and retries (`send`), the redirect policy
//! (`redirect`), and the answer: the body read up to the limit (`body`), turned into a typed
//! value or error (`response`, `redirected`, `with_headers`).
//!
//! It uses `error`, `retry`, `secret` and `token` (for the tokens it waits for); nothing of
//! `authorized`, `session` or the hidden module, which are built on it.

pub(crate) mod body;
pub(crate) mod builder;
pub(crate) mod client;
pub(crate) mod credentials;
pub(crate) mod encode;
pub(crate) mod redirect;
pub(crate) mod redirected;
pub(crate) mod request;
pub(crate) mod response;
pub(crate) mod send;
pub(crate) mod with_headers;

pub use builder::{ClientBuilder, DEFAULT_MAX_BODY_BYTES, DEFAULT_REQUEST_ID_HEADERS};
pub use client::{Client, SpecServer, WeakClient};
pub use credentials::Credentials;
pub use encode::encode_path;
pub use redirected::{Redirect, Redirected};
pub use with_headers::WithHeaders;
