//! Masks secrets in text that is shown to people: excerpts of response bodies (in `Debug` of
//! errors) and URLs (in configuration errors and `Debug`).
//!
//! A body excerpt loses the values of fields that hold secrets (`password`, `*token*`,
//! `*secret*`, ... as `"key": "value"`, `key=value` or `key: value`), anything shaped like a JWT,
//! and every occurrence of a credential the client holds; it is cut to [`SHOWN_EXCERPT_CHARS`]
//! characters. Whether a field holds a secret is read from its whole name: `error_token` (an
//! error's code), `token_type` and `expires_in`-like names hold none, so their values stay
//! readable, and so do `true`, `false` and `null`.

use url::Url;

use crate::secret::REDACTED;

/// How many characters of a masked body excerpt `Debug` shows.
pub(crate) const SHOWN_EXCERPT_CHARS: usize = 256;

/// Parts of a field name that mark its value as a secret (compared in lower case).
const SECRET_KEY_PARTS: &[&str] = &[
    "password",
    "passwd",
    "token",
    "secret",
    "authorization",
    "cookie",
    "otpauth",
    "api_key",
    "apikey",
    "oob_code",
    "binding_code",
];

/// `url` without its user-info, query and fragment, for messages and `Debug`.
pub(crate) fn url(url: &str) -> String {
    if let Ok(mut parsed) = Url::parse(url).and_then(|parsed| {
        // `user:pass@host` parses too, as scheme `user` and no host: not what it means.
        if parsed.has_host() {
            Ok(parsed)
        } else {
            Err(url::ParseError::EmptyHost)
        }
    }) {
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        parsed.set_query(None);
        parsed.set_fragment(None);
        return parsed.into();
    }
    // Not a URL: keep what is before any query or fragment, and drop what could be user-info.
    let end = url.find(['?', '#']).unwrap_or(url.len());
    let url = &url[..end];
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}{REDACTED}@{}", &url[..scheme_end + 3], &url[at + 1..])
        }
        (None, Some(at)) => format!("{REDACTED}@{}", &url[at + 1..]),
        _ => url.to_owned(),
    }
}

/// The start of `body` as text for people: secrets masked (`held` are the credentials the client
/// holds), cut to [`SHOWN_EXCERPT_CHARS`] characters. `truncated` says `body` is only the start
/// of a longer body, whose last word may be the first part of a secret: it is dropped.
pub(crate) fn excerpt(body: &[u8], truncated: bool, held: &[String]) -> String {
    let mut text = String::from_utf8_lossy(body).into_owned();
    if truncated {
        let kept = text.trim_end_matches(|c: char| !is_value_end(c)).len();
        text.truncate(kept);
    }
    for value in held.iter().filter(|value| value.len() >= 4) {
        if text.contains(value.as_str()) {
            text = text.replace(value.as_str(), REDACTED);
        }
    }
    let masked = mask_jwts(&mask_keyed_values(&text));
    let mut shown: String = masked.chars().take(SHOWN_EXCERPT_CHARS).collect();
    if truncated || shown.len() < masked.len() {
        shown.push('…');
    }
    shown
}

/// The values of the secret fields of a request body we sent (JSON or a form), and of `code` (a
/// one-time code): the values a vendor may echo back in prose.
pub(crate) fn secret_fields(body: &[u8]) -> Vec<String> {
    let secret = |key: &str| is_secret_key(key) || key == "code";
    let mut found = Vec::new();
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        collect_secret_strings(&value, &secret, &mut found);
    } else {
        for (key, value) in url::form_urlencoded::parse(body) {
            if secret(&key) {
                found.push(value.into_owned());
            }
        }
    }
    found
}

fn collect_secret_strings(
    value: &serde_json::Value,
    secret: &dyn Fn(&str) -> bool,
    found: &mut Vec<String>,
) {
    match value {
        serde_json::Value::Object(fields) => {
            for (key, value) in fields {
                match value {
                    serde_json::Value::String(text) if secret(key) => found.push(text.clone()),
                    _ => collect_secret_strings(value, secret, found),
                }
            }
        }
        serde_json::Value::Array(items) => {
            for item in items {
                collect_secret_strings(item, secret, found);
            }
        }
        _ => {}
    }
}

fn is_key_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'-' | b'.')
}

fn is_value_end(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '&' | ';' | '}' | ']' | '"' | '\'' | '<' | '>')
}

/// Whether the field `key` holds a secret: its name has a secret's part, and does not say it
/// holds something about one instead (its kind, an error's code, an expiry).
fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let describes = key.ends_with("type") || key.starts_with("error") || key.contains("expire");
    !describes && SECRET_KEY_PARTS.iter().any(|part| key.contains(part))
}

