//! The application builds its own reqwest client beside ours, and uses it.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A plain HTTP server on 127.0.0.1 that answers every request with `ok`; its URL.
async fn local_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut request = [0u8; 2048];
            let _ = stream.read(&mut request).await;
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok")
                .await;
        }
    });
    url
}

#[tokio::test]
async fn the_applications_own_reqwest_keeps_working() {
    // Our clients first, as an application builds them at start-up.
    let emnify = emnify_auth::Client::new(emnify_auth::Credentials::None).unwrap();
    let dintero = dintero_auth::Client::new(dintero_auth::Credentials::None).unwrap();
    let plex = plex_auth::Client::new(&plex_auth::ClientIdentity::new("app-tls")).unwrap();
    let _ = (emnify, dintero, plex);

    // Then its own: this panicked when our crates turned on a provider-less rustls in reqwest.
    let own = reqwest::Client::new();
    let answer = own.get(local_server().await).send().await.unwrap();
    assert_eq!(answer.text().await.unwrap(), "ok");

    // Nothing of ours installed a rustls crypto provider for the whole process.
    #[cfg(any(feature = "ours-default", feature = "ours-all"))]
    assert!(rustls::crypto::CryptoProvider::get_default().is_none());
}
