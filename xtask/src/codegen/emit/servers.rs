//! The generated `mod.rs`: the module's docs, its submodules, and the `Server` enum with the
//! URL makers of templated servers.

use super::*;

/// `Server::<name>_url(variables..)`: the URL of a templated server with its variables filled in.
pub(super) fn emit_url_maker(server: &Server) -> TokenStream {
    let name = format_ident!("{}_url", names::snake(&server.variant));
    let mut lines = vec![format!(
        "The URL of [`Server::{}`] (`{}`) with its variables filled in, for \
         `.server_url(Server::{}, url)`.\n",
        server.variant, server.url, server.variant
    )];
    for variable in &server.variables {
        let mut line = format!("- `{}`:", variable.rust);
        if let Some(description) = &variable.description {
            line.push_str(&format!(" {}", description.trim_end_matches('.')));
            line.push('.');
        }
        if !variable.default.is_empty() {
            line.push_str(&format!(" The spec's default: `{}`.", variable.default));
        }
        lines.push(line);
    }
    let docs = doc(&lines.join("\n"));
    let params = server.variables.iter().map(|variable| {
        let rust = ident(&variable.rust);
        match &variable.ty {
            Ty::Named(model) => {
                let model = ident(model);
                quote!(#rust: &models::#model)
            }
            _ => quote!(#rust: &str),
        }
    });
    let pieces = template_pieces(&server.url, |wire| {
        let variable = server.variables.iter().find(|v| v.wire == wire)?;
        let rust = ident(&variable.rust);
        Some(match variable.ty {
            Ty::Named(_) => quote!(#rust.as_str()),
            _ => quote!(#rust),
        })
    });
    quote! {
        #docs
        pub fn #name(#(#params),*) -> String {
            auth_core::__private::concat(&[#(#pieces),*])
        }
    }
}

pub(super) fn emit_mod(api: &Api) -> TokenStream {
    let mut about = format!(
        "Code generated from the {} spec: models, operations and their errors.",
        api.title
    );
    if let Some(description) = &api.description {
        about.push_str(&format!("\n\n{description}"));
    }
    let about = inner_doc(&about);
    let variants = api.servers.iter().map(|server| {
        let name = ident(&server.variant);
        let url = &server.url;
        let text = match &server.description {
            Some(description) if description.ends_with('.') => format!("`{url}`: {description}"),
            Some(description) => format!("`{url}`: {description}."),
            None => format!("`{url}`."),
        };
        let text = if url.contains('{') {
            format!(
                "{text} It has no fixed URL: give it with `.server_url(Server::{variant}, url)`, \
                 made with `Server::{}_url(..)`.",
                names::snake(&server.variant),
                variant = server.variant
            )
        } else if !url.contains("://") {
            format!(
                "{text} The URL is relative to where the spec is served: give the full URL with \
                 `.server_url(Server::{}, url)`.",
                server.variant
            )
        } else {
            text
        };
        let docs = doc(&text);
        quote! {
            #docs
            #name,
        }
    });
    let urls = api.servers.iter().map(|server| {
        let name = ident(&server.variant);
        let url = &server.url;
        quote!(Server::#name => #url,)
    });
    let url_makers = api
        .servers
        .iter()
        .filter(|server| !server.variables.is_empty())
        .map(emit_url_maker);
    let server_docs = doc(&format!(
        "The servers of the {}. Requests go to the URL the spec gives unless the builder sends \
         them elsewhere with `.server_url(Server::.., url)`.",
        api.title
    ));
    let servers = quote! {
        #server_docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum Server {
            #(#variants)*
        }

        impl Server {
            /// The server's URL as the spec gives it (a template when it has variables).
            pub const fn spec_url(self) -> &'static str {
                match self {
                    #(#urls)*
                }
            }

            #(#url_makers)*
        }

        impl auth_core::SpecServer for Server {
            fn spec_url(self) -> &'static str {
                Server::spec_url(self)
            }
        }
    };
    quote! {
        #about
        // The vendor's descriptions are Markdown as the vendor wrote it, and the sizes of the
        // errors' and unions' variants are the bodies the spec gives them.
        #![allow(
            clippy::doc_lazy_continuation,
            clippy::doc_overindented_list_items,
            clippy::large_enum_variant
        )]
        pub mod client;
        pub mod errors;
        pub mod models;
        pub mod operations;
        #servers
    }
}
