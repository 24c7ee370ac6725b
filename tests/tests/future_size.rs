//! The futures of the operations stay small: a caller holds one per call in flight (boxed by a
//! spawn or a `FuturesUnordered`), and a request is held in it across awaits. Under 1 KiB a
//! boxed call stays among glibc's small allocations; past it, every call paid about 2,000
//! instructions of `malloc_consolidate` (benchmarks/instructions.sh, BENCHMARKS.md).

use auth_core::Credentials;
use workspace_tests::{dintero, emnify, plex};

/// The most an operation's future may take, leaving room for a task's header in 1 KiB. Today:
/// emnify `authenticate` 912 bytes, Dintero's token 944, Plex's token details 888 (before the
/// operation was held by a pointer in the request: 1,128, 1,184 and 1,112).
const LIMIT: usize = 960;

#[test]
fn operation_futures_stay_under_a_kilobyte() {
    let emnify = emnify("http://127.0.0.1:9", Credentials::None);
    let body = emnify_auth::models::ApplicationTokenAuthentication::new("app-token").into();
    let dintero = dintero("http://127.0.0.1:9", Credentials::basic("id", "secret"));
    let grant = dintero_auth::models::ClientCredentialsGrant::new("https://aud").into();
    let plex = plex("http://127.0.0.1:9", Credentials::api_key("token"));
    for (name, size) in [
        (
            "emnify authenticate",
            size_of_val(&emnify.authentication().authenticate(&body)),
        ),
        (
            "dintero token",
            size_of_val(
                &dintero
                    .authentication()
                    .aid_auths_oauth_token_post("T00000000", &grant),
            ),
        ),
        (
            "plex token details",
            size_of_val(&plex.authentication().get_token_details()),
        ),
    ] {
        assert!(
            size <= LIMIT,
            "{name}: a future of {size} bytes (limit {LIMIT})"
        );
    }
}
