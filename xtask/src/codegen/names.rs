//! Rust names from spec names.

/// Splits `name` into lowercase words at separators and case changes:
/// `adsConsentSetAt` → ads, consent, set, at; `X-Plex-Token` → x, plex, token; `HTTPServer` → http, server.
pub fn words(name: &str) -> Vec<String> {
    // Mixed-case acronyms and brand names that the case rule would cut in two (`IPv6` → i,
    // pv6; `OAuth2` → o, auth2).
    let mut name = name.to_owned();
    for (mixed, whole) in [
        ("IPv4", "Ipv4"),
        ("IPv6", "Ipv6"),
        ("OAuth", "Oauth"),
        ("OpenID", "Openid"),
        ("OpenId", "Openid"),
        ("GraphQL", "Graphql"),
        ("WebAuthn", "Webauthn"),
        ("macOS", "Macos"),
        ("iOS", "Ios"),
    ] {
        name = name.replace(mixed, whole);
    }
    let chars: Vec<char> = name.chars().collect();
    let mut words = Vec::new();
    let mut word = String::new();
    for (index, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let previous = index.checked_sub(1).map(|i| chars[i]);
        let next = chars.get(index + 1).copied();
        // An acronym's plural stays one word: `IDs`, `URLs`, `JWKs` (an `s` that ends the word).
        let plural = next == Some('s')
            && chars
                .get(index + 2)
                .is_none_or(|after| !after.is_ascii_lowercase());
        let boundary = c.is_ascii_uppercase()
            && previous.is_some_and(|p| {
                p.is_ascii_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_ascii_uppercase()
                        && !plural
                        && next.is_some_and(|n| n.is_ascii_lowercase()))
            });
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// `snake_case`.
pub fn snake(name: &str) -> String {
    words(name).join("_")
}

/// `PascalCase`.
pub fn pascal(name: &str) -> String {
    words(name)
        .iter()
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Whether `name` must be written as a raw identifier.
pub fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "gen"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "Self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "try"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_cases() {
        assert_eq!(snake("UserMfaByIdPatch"), "user_mfa_by_id_patch");
        assert_eq!(snake("post-users-sign-in-data"), "post_users_sign_in_data");
        assert_eq!(snake("getTransientToken"), "get_transient_token");
        assert_eq!(snake("MediaContainer"), "media_container");
        assert_eq!(snake("X-Plex-Token"), "x_plex_token");
        assert_eq!(snake("HTTPServer2Go"), "http_server2_go");
        assert_eq!(snake("includeIPv6"), "include_ipv6");
        assert_eq!(snake("IPv6"), "ipv6");
        assert_eq!(pascal("user_id"), "UserId");
        assert_eq!(pascal("client_credentials"), "ClientCredentials");
        assert_eq!(pascal("Bearer"), "Bearer");
        assert_eq!(snake("OAuth2"), "oauth2");
        assert_eq!(snake("getOAuth2Client"), "get_oauth2_client");
        assert_eq!(snake("OpenIDConnect"), "openid_connect");
        assert_eq!(snake("userIDs"), "user_ids");
        assert_eq!(snake("listJWKs"), "list_jwks");
        assert_eq!(snake("URLsAndIDs"), "urls_and_ids");
        assert_eq!(snake("HTTPSession"), "http_session");
    }
}
