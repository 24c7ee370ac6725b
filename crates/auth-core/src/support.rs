//! Helpers the generated code calls (through `__private`): path joining, response headers and
//! parameters sent as JSON text.

/// Joins the pieces of a path in one allocation of the exact size (cheaper than `format!`, which
/// the generated operations would otherwise call on every request).
pub fn concat(pieces: &[&str]) -> String {
    let mut joined = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for piece in pieces {
        joined.push_str(piece);
    }
    joined
}

/// The value of the response header `name`, parsed; `None` when it is absent, not text, or does
/// not parse as `T` (a documented header that is missing or malformed never fails the call).
pub fn header_value<T: std::str::FromStr>(
    headers: &reqwest::header::HeaderMap,
    name: &str,
) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `value` as JSON text: a parameter whose spec sends an object (or any value) as JSON.
pub fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, crate::Error> {
    serde_json::to_string(value)
        .map_err(|err| crate::Error::InvalidRequest(format!("cannot encode a parameter: {err}")))
}
