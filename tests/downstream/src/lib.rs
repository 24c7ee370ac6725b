//! A user's code, as it would sit in a service: it counts emnify endpoints, opens a Dintero
//! checkout, and lists Plex libraries, each with a client it is given.

use serde::Deserialize;

/// How many endpoints the emnify account has.
pub async fn emnify_endpoint_count(
    client: &emnify_auth::Client,
) -> Result<usize, emnify_auth::RequestError> {
    let endpoints: Vec<serde::de::IgnoredAny> = client
        .request(emnify_auth::Method::GET, "/api/v1/endpoint")
        .send()
        .await?
        .json()?;
    Ok(endpoints.len())
}

/// The URL to send a customer to for an order of `amount` NOK (in øre).
pub async fn dintero_checkout_url(
    client: &dintero_auth::Client,
    amount: u64,
) -> Result<String, dintero_auth::RequestError> {
    #[derive(Deserialize)]
    struct Session {
        url: String,
    }
    let order = serde_json::json!({
        "order": {"amount": amount, "currency": "NOK"},
        "profile_id": "default",
    });
    let session: Session = client
        .request_to(
            dintero_auth::Server::Checkout,
            dintero_auth::Method::POST,
            "/sessions-profile",
        )
        .json(&order)
        .send()
        .await?
        .json()?;
    Ok(session.url)
}

/// The titles of the media server's libraries.
pub async fn plex_library_titles(
    client: &plex_auth::Client,
) -> Result<Vec<String>, plex_auth::RequestError> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "MediaContainer")]
        container: Container,
    }
    #[derive(Deserialize)]
    struct Container {
        #[serde(rename = "Directory", default)]
        directories: Vec<Library>,
    }
    #[derive(Deserialize)]
    struct Library {
        title: String,
    }
    let answer: Answer = client
        .request(plex_auth::Method::GET, "/library/sections")
        .header("Accept", "application/json")
        .send()
        .await?
        .json()?;
    Ok(answer
        .container
        .directories
        .into_iter()
        .map(|l| l.title)
        .collect())
}
