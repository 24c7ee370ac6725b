//! `cargo bench -p benches --bench token`: the cost of asking a [`TokenSource`] for its cached,
//! fresh token (the path every authenticated call takes), beside the cache one would write by
//! hand: a `std::sync::RwLock` holding the token and its expiry, read, checked and cloned.

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use auth_core::{FetchFuture, Token, TokenSource};
use futures_util::FutureExt as _;

fn main() {
    divan::main();
}

/// Ours: the cached path must complete without waiting, so one poll is enough.
#[divan::bench]
fn ours(bencher: divan::Bencher) {
    let source = TokenSource::new(|| -> FetchFuture<'static> {
        Box::pin(async { Ok(Token::expiring_in("t", Duration::from_secs(3600))) })
    });
    // The cached path is what is measured: the token is in hand (refreshes need a runtime).
    source.seed(Token::expiring_in("t", Duration::from_secs(3600)));
    cached_token(&source);
    bencher.bench_local(|| cached_token(&source));
}

fn cached_token(source: &TokenSource) -> Arc<Token> {
    source
        .token()
        .now_or_never()
        .expect("a cached token is ready at once")
        .expect("the fetch succeeds")
}

/// The baseline: a hand-written cache of a token string and its expiry.
#[divan::bench]
fn baseline(bencher: divan::Bencher) {
    let cache: RwLock<Option<(Arc<str>, Instant)>> = RwLock::new(Some((
        Arc::from("t"),
        Instant::now() + Duration::from_secs(3600),
    )));
    let skew = Duration::from_secs(30);
    bencher.bench_local(|| {
        let guard = cache.read().unwrap_or_else(PoisonError::into_inner);
        guard
            .as_ref()
            .filter(|(_, expires_at)| Instant::now() + skew < *expires_at)
            .map(|(token, _)| Arc::clone(token))
            .expect("a fresh token")
    });
}
