//! emnify's error codes (`error_code` with its `error_token`), read from the body of any error.

use auth_core::ErrorMetadata;

/// An error code emnify puts in its error bodies
/// (`{"error_code": 1401, "error_token": "InvalidReference", "message": ...}`): every code of
/// emnify's published API documentation (`static/openapi/enterprise.yaml` of emnify/product-docs
/// at commit `7fa84f26af106978c638fcb37ee1bf5c491ea249`, its examples' `error_code` and
/// `error_token`).
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
    /// 1404 `OutOfRange`: a value is out of its range, for example an IP address outside the
    /// endpoint's range.
    OutOfRange,
    /// 1406 `NotAllowed`: the change is not allowed, for example a user status that cannot be set.
    NotAllowed,
    /// 1407 `CannotBeDeleted`: it is still in use and cannot be deleted, for example the last
    /// role of a user.
    CannotBeDeleted,
    /// 1601 `Unavailable`: nothing is available to assign, for example no free IP address.
    Unavailable,
    /// 1901 `UnknownSubscriber`: the network does not know the endpoint's subscriber.
    UnknownSubscriber,
    /// 1902 `InvalidLocation`: the subscriber has no valid location.
    InvalidLocation,
    /// 1903 `NoMsrnAvailable`: no roaming number (MSRN) is available for the MSISDN.
    NoMsrnAvailable,
    /// 1904 `UnknownLocation`: the endpoint's location is unknown.
    UnknownLocation,
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
            1404 => EmnifyCode::OutOfRange,
            1406 => EmnifyCode::NotAllowed,
            1407 => EmnifyCode::CannotBeDeleted,
            1601 => EmnifyCode::Unavailable,
            1901 => EmnifyCode::UnknownSubscriber,
            1902 => EmnifyCode::InvalidLocation,
            1903 => EmnifyCode::NoMsrnAvailable,
            1904 => EmnifyCode::UnknownLocation,
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
            EmnifyCode::OutOfRange => 1404,
            EmnifyCode::NotAllowed => 1406,
            EmnifyCode::CannotBeDeleted => 1407,
            EmnifyCode::Unavailable => 1601,
            EmnifyCode::UnknownSubscriber => 1901,
            EmnifyCode::InvalidLocation => 1902,
            EmnifyCode::NoMsrnAvailable => 1903,
            EmnifyCode::UnknownLocation => 1904,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_code_is_named_and_keeps_its_number() {
        let documented = [
            1000, 1002, 1400, 1401, 1403, 1404, 1405, 1406, 1407, 1601, 1901, 1902, 1903, 1904,
        ];
        for number in documented {
            let code = EmnifyCode::from_number(number);
            assert!(!matches!(code, EmnifyCode::Unknown(_)), "{number}");
            assert_eq!(code.number(), number);
        }
        assert_eq!(EmnifyCode::from_number(4242), EmnifyCode::Unknown(4242));
        assert_eq!(EmnifyCode::Unknown(4242).number(), 4242);
    }
}
