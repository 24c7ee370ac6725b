//! The account's servers and how to reach them: the resources plex.tv lists, their connections
//! in the order Plex apps try them, and `connect`, which binds a client to the first that
//! answers.

use std::time::Duration;

use auth_core::{ApiError, Method, RetryPolicy};

use crate::errors::GetResourcesError;
use crate::models::{Resource, ResourceConnection};
use crate::{Client, Error};

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
    /// No connection answered in time; each URI with why.
    #[error("no connection to {name} answered ({} tried)", .tried.len())]
    Unreachable {
        /// The resource's name.
        name: String,
        /// Each connection's URI and why it failed, in the order tried.
        tried: Vec<(String, String)>,
    },
    /// A connection's URI is not a usable base URL.
    #[error(transparent)]
    Config(#[from] Error),
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
    /// [preferred connections](Resource::preferred_connections) that answers, sending the resource's
    /// access token (this client's credentials when it has none). The connections are tried
    /// together, each given [`DEFAULT_CONNECT_TIMEOUT`]; a connection answers when the
    /// server's root answers 2xx to the token (one that refuses, stalls or answers 401 does
    /// not).
    pub async fn connect(&self, resource: &Resource) -> Result<Client, ConnectError> {
        self.connect_within(resource, DEFAULT_CONNECT_TIMEOUT).await
    }

    /// As [`Client::connect`], each connection given `timeout`.
    pub async fn connect_within(
        &self,
        resource: &Resource,
        timeout: Duration,
    ) -> Result<Client, ConnectError> {
        let connections = resource.preferred_connections();
        if connections.is_empty() {
            return Err(ConnectError::NoConnections {
                name: resource.name.clone(),
            });
        }
        let base = match &resource.access_token {
            Some(token) => self.with_token(token.clone()),
            None => self.clone(),
        }
        .with_retry(RetryPolicy::disabled());
        let mut candidates = Vec::with_capacity(connections.len());
        for connection in connections {
            let client = base.with_media_server(&connection.uri)?;
            let probe = client.clone();
            // Every connection is tried at once; each gets `timeout`.
            let task = tokio::spawn(tokio::time::timeout(timeout, async move {
                let answer = probe.request(Method::GET, "/").send().await;
                match answer {
                    Ok(answer) if answer.status().is_success() => Ok(()),
                    Ok(answer) => Err(format!("HTTP {}", answer.status())),
                    Err(error) => Err(error.to_string()),
                }
            }));
            candidates.push((connection.uri.clone(), client, task));
        }
        let mut tried = Vec::new();
        let mut chosen = None;
        // In order of preference: the first that answered wins, whichever answered first.
        for (uri, client, task) in &mut candidates {
            let task = &mut *task;
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
