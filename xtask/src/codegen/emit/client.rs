//! The generated `client.rs`: the vendor's `Client`, its accessors, token and request helpers.

use super::*;

pub(super) fn emit_client(api: &Api) -> TokenStream {
    let about = inner_doc(&format!("The client of the {} spec.", api.title));
    let docs = doc(&format!(
        "A client of the {}: a configured [`auth_core::Client`] with an accessor per operation \
         group.\n\nCloning is cheap and shares the connection pool.",
        api.title
    ));
    let accessors = api.groups.iter().map(|group| {
        let accessor = ident(&group.accessor);
        let name = ident(&group.struct_name);
        let docs = doc(&format!("The operations tagged `{}`.", group.tag));
        quote! {
            #docs
            pub fn #accessor(&self) -> operations::#name<'_> {
                operations::#name::new(&self.core)
            }
        }
    });
    let builder_docs = if api.client_headers.is_empty() {
        doc(
            "A builder of this client, with this crate's user agent. Send requests elsewhere \
             than the spec's servers with `.server_url(Server::.., url)`.",
        )
    } else {
        doc(&format!(
            "A builder of this client, with this crate's user agent. Every request needs the \
             headers {}: set them with `.header(name, value)`. Send requests elsewhere than the \
             spec's servers with `.server_url(Server::.., url)`.",
            api.client_headers
                .iter()
                .map(|h| format!("`{h}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    // A client without the headers every request needs would only get errors back.
    let new = api.client_headers.is_empty().then(|| {
        quote! {
            /// A client of the spec's servers with default settings.
            pub fn new(credentials: auth_core::Credentials) -> Result<Self, auth_core::Error> {
                Self::builder().credentials(credentials).build()
            }
        }
    });
    // How a token the user holds is sent: as a bearer token, or as the spec's API-key header.
    // Every scheme operations accept, those required together included.
    fn flatten<'s>(scheme: &'s Security, into: &mut Vec<&'s Security>) {
        match scheme {
            Security::All(all) => all.iter().for_each(|s| flatten(s, into)),
            other => into.push(other),
        }
    }
    let mut schemes: Vec<&Security> = Vec::new();
    for scheme in api
        .groups
        .iter()
        .flat_map(|group| &group.operations)
        .flat_map(|operation| &operation.security)
    {
        flatten(scheme, &mut schemes);
    }
    let bearer = schemes.iter().any(|s| matches!(s, Security::Bearer));
    // The API key's scheme, and how the docs say where it goes.
    let api_key = schemes.iter().find_map(|s| match s {
        Security::ApiKeyHeader(name) => Some(((*s).clone(), format!("`{name}`"))),
        Security::ApiKeyQuery(name) => {
            Some(((*s).clone(), format!("the query parameter `{name}`")))
        }
        Security::ApiKeyCookie(name) => Some(((*s).clone(), format!("the cookie `{name}`"))),
        Security::HttpScheme(name) => Some(((*s).clone(), format!("`Authorization: {name}`"))),
        _ => None,
    });
    let with_token = if bearer {
        Some(quote! {
            /// The same client (sharing its connection pool) sending `token` as a bearer token.
            pub fn with_token(&self, token: impl Into<auth_core::Secret>) -> Self {
                self.with_credentials(auth_core::Credentials::Bearer(token.into()))
            }

            /// The same client sending bearer tokens from `provider`: fetched when a call first
            /// needs one, refreshed before they expire (and after a 401), one refresh for all
            /// concurrent calls, paced by the client's `TokenPolicy`.
            pub fn with_token_provider(
                &self,
                provider: impl auth_core::TokenProvider + 'static,
            ) -> Self {
                Self::from(self.core.with_token_provider(provider))
            }

            /// The bearer token calls send now, fetched or refreshed when needed: for handing it
            /// to another library (the operations send it themselves).
            pub async fn bearer_token(&self) -> Result<auth_core::Secret, auth_core::Error> {
                self.core.bearer_token().await
            }

            /// The token calls send now, as [`bearer_token`](Self::bearer_token) gives it, with
            /// its refresh token and what is left of its lifetime: for keeping the session a
            /// login started (`auth_core::StoredToken::of`).
            pub async fn token(
                &self,
            ) -> Result<std::sync::Arc<auth_core::Token>, auth_core::Error> {
                self.core.token().await
            }
        })
    } else {
        api_key.as_ref().map(|(_, place)| {
            let docs = doc(&format!(
                "The same client (sharing its connection pool) sending `token` in {place}."
            ));
            let provider_docs = doc(&format!(
                "The same client sending tokens from `provider` in {place}: fetched when a \
                 call first needs one, refreshed before they expire (and after a 401), one \
                 refresh for all concurrent calls, paced by the client's `TokenPolicy`."
            ));
            quote! {
                #docs
                pub fn with_token(&self, token: impl Into<auth_core::Secret>) -> Self {
                    self.with_credentials(auth_core::Credentials::ApiKey(token.into()))
                }

                #provider_docs
                pub fn with_token_provider(
                    &self,
                    provider: impl auth_core::TokenProvider + 'static,
                ) -> Self {
                    Self::from(auth_core::__private::api_key_provider(&self.core, provider))
                }
            }
        })
    };
    // Any other endpoint of the API takes the token the same way.
    let request_security = if bearer {
        Some(quote!(auth_core::__private::Security::Bearer))
    } else {
        api_key
            .as_ref()
            .map(|(scheme, _)| super::operations::security_tokens(scheme))
    };
    let request_any = api.request_server.as_ref().map(|variant| {
        let server = ident(variant);
        let docs = doc(&format!(
            concat!(
                "A request to any endpoint of the vendor's API (not only the operations of this ",
                "spec), at `path` (with its leading `/`) on [`Server::{variant}`](super::Server::{variant}): ",
                "the client's base URL, credentials and default headers applied, sent with its ",
                "token refresh (and one replay after a 401), retries and timeouts. Read the answer ",
                "with `.send().await?.json::<T>()`.",
            ),
            variant = variant,
        ));
        quote! {
            #docs
            pub fn request(&self, method: auth_core::Method, path: &str) -> auth_core::AuthorizedRequest {
                self.request_to(super::Server::#server, method, path)
            }
        }
    });
    let request_to_docs = if api.request_server.is_some() {
        doc("As [`Client::request`], to `server`.")
    } else {
        doc(
            "A request to any endpoint of the vendor's API (not only the operations of this \
             spec), at `path` (with its leading `/`) on `server`: the client's base URL, \
             credentials and default headers applied, sent with its token refresh (and one \
             replay after a 401), retries and timeouts. Read the answer with \
             `.send().await?.json::<T>()`.",
        )
    };
    // Servers always exist (a spec without any has `Server::Default` at `/`).
    let request = quote! {
            #request_any

            #request_to_docs
            pub fn request_to(
                &self,
                server: super::Server,
                method: auth_core::Method,
                path: &str,
            ) -> auth_core::AuthorizedRequest {
                auth_core::__private::request(&self.core, &API, server.spec_url(), method, path)
            }

            /// A [`reqwest-middleware`](https://docs.rs/reqwest-middleware) middleware that puts
            /// this client's token on requests to the API's servers (never on requests to other
            /// hosts), refreshed as this client refreshes it, and sends a request once more after
            /// a 401 (feature `middleware`).
            #[cfg(feature = "middleware")]
            pub fn token_middleware(&self) -> auth_core::TokenMiddleware {
                auth_core::__private::token_middleware(&self.core, &API)
            }
    };
    let name = &api.name;
    let security = request_security.iter();
    let servers = api.servers.iter().map(|server| {
        let variant = ident(&server.variant);
        quote!(super::Server::#variant.spec_url())
    });
    // The builder names every server of the spec, so that their URLs are parsed once.
    let spec_servers = api.servers.iter().map(|server| {
        let variant = ident(&server.variant);
        quote!(super::Server::#variant)
    });
    let api_static = quote! {
        /// What requests to any endpoint, and the token middleware, need to know of the API.
        static API: auth_core::__private::Api = auth_core::__private::Api {
            name: #name,
            security: &[#(#security),*],
            servers: &[#(#servers),*],
        };
    };
    let operations = (!api.groups.is_empty()).then(|| {
        quote!(
            use super::operations;
        )
    });
    quote! {
        #about
        #operations

        #docs
        #[derive(Clone, Debug)]
        pub struct Client {
            core: auth_core::Client,
        }

        impl Client {
            #builder_docs
            pub fn builder() -> auth_core::ClientBuilder<Self> {
                auth_core::ClientBuilder::default()
                    .user_agent(concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")))
                    .spec_servers([#(#spec_servers),*])
            }

            #new

            /// The same client (sharing its connection pool) with other credentials.
            pub fn with_credentials(&self, credentials: auth_core::Credentials) -> Self {
                Self::from(self.core.with_credentials(credentials))
            }

            #with_token

            #request

            /// The same client with another retry policy (for one call:
            /// `client.with_retry(policy).group().operation(..)`).
            pub fn with_retry(&self, retry: auth_core::RetryPolicy) -> Self {
                Self::from(self.core.with_retry(retry))
            }

            /// The same client with other attempt and total timeouts.
            pub fn with_timeouts(&self, timeouts: auth_core::Timeouts) -> Self {
                Self::from(self.core.with_timeouts(timeouts))
            }

            /// The underlying transport.
            pub fn core(&self) -> &auth_core::Client {
                &self.core
            }

            #(#accessors)*
        }

        impl From<auth_core::Client> for Client {
            fn from(core: auth_core::Client) -> Self {
                Self { core }
            }
        }

        #api_static
    }
}
