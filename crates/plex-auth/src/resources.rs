//! The account's servers and how to reach them: the resources plex.tv lists, their connections
//! in the order Plex apps try them, and `connect`, which binds a client to the first that
//! answers.

use std::time::Duration;

use auth_core::{ApiError, Credentials, Method, RetryPolicy};

use crate::Client;
use crate::errors::GetResourcesError;
use crate::models::{Resource, ResourceConnection};

/// How long one connection is given to answer, unless told otherwise.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What listing the resources fails with.
pub type ResourcesError = ApiError<GetResourcesError>;

/// Why [`Client::connect`] found no connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// The resource has no connection to try.
    #[error("{name} lists no connection")]
    NoConnections {
        /// The resource's name.
        name: String,
    },
    /// No connection answered in time; each URI with why (a URI that is no usable base URL is
    /// one of them, with the reason).
    #[error("no connection to {name} answered ({} tried)", .tried.len())]
    Unreachable {
        /// The resource's name.
        name: String,
        /// Each connection's URI and why it failed, in the order tried.
        tried: Vec<(String, String)>,
    },
}

/// How [`Client::connect_with`] tries a resource's connections, and which token it sends them.
///
/// A resource gets the token plex.tv issued for it (its `accessToken`). One without a token of
/// its own gets the account's token only when the account owns it, or when it is named here
/// with [`ConnectOptions::send_account_token_to`]; any other gets no token.
#[derive(Clone, Debug)]
#[must_use]
pub struct ConnectOptions {
    timeout: Duration,
    account_token_for: Vec<String>,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        Self {
            timeout: DEFAULT_CONNECT_TIMEOUT,
            account_token_for: Vec::new(),
        }
    }
}

impl ConnectOptions {
    /// Each connection given [`DEFAULT_CONNECT_TIMEOUT`]; the account token to owned resources
    /// only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives each connection `timeout` to answer.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sends the account's token to the resource named `name` (its name or its client
    /// identifier) when plex.tv gives it no token of its own, although the account does not own
    /// it: for a server you know to be yours that plex.tv lists as shared.
    pub fn send_account_token_to(mut self, name: impl Into<String>) -> Self {
        self.account_token_for.push(name.into());
        self
    }

    fn names(&self, resource: &Resource) -> bool {
        self.account_token_for
            .iter()
            .any(|name| *name == resource.name || *name == resource.client_identifier)
    }
}

/// Where a connection stands in the order Plex apps try them: local, then remote, then relay.
fn rank(connection: &ResourceConnection) -> u8 {
    match (connection.relay, connection.local) {
        (Some(true), _) => 2,
        (_, Some(true)) => 0,
        _ => 1,
    }
}

impl Resource {
    /// Whether it is a media server (`provides` lists `server`).
    pub fn is_server(&self) -> bool {
        self.provides
            .as_deref()
            .is_some_and(|provides| provides.split(',').any(|p| p.trim() == "server"))
    }

    /// Its connections in the order Plex apps try them: local first, then remote, relay last
    /// (python-plexapi's `preferred_connections`); within each, https before http, and
    /// otherwise as plex.tv listed them. Local connections of a resource shared with the
    /// account are left out: they are on its owner's network.
    pub fn preferred_connections(&self) -> Vec<&ResourceConnection> {
        let owned = self.owned.unwrap_or(false);
        let mut connections: Vec<&ResourceConnection> = self
            .connections
            .iter()
            .flatten()
            .filter(|connection| owned || connection.local != Some(true))
            .collect();
        connections.sort_by_key(|connection| {
            let http = !connection.uri.starts_with("https://");
            (rank(connection), http)
        });
        connections
    }
}

impl Client {
    /// The account's resources (its own servers and players, and those shared with it), with
    /// https and relayed connections. Send it with the account token.
    pub async fn resources(&self) -> Result<Vec<Resource>, ResourcesError> {
        self.authentication()
            .get_resources(Some(1), Some(1), None)
            .await
    }

    /// A client of the media server `resource`, bound to the first of its
    /// [preferred connections](Resource::preferred_connections) that answers, sending the
    /// resource's access token (see [`ConnectOptions`] for a resource without one). The
    /// connections are tried together, each given [`DEFAULT_CONNECT_TIMEOUT`]; a connection
    /// answers when the server's root answers 2xx to the token (one that refuses, stalls,
    /// redirects or answers 401 does not, and one whose URI is no usable base URL is passed
    /// over with its reason).
    pub async fn connect(&self, resource: &Resource) -> Result<Client, ConnectError> {
        self.connect_with(resource, ConnectOptions::new()).await
    }

    /// As [`Client::connect`], each connection given `timeout`.
    pub async fn connect_within(
        &self,
        resource: &Resource,
        timeout: Duration,
    ) -> Result<Client, ConnectError> {
        self.connect_with(resource, ConnectOptions::new().timeout(timeout))
            .await
    }

    /// As [`Client::connect`], with `options`.
    pub async fn connect_with(
        &self,
        resource: &Resource,
        options: ConnectOptions,
    ) -> Result<Client, ConnectError> {
        let connections = resource.preferred_connections();
        if connections.is_empty() {
            return Err(ConnectError::NoConnections {
                name: resource.name.clone(),
            });
        }
        let timeout = options.timeout;
        let base = match resource.access_token.as_ref().filter(|t| !t.is_empty()) {
            Some(token) => self.with_token(token.clone()),
            None if resource.owned == Some(true) || options.names(resource) => self.clone(),
            None => self.with_credentials(Credentials::None),
        }
        .with_retry(RetryPolicy::disabled());
        // Each connection on its own: one whose URI is no usable base URL is passed over with
        // its reason, and every other is tried at once, each given `timeout`.
        let mut candidates: Vec<_> = connections
            .into_iter()
            .map(|connection| {
                let attempt = base.with_media_server(&connection.uri).map(|client| {
                    let probe = client.clone();
                    let task = tokio::spawn(tokio::time::timeout(timeout, async move {
                        match probe.request(Method::GET, "/").send().await {
                            Ok(answer) if answer.status().is_success() => Ok(()),
                            Ok(answer) => Err(format!("HTTP {}", answer.status())),
                            Err(error) => Err(error.to_string()),
                        }
                    }));
                    (client, task)
                });
                (connection.uri.clone(), attempt)
            })
            .collect();
        let mut tried = Vec::new();
        let mut chosen = None;
        // In order of preference: the first that answered wins, whichever answered first.
        for (uri, attempt) in &mut candidates {
            let (client, task) = match attempt {
                Ok((client, task)) => (client, task),
                Err(error) => {
                    if chosen.is_none() {
                        tried.push((uri.clone(), error.to_string()));
                    }
                    continue;
                }
            };
            if chosen.is_some() {
                task.abort();
                continue;
            }
            let outcome = match task.await {
                Ok(Ok(Ok(()))) => Ok(()),
                Ok(Ok(Err(why))) => Err(why),
                Ok(Err(_)) => Err(format!("no answer within {} ms", timeout.as_millis())),
                Err(error) => Err(format!("the attempt failed: {error}")),
            };
            match outcome {
                Ok(()) => chosen = Some(client.clone()),
                Err(why) => tried.push((uri.clone(), why)),
            }
        }
        chosen.ok_or_else(|| ConnectError::Unreachable {
            name: resource.name.clone(),
            tried,
        })
    }
}
