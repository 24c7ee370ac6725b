//! Plex's numeric error codes, read from the body of any error (JSON or XML).

use auth_core::ErrorMetadata;

/// An error code plex.tv puts in its error bodies (`{"errors":[{"code":1029,...}]}`, or
/// `<error code="1029" .../>` when the answer is XML).
///
/// ```
/// use plex_auth::{PlexCode, VendorCode};
/// # fn check(error: plex_auth::LoginError) {
/// if error.vendor_code() == Some(PlexCode::TwoFactorRequired) {
///     // ask the user for the current code, and sign in again with it
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PlexCode {
    /// 1001: the user could not be authenticated (wrong login or password).
    BadCredentials,
    /// 1003: too many requests.
    RateLimited,
    /// 1020: the PIN is unknown or expired ("Code not found or expired").
    PinNotFound,
    /// 1029: the account has two-factor authentication; sign in again with the current code.
    TwoFactorRequired,
    /// 1031: sign-ins from this address are blocked after repeated failures.
    RepeatedFailures,
    /// 1041: a managed user's PIN is needed.
    ManagedUserPinRequired,
    /// A code this version does not know.
    Unknown(i64),
}

impl PlexCode {
    /// The code for Plex's number.
    pub fn from_number(number: i64) -> Self {
        match number {
            1001 => PlexCode::BadCredentials,
            1003 => PlexCode::RateLimited,
            1020 => PlexCode::PinNotFound,
            1029 => PlexCode::TwoFactorRequired,
            1031 => PlexCode::RepeatedFailures,
            1041 => PlexCode::ManagedUserPinRequired,
            other => PlexCode::Unknown(other),
        }
    }

    /// Plex's number for the code.
    pub fn number(self) -> i64 {
        match self {
            PlexCode::BadCredentials => 1001,
            PlexCode::RateLimited => 1003,
            PlexCode::PinNotFound => 1020,
            PlexCode::TwoFactorRequired => 1029,
            PlexCode::RepeatedFailures => 1031,
            PlexCode::ManagedUserPinRequired => 1041,
            PlexCode::Unknown(number) => number,
        }
    }
}

/// The Plex error code of any error of this crate (and of `auth_core::Error`), when its response
/// body carried one.
pub trait VendorCode {
    /// The first error code of the body, JSON or XML.
    fn vendor_code(&self) -> Option<PlexCode>;
}

impl<E: ErrorMetadata + ?Sized> VendorCode for E {
    fn vendor_code(&self) -> Option<PlexCode> {
        match self.raw_body_json() {
            Some(json) => code_in_json(&json),
            None => code_in_xml(self.response_meta()?.raw_body_excerpt()),
        }
    }
}

/// The first error code of a JSON error body (`{"errors":[{"code":1029,...}]}`).
fn code_in_json(json: &serde_json::Value) -> Option<PlexCode> {
    let number = json.get("errors")?.get(0)?.get("code")?.as_i64()?;
    Some(PlexCode::from_number(number))
}

/// The first error code of an XML error body (`<error code="1029" .../>`).
fn code_in_xml(body: &[u8]) -> Option<PlexCode> {
    let text = std::str::from_utf8(body).ok()?;
    let start = text.find("code=\"")? + "code=\"".len();
    let end = start + text[start..].find('"')?;
    text[start..end]
        .trim()
        .parse()
        .ok()
        .map(PlexCode::from_number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_codes_from_json_and_xml_and_keeps_unknown_ones() {
        let json = serde_json::json!({"errors": [{"code": 1029, "status": 401}]});
        assert_eq!(code_in_json(&json), Some(PlexCode::TwoFactorRequired));
        let xml = br#"<errors><error code="1031" message="m" status="401"/></errors>"#;
        assert_eq!(code_in_xml(xml), Some(PlexCode::RepeatedFailures));
        let unknown = serde_json::json!({"errors": [{"code": 4242}]});
        assert_eq!(code_in_json(&unknown), Some(PlexCode::Unknown(4242)));
        assert_eq!(
            code_in_xml(b"<errors><error>Invalid token</error></errors>"),
            None
        );
        assert_eq!(code_in_xml(b""), None);
        for number in [1001, 1003, 1020, 1029, 1031, 1041, 7] {
            assert_eq!(PlexCode::from_number(number).number(), number);
        }
    }
}
