//! What must not leak: [`Secret`], the string type of passwords, tokens, keys and one-time codes
//! (this file), and the masking of secrets in text shown to people (`redact`). It uses nothing
//! else of the crate; every other part uses it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

pub(crate) mod redact;

/// What [`Secret`] prints in place of its value.
pub const REDACTED: &str = "[REDACTED]";

/// A secret string: a password, token, key or one-time code.
///
/// It serializes and deserializes as a plain JSON string, so it can sit in request and response
/// models, but `Debug` and `Display` print `[REDACTED]`, and the bytes are zeroized when the value
/// is dropped. Read the value with [`Secret::expose`].
///
/// ```
/// use auth_core::Secret;
///
/// let password = Secret::new("hunter2");
/// assert_eq!(format!("{password:?}"), "Secret([REDACTED])");
/// assert_eq!(password.to_string(), "[REDACTED]");
/// assert_eq!(password.expose(), "hunter2");
/// assert_eq!(serde_json::to_string(&password).unwrap(), "\"hunter2\"");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The value itself. Keep what you do with it out of logs.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether the value is the empty string.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({REDACTED})")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// So that `impl Into<Secret>` takes a `&String` as it takes a `&str` (a code read into a
/// `String`, passed by reference).
impl From<&String> for Secret {
    fn from(value: &String) -> Self {
        Self(value.clone())
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    /// Any text is a secret (a token in a response header, say).
    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(value))
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_in_debug_and_display_of_containers() {
        let secret = Secret::new("canary-7f3a");
        let nested = Some(vec![secret.clone()]);
        assert!(!format!("{nested:?}").contains("canary"));
        assert!(!format!("{secret}").contains("canary"));
    }

    #[test]
    fn round_trips_through_json() {
        let secret: Secret = serde_json::from_str("\"abc\"").unwrap();
        assert_eq!(secret.expose(), "abc");
        assert_eq!(serde_json::to_string(&secret).unwrap(), "\"abc\"");
        assert!(serde_json::from_str::<Secret>("12").is_err());
    }
}
