//! Percent-encoding of path parameters as single path segments.

use std::borrow::Cow;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::Error;

/// Every byte but RFC 3986's unreserved characters (`A-Z a-z 0-9 - . _ ~`) is escaped, so a
/// parameter can never add a segment (`/`), a query (`?`), a fragment (`#`) or an escape of its
/// own (`%`).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Encodes `value` as one path segment.
///
/// Fails for the empty string, `.` and `..`: URL parsers collapse those segments (escaped or not),
/// so no encoding can keep them as one segment.
///
/// ```
/// use auth_core::encode_path;
///
/// assert_eq!(encode_path("P00000000").unwrap(), "P00000000");
/// assert_eq!(encode_path("a/b?c#d e%").unwrap(), "a%2Fb%3Fc%23d%20e%25");
/// assert!(encode_path("..").is_err());
/// ```
pub fn encode_path(value: &str) -> Result<Cow<'_, str>, Error> {
    if matches!(value, "" | "." | "..") {
        return Err(Error::InvalidRequest(format!(
            "path parameter {value:?} cannot be sent as one path segment"
        )));
    }
    // Most ids need no escaping: a plain scan is much cheaper than the encoder.
    if value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
    {
        return Ok(Cow::Borrowed(value));
    }
    Ok(utf8_percent_encode(value, PATH_SEGMENT).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_reserved_and_non_ascii() {
        assert_eq!(encode_path("ä b+c;d").unwrap(), "%C3%A4%20b%2Bc%3Bd");
        assert_eq!(encode_path("...").unwrap(), "...");
        assert!(encode_path("").is_err());
        assert!(encode_path(".").is_err());
    }
}
