//! Helpers the generated code calls (through `__private`): path joining and response headers.

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
