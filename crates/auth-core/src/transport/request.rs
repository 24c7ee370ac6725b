//! Requests as the send loop sees them: an operation's static description (generated, or made
//! for one call of [`Client::request`](crate::Client::request)) and one call's path, query,
//! headers and body.

use std::borrow::Cow;

use reqwest::Method;
use serde::Serialize;

use crate::error::Error;

/// The header name cookie parameters are kept under until the request is built.
pub(crate) const COOKIE: &str = "cookie";

/// A security scheme an operation accepts, as its spec declares it. An operation lists the
/// ones it accepts; the client sends the first its credentials fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Security {
    /// `Authorization: Bearer <token>` (HTTP bearer, and OAuth 2 and OpenID Connect, whose
    /// tokens travel so).
    Bearer,
    /// `Authorization: Basic <base64(username:password)>`.
    Basic,
    /// An API key sent in the named header.
    ApiKeyHeader(&'static str),
    /// An API key sent as the named query parameter.
    ApiKeyQuery(&'static str),
    /// An API key sent as the named cookie.
    ApiKeyCookie(&'static str),
    /// `Authorization: <scheme> <key>`, for an HTTP scheme other than bearer and basic (such as
    /// `Token`), from an API key.
    HttpScheme(&'static str),
    /// Every one of these at once (a requirement that names several schemes).
    All(&'static [Security]),
    /// Nothing: the operation may also be sent without credentials (an empty requirement).
    Anonymous,
}

impl std::fmt::Display for Security {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Security::Bearer => f.write_str("bearer token"),
            Security::Basic => f.write_str("HTTP Basic"),
            Security::ApiKeyHeader(name) => write!(f, "API key in {name}"),
            Security::ApiKeyQuery(name) => write!(f, "API key in the query parameter {name}"),
            Security::ApiKeyCookie(name) => write!(f, "API key in the cookie {name}"),
            Security::HttpScheme(scheme) => write!(f, "HTTP {scheme}"),
            Security::All(schemes) => {
                for (index, scheme) in schemes.iter().enumerate() {
                    if index > 0 {
                        f.write_str(" and ")?;
                    }
                    write!(f, "{scheme}")?;
                }
                Ok(())
            }
            Security::Anonymous => f.write_str("none"),
        }
    }
}

/// What the spec says about an operation. Generated code declares one `static` per operation.
#[derive(Debug, Clone)]
pub struct Operation {
    /// The API (vendor) the operation belongs to, such as `emnify`.
    pub api: &'static str,
    /// The operationId.
    pub id: &'static str,
    /// The name of the operation's method in the vendor crate (its errors name it).
    pub name: &'static str,
    /// The HTTP method.
    pub method: Method,
    /// The server URL as the spec gives it (the client may map it to another URL).
    pub server: &'static str,
    /// The path template, such as `/api/v1/user/{user_id}/mfa/{key_id}`.
    pub path: &'static str,
    /// The security schemes the operation accepts; empty means it needs none.
    pub security: &'static [Security],
    /// Whether sending the request twice does no harm (GET, HEAD, PUT, DELETE, or an operation the
    /// spec marks `x-retry-safe`): only such requests are retried after they may have reached the
    /// server.
    pub idempotent: bool,
}

/// A request body, already encoded.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) content_type: &'static str,
    pub(crate) bytes: bytes::Bytes,
}

/// The operation a request belongs to: a generated operation's `static`, or a description made
/// for one call of [`Client::request`](crate::Client::request), boxed. A pointer either way (a
/// `Cow` would hold the whole description inline), so that every operation's future stays
/// small: a request is held in it across awaits.
#[derive(Debug)]
pub(crate) enum OperationRef {
    Static(&'static Operation),
    Owned(Box<Operation>),
}

impl std::ops::Deref for OperationRef {
    type Target = Operation;

    fn deref(&self) -> &Operation {
        match self {
            Self::Static(operation) => operation,
            Self::Owned(operation) => operation,
        }
    }
}

impl OperationRef {
    /// Marks the operation safe to send twice, for this call only.
    pub(crate) fn mark_idempotent(&mut self) {
        match self {
            Self::Owned(operation) => operation.idempotent = true,
            Self::Static(operation) => {
                let operation = *operation;
                *self = Self::Owned(Box::new(Operation {
                    idempotent: true,
                    ..operation.clone()
                }));
            }
        }
    }
}

/// One call of an operation: the operation, the path (with its parameters already encoded),
/// query, headers and body.
#[derive(Debug)]
pub struct OperationRequest {
    pub(crate) operation: OperationRef,
    /// A `Box<str>`, not a `String`: 8 bytes less in every call's future.
    pub(crate) path: Box<str>,
    pub(crate) query: Vec<(Cow<'static, str>, String)>,
    /// Header parameters, and cookie parameters as `cookie` entries of `name=value` (joined
    /// into one `Cookie` header when the request is built).
    pub(crate) headers: Vec<(Cow<'static, str>, String)>,
    pub(crate) accept: Option<&'static str>,
    pub(crate) body: Option<Body>,
    /// The secret values among the parameters ([`OperationRequest::holding`]): a pointer, as
    /// nearly every request has none and the request is held in the call's future.
    pub(crate) secrets: Option<std::sync::Arc<Vec<crate::Secret>>>,
}

impl OperationRequest {
    /// A call of `operation` to `path` (the template filled in, each parameter encoded with
    /// [`encode_path`](crate::encode_path)).
    pub fn new(operation: &'static Operation, path: String) -> Self {
        Self::of(OperationRef::Static(operation), path)
    }

    /// A call of an operation described for this call only.
    pub(crate) fn of(operation: OperationRef, path: String) -> Self {
        Self {
            operation,
            path: path.into_boxed_str(),
            query: Vec::new(),
            headers: Vec::new(),
            accept: None,
            body: None,
            secrets: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &'static str, value: impl ToString) -> Self {
        self.query.push((Cow::Borrowed(name), value.to_string()));
        self
    }

    /// Adds an object query parameter: each member as a parameter of its own (`form` style,
    /// exploded), or as `name[member]` (`deepObject`). Absent (`null`) members are left out; a
    /// member that is itself an array or object goes as its JSON text.
    pub fn query_object<T: Serialize + ?Sized>(
        mut self,
        name: &'static str,
        deep: bool,
        value: &T,
    ) -> Result<Self, Error> {
        let serde_json::Value::Object(members) = serde_json::to_value(value).map_err(|err| {
            Error::InvalidRequest(format!("cannot encode the query parameter {name}: {err}"))
        })?
        else {
            return Err(Error::InvalidRequest(format!(
                "the query parameter {name} is not an object"
            )));
        };
        for (member, value) in members {
            let value = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            let key = if deep {
                format!("{name}[{member}]")
            } else {
                member
            };
            self.query.push((Cow::Owned(key), value));
        }
        Ok(self)
    }

    /// Adds a header parameter.
    pub fn header(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((Cow::Borrowed(name), value.to_string()));
        self
    }

    /// Adds a cookie parameter (all of a request's cookies go in one `Cookie` header).
    pub fn cookie(mut self, name: &'static str, value: impl ToString) -> Self {
        self.headers.push((
            Cow::Borrowed(COOKIE),
            format!("{name}={}", value.to_string()),
        ));
        self
    }

    /// Marks `value`, which a query, header or cookie parameter carries, as a secret the request
    /// holds: an error body that echoes it shows it masked, as it shows the credentials.
    pub fn holding(mut self, value: &crate::Secret) -> Self {
        let secrets = self.secrets.get_or_insert_default();
        std::sync::Arc::make_mut(secrets).push(value.clone());
        self
    }

    /// Sets the `Accept` header.
    pub fn accept(mut self, media_type: &'static str) -> Self {
        self.accept = Some(media_type);
        self
    }

    /// Sets a JSON body.
    pub fn json<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let bytes = serde_json::to_vec(body)
            .map_err(|err| Error::InvalidRequest(format!("cannot encode the JSON body: {err}")))?;
        self.body = Some(Body {
            content_type: "application/json",
            bytes: bytes.into(),
        });
        Ok(self)
    }

    /// Sets an `application/x-www-form-urlencoded` body. The body must serialize to a flat object;
    /// absent (`null`) fields are left out.
    pub fn form<T: Serialize + ?Sized>(mut self, body: &T) -> Result<Self, Error> {
        let invalid =
            |why: String| Error::InvalidRequest(format!("cannot encode the form body: {why}"));
        let serde_json::Value::Object(fields) =
            serde_json::to_value(body).map_err(|err| invalid(err.to_string()))?
        else {
            return Err(invalid("it is not an object".into()));
        };
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in &fields {
            match value {
                serde_json::Value::Null => {}
                serde_json::Value::String(text) => {
                    form.append_pair(name, text);
                }
                serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
                    form.append_pair(name, &value.to_string());
                }
                _ => return Err(invalid(format!("field {name} is not a plain value"))),
            }
        }
        self.body = Some(Body {
            content_type: "application/x-www-form-urlencoded",
            bytes: form.finish().into_bytes().into(),
        });
        Ok(self)
    }

    /// Sets a body of `content_type`, sent as it is (text, or bytes of any other media type).
    pub fn body(mut self, content_type: &'static str, bytes: impl Into<bytes::Bytes>) -> Self {
        self.body = Some(Body {
            content_type,
            bytes: bytes.into(),
        });
        self
    }

    /// The operation.
    pub fn operation(&self) -> &Operation {
        &self.operation
    }
}