/// Replaces the values of secret-named fields: `"key": "value"`, `key=value`, `key: value`.
fn mask_keyed_values(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        // Copy up to the next field name (names are ASCII, so these are char boundaries).
        let start = i;
        while i < bytes.len() && !(is_key_byte(bytes[i]) && (i == 0 || !is_key_byte(bytes[i - 1])))
        {
            i += 1;
        }
        out.push_str(&text[start..i]);
        if i >= bytes.len() {
            break;
        }
        let key_start = i;
        while i < bytes.len() && is_key_byte(bytes[i]) {
            i += 1;
        }
        out.push_str(&text[key_start..i]);
        if !is_secret_key(&text[key_start..i]) {
            continue;
        }
        // An optional closing quote, blanks, then `:` or `=`, blanks.
        let mut j = i;
        if j < bytes.len() && matches!(bytes[j], b'"' | b'\'') {
            j += 1;
        }
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        if j >= bytes.len() || !matches!(bytes[j], b':' | b'=') {
            continue;
        }
        j += 1;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t') {
            j += 1;
        }
        out.push_str(&text[i..j]);
        i = j;
        match bytes.get(i) {
            Some(&quote @ (b'"' | b'\'')) => {
                out.push(char::from(quote));
                let mut k = i + 1;
                while k < bytes.len() && bytes[k] != quote {
                    k += if bytes[k] == b'\\' { 2 } else { 1 };
                }
                out.push_str(REDACTED);
                // The closing quote, if any, is copied by the next round.
                i = k.min(bytes.len());
            }
            Some(b'{' | b'[') | None => {}
            Some(_)
                if ["null", "true", "false"]
                    .iter()
                    .any(|word| text[i..].starts_with(word)) => {}
            Some(_) => {
                let end = text[i..].find(is_value_end).map_or(text.len(), |n| i + n);
                out.push_str(REDACTED);
                i = end;
            }
        }
    }
    out
}

/// Replaces anything shaped like a JWT (`eyJ` followed by base64url parts joined by dots).
fn mask_jwts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("eyJ") {
        out.push_str(&rest[..start]);
        let jwt = &rest[start..];
        let end = jwt
            .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
            .unwrap_or(jwt.len());
        out.push_str(REDACTED);
        rest = &jwt[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_user_info_query_and_fragment() {
        assert_eq!(
            url("https://user:p4ss@api.example.com/v1?key=s3cret#frag"),
            "https://api.example.com/v1"
        );
        let odd = url("ht!tp://user:p4ss@host/x?key=s3cret");
        assert!(!odd.contains("p4ss") && !odd.contains("s3cret"), "{odd}");
        assert_eq!(url("user:p4ss@host"), "[REDACTED]@host");
    }

    #[test]
    fn secret_fields_are_masked_in_json_forms_and_prose() {
        let shown = excerpt(
            br#"{"error":"bad","password":"hunter2","authToken": "abc\"def","token_type":"Bearer","n":{"client_secret":42}}"#,
            false,
            &[],
        );
        for secret in ["hunter2", "abc", "def", "42"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains(r#""error":"bad""#), "{shown}");
        let form = excerpt(
            b"grant_type=password&password=hunter2&refresh_token=r1",
            false,
            &[],
        );
        assert_eq!(
            form,
            "grant_type=password&password=[REDACTED]&refresh_token=[REDACTED]"
        );
        let prose = excerpt(b"<p>Invalid X-Plex-Token: abc123</p>", false, &[]);
        assert_eq!(prose, "<p>Invalid X-Plex-Token: [REDACTED]</p>");
    }

    #[test]
    fn fields_about_a_secret_stay_readable() {
        let shown = excerpt(
            br#"{"error_code":1101,"error_token":"InvalidCredentials","token_type":"Bearer","tokenExpiresAt":1,"has_password":true,"password":"hunter2","refresh_token":null}"#,
            false,
            &[],
        );
        for readable in [
            "InvalidCredentials",
            r#""token_type":"Bearer""#,
            r#""tokenExpiresAt":1"#,
            r#""has_password":true"#,
            r#""refresh_token":null"#,
        ] {
            assert!(shown.contains(readable), "{readable} in {shown}");
        }
        assert!(!shown.contains("hunter2"), "{shown}");
    }

    #[test]
    fn held_credentials_and_jwts_are_masked_anywhere() {
        let shown = excerpt(
            b"{\"message\":\"key k3y-value rejected, token eyJhbGciOi.eyJzdWIi.c2ln expired\"}",
            false,
            &["k3y-value".to_owned()],
        );
        assert_eq!(
            shown,
            "{\"message\":\"key [REDACTED] rejected, token [REDACTED] expired\"}"
        );
    }

    #[test]
    fn the_secret_fields_of_a_request_body_are_found() {
        let json = br#"{"username":"u","password":"p4ss","nested":{"refresh_token":"r3fresh"},"code":"123456","n":[{"client_secret":"s3c"}]}"#;
        let mut found = secret_fields(json);
        found.sort();
        assert_eq!(found, ["123456", "p4ss", "r3fresh", "s3c"]);
        let form = b"grant_type=password&username=u&password=p%40ss";
        assert_eq!(secret_fields(form), ["p@ss"]);
        assert!(secret_fields(b"").is_empty());
    }

    #[test]
    fn excerpts_are_bounded_and_a_cut_secret_is_dropped() {
        let long = "x".repeat(10_000);
        assert_eq!(
            excerpt(long.as_bytes(), false, &[]).chars().count(),
            SHOWN_EXCERPT_CHARS + 1
        );
        // The body was cut in the middle of a held secret: its first half must not show.
        let shown = excerpt(
            b"{\"note\": \"the key is abcd",
            true,
            &["abcdefgh".to_owned()],
        );
        assert!(!shown.contains("abcd"), "{shown}");
    }

    #[test]
    fn masking_never_panics_on_odd_text() {
        for text in [
            "token",
            "token=",
            "token:\"",
            "password: \"\\",
            "é token: ü",
            "eyJ",
            "\u{FFFD}token=é",
        ] {
            let _ = excerpt(text.as_bytes(), true, &["ü".to_owned()]);
            let _ = excerpt(text.as_bytes(), false, &[]);
        }
    }
}
