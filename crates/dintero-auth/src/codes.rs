//! Dintero's error codes (`error.code`), read from the body of any error.

use auth_core::ErrorMetadata;

/// An error code Dintero puts in its error bodies (`{"error": {"code": "mfa_required", ...}}`).
///
/// ```
/// use dintero_auth::{DinteroCode, VendorCode};
/// # fn check(error: dintero_auth::LoginError) {
/// if error.vendor_code() == Some(DinteroCode::MfaRequired) {
///     // answer the MFA challenge (`Client::request_token` does this as an outcome)
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DinteroCode {
    /// `mfa_required`: the user has MFA; answer a challenge with the `mfa_token`.
    MfaRequired,
    /// A code this version does not know.
    Unknown(String),
}

impl DinteroCode {
    /// The code for Dintero's string.
    pub fn from_code(code: &str) -> Self {
        match code {
            "mfa_required" => DinteroCode::MfaRequired,
            other => DinteroCode::Unknown(other.to_owned()),
        }
    }

    /// Dintero's string for the code.
    pub fn as_str(&self) -> &str {
        match self {
            DinteroCode::MfaRequired => "mfa_required",
            DinteroCode::Unknown(code) => code,
        }
    }
}

/// The Dintero error code of any error of this crate (and of `auth_core::Error`), when its
/// response body carried one.
pub trait VendorCode {
    /// The body's `error.code`.
    fn vendor_code(&self) -> Option<DinteroCode>;
}

impl<E: ErrorMetadata + ?Sized> VendorCode for E {
    fn vendor_code(&self) -> Option<DinteroCode> {
        self.raw_body_json()?
            .get("error")?
            .get("code")?
            .as_str()
            .map(DinteroCode::from_code)
    }
}
