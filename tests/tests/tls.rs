//! TLS as reqwest sets it up: a client trusts the CA it is given (besides the platform's roots),
//! talks HTTPS to a local server with a certificate of that CA, and installs no rustls crypto
//! provider for the whole process. The test CA and server certificate are in
//! `tests/fixtures/tls/` (made with openssl, valid for 100 years, for `localhost` and 127.0.0.1).

use std::sync::Arc;

use auth_core::{ApiErrorKind, Credentials, Error};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const CA: &[u8] = include_bytes!("../fixtures/tls/ca.der");
const CERT: &[u8] = include_bytes!("../fixtures/tls/server.der");
const KEY: &[u8] = include_bytes!("../fixtures/tls/server.key.der");

/// An HTTPS server on 127.0.0.1 answering every request with the MFA key types; its port.
async fn https_server() -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(CERT.to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(KEY.to_vec())),
        )
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(stream).await else {
                    return;
                };
                let mut request = vec![0; 4096];
                let mut read = 0;
                while !request[..read].windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut request[read..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => read += n,
                    }
                }
                let body = r#"[{"id":0,"description":"Time-Based One-Time Password"}]"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    port
}

fn client(port: u16, trust_test_ca: bool) -> emnify_auth::Client {
    let mut builder = emnify_auth::Client::builder()
        .server_url(
            emnify_auth::Server::Api,
            format!("https://localhost:{port}"),
        )
        .credentials(Credentials::bearer("token"))
        .retry(auth_core::RetryPolicy::disabled());
    if trust_test_ca {
        builder = builder.add_root_certificate(CA);
    }
    builder.build().unwrap()
}

#[tokio::test]
async fn https_with_a_ca_given_to_the_client_and_no_process_wide_provider() {
    let port = https_server().await;
    let types = client(port, true)
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap();
    assert_eq!(types.len(), 1);
    // The server installed nothing either: the client used the default provider without
    // installing it.
    assert!(
        rustls::crypto::CryptoProvider::get_default().is_none(),
        "no crypto provider is installed for the whole process"
    );
}

#[tokio::test]
async fn a_certificate_of_an_unknown_ca_is_refused() {
    let port = https_server().await;
    let error = client(port, false)
        .authentication()
        .user_mfa_type_get()
        .await
        .unwrap_err();
    assert!(
        matches!(error.kind(), ApiErrorKind::Other(Error::Transport(_))),
        "{error:?}"
    );
}
