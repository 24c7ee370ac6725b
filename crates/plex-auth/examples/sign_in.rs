//! Signs in to plex.tv and reads the account behind the token.
//!
//! Against Plex: `PLEX_LOGIN=… PLEX_PASSWORD=… cargo run -p plex-auth --example sign_in` (with
//! `PLEX_2FA_CODE` when the account has two-factor authentication; `PLEX_TV_BASE_URL` points it
//! at another server). Without them it starts a local stand-in of plex.tv and runs against that.

use httpmock::prelude::*;
use plex_auth::{ClientIdentity, LoggedIn, LoginOutcome, Secret, Server};
use serde_json::json;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stand_in;
    let (base_url, login, password) =
        match (std::env::var("PLEX_LOGIN"), std::env::var("PLEX_PASSWORD")) {
            (Ok(login), Ok(password)) => (std::env::var("PLEX_TV_BASE_URL").ok(), login, password),
            _ => {
                stand_in = local_stand_in().await;
                println!(
                    "no PLEX_LOGIN/PLEX_PASSWORD: using a local stand-in at {}",
                    stand_in.base_url()
                );
                (
                    Some(format!("{}/api/v2", stand_in.base_url())),
                    "user@example.org".to_owned(),
                    "example-password".to_owned(),
                )
            }
        };
    let identity = ClientIdentity::new("plex-auth-example")
        .product("plex-auth example")
        .version("1.0");
    let mut builder = identity.builder();
    if let Some(url) = base_url {
        builder = builder.server_url(Server::PlexTv, url);
    }
    let client = builder.build()?;

    let LoggedIn {
        client, account, ..
    } = match client.login(&login, Secret::new(password)).await? {
        LoginOutcome::LoggedIn(logged_in) => *logged_in,
        LoginOutcome::MfaRequired(pending) => {
            // The account has two-factor authentication: Plex asked for the current code.
            let code = std::env::var("PLEX_2FA_CODE")
                .map_err(|_| "the account needs a two-factor code: set PLEX_2FA_CODE")?;
            pending.complete(&code).await?
        }
        _ => return Err("a login outcome this example does not know".into()),
    };
    println!("signed in as {} (account {})", account.username, account.id);
    let details = client.authentication().get_token_details().await?;
    println!("the token belongs to {} <{}>", details.title, details.email);
    Ok(())
}

async fn local_stand_in() -> MockServer {
    let account = json!({
        "adsConsent": null, "adsConsentReminderAt": null, "adsConsentSetAt": null, "anonymous": false,
        "authToken": "example-token", "backupCodesCreated": false, "confirmed": true, "country": "NO",
        "email": "user@example.org", "emailOnlyAuth": false, "experimentalFeatures": false,
        "friendlyName": "Example", "entitlements": [], "guest": false, "hasPassword": true,
        "home": false, "homeAdmin": false, "homeSize": 1, "id": 4242, "joinedAt": 1556281940,
        "locale": null, "mailingListActive": false, "mailingListStatus": "active", "maxHomeSize": 15,
        "profile": {"autoSelectAudio": true, "defaultAudioLanguage": null, "defaultSubtitleLanguage": null,
                    "autoSelectSubtitle": 0, "defaultSubtitleAccessibility": 0, "defaultSubtitleForced": 0,
                    "watchedIndicator": 1, "mediaReviewsVisibility": 0},
        "protected": false, "rememberExpiresAt": 1893456000, "restricted": false, "scrobbleTypes": "",
        "services": [], "subscription": {"active": false, "status": "Inactive"},
        "subscriptionDescription": null, "thumb": "https://plex.tv/users/example/avatar",
        "title": "example", "twoFactorEnabled": false, "username": "example", "uuid": "e8a4p1e",
        "attributionPartner": null
    });
    let mut signed_in = account.clone();
    signed_in["pastSubscriptions"] = json!([]);
    signed_in["trials"] = json!([]);
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v2/users/signin")
                .header("x-plex-client-identifier", "plex-auth-example");
            then.status(201).json_body(signed_in);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v2/user")
                .header("x-plex-token", "example-token");
            then.status(200).json_body(account);
        })
        .await;
    server
}
