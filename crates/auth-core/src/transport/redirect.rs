//! The redirect policy: follow redirects within the same origin only, so that credentials never
//! reach another host.

use url::Url;

/// The most redirects one request follows.
const MAX_REDIRECTS: usize = 10;

/// Whether a redirect from `previous` to `next` may be followed with the request's credentials:
/// the same origin (scheme, host and port), and no user-info in `next` (a URL that carries
/// credentials of its own is not where ours belong).
pub(crate) fn may_follow(previous: &Url, next: &Url) -> bool {
    previous.origin() == next.origin()
        && next.origin().is_tuple()
        && next.username().is_empty()
        && next.password().is_none()
}

/// Redirects are followed within the same origin only, so credentials never reach another
/// origin: a redirect elsewhere comes back to the caller as the 3xx it is.
pub(crate) fn same_origin_redirects() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let follow = attempt
            .previous()
            .last()
            .is_some_and(|previous| may_follow(previous, attempt.url()));
        if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if follow {
            attempt.follow()
        } else {
            attempt.stop()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_same_origin_without_user_info_is_followed() {
        let from = Url::parse("https://api.example.com/v1/a").unwrap();
        let follows = |to: &str| may_follow(&from, &Url::parse(to).unwrap());
        assert!(follows("https://api.example.com/v1/b"));
        assert!(follows("https://api.example.com:443/v2"));
        assert!(!follows("http://api.example.com/v1/b"), "scheme");
        assert!(!follows("https://api.example.com:8443/v1/b"), "port");
        assert!(!follows("https://example.com/v1/b"), "host");
        assert!(!follows("https://user@api.example.com/v1/b"), "user-info");
        assert!(!follows("https://:pw@api.example.com/v1/b"), "user-info");
        assert!(!follows("https://api.example.com@evil.example/"), "host");
        assert!(!follows("data:text/plain,x"), "opaque origin");
    }
}
