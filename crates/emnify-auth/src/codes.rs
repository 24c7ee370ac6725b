//! emnify's error codes (`error_code` with its `error_token`), read from the body of any error.

use auth_core::ErrorMetadata;

/// An error code emnify puts in its error bodies
/// (`{"error_code": 1401, "error_token": "InvalidReference", "message": ...}`).
///
/// ```
/// use emnify_auth::{EmnifyCode, VendorCode};
/// # fn check(error: emnify_auth::ApiError<emnify_auth::errors::PostMfaError>) {
/// if error.vendor_code() == Some(EmnifyCode::Duplicated) {
///     // the user has an active MFA key already
/// }
/// # }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EmnifyCode {
    /// 1000 `BadRequest`: a parameter could not be read.
    BadRequest,
    /// 1002 `Failed`: the request was refused, for example a wrong password.
    Failed,
    /// 1400 `InputValidationFailed`: the input did not validate, for example a wrong MFA code.
    InputValidationFailed,
    /// 1401 `InvalidReference`: a referenced entity does not exist.
    InvalidReference,
    /// 1403 `InvalidFormat`: a value is not in its format, for example an IP range that is not
    /// CIDR.
    InvalidFormat,
    /// 1405 `Duplicated`: it exists already, for example an active MFA key.
    Duplicated,
    /// A code this version does not know.
    Unknown(i64),
}

impl EmnifyCode {
    /// The code for emnify's `error_code`.
    pub fn from_number(number: i64) -> Self {
        match number {
            1000 => EmnifyCode::BadRequest,
            1002 => EmnifyCode::Failed,
            1400 => EmnifyCode::InputValidationFailed,
            1401 => EmnifyCode::InvalidReference,
            1403 => EmnifyCode::InvalidFormat,
            1405 => EmnifyCode::Duplicated,
            other => EmnifyCode::Unknown(other),
        }
    }

    /// emnify's `error_code` for the code.
    pub fn number(self) -> i64 {
        match self {
            EmnifyCode::BadRequest => 1000,
            EmnifyCode::Failed => 1002,
            EmnifyCode::InputValidationFailed => 1400,
            EmnifyCode::InvalidReference => 1401,
            EmnifyCode::InvalidFormat => 1403,
            EmnifyCode::Duplicated => 1405,
            EmnifyCode::Unknown(number) => number,
        }
    }
}

/// The emnify error code of any error of this crate (and of `auth_core::Error`), when its
/// response body carried one.
pub trait VendorCode {
    /// The body's `error_code`.
    fn vendor_code(&self) -> Option<EmnifyCode>;
}

impl<E: ErrorMetadata + ?Sized> VendorCode for E {
    fn vendor_code(&self) -> Option<EmnifyCode> {
        self.raw_body_json()?
            .get("error_code")?
            .as_i64()
            .map(EmnifyCode::from_number)
    }
}
