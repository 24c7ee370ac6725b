//! The intermediate form to Rust tokens, one file of this module per generated file (`servers`
//! writes `mod.rs`, then `models`, `operations`, `errors`, `client`); this file holds what they
//! share: identifiers, doc attributes and Rust types.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use super::ir::*;
use super::names::{self, is_keyword};

mod client;
mod errors;
mod models;
mod operations;
mod servers;

use client::*;
use errors::*;
use models::*;
use operations::*;
use servers::*;

/// Every generated file: its name and its tokens.
pub fn emit(api: &Api) -> Vec<(&'static str, TokenStream)> {
    vec![
        ("mod.rs", emit_mod(api)),
        ("models.rs", emit_models(api)),
        ("operations.rs", emit_operations(api)),
        ("errors.rs", emit_errors(api)),
        ("client.rs", emit_client(api)),
    ]
}

/// `name` as Rust source text of an identifier (`r#type` for a keyword), as [`ident`] makes it.
pub(super) fn ident_text(name: &str) -> String {
    ident(name).to_string()
}

/// `name` as an identifier. The lowering gives valid names; anything else is made one here
/// rather than panicking: other characters become `_`, a leading digit or an empty name gets a
/// leading `_`, and `self`, `super`, `crate` and `Self` (which cannot be raw) a trailing `_`.
fn ident(name: &str) -> Ident {
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if safe.is_empty() || safe.starts_with(|c: char| c.is_ascii_digit()) {
        safe.insert(0, '_');
    }
    if matches!(safe.as_str(), "self" | "super" | "crate" | "Self") {
        safe.push('_');
    }
    if safe == "_" {
        safe.push('_');
    }
    if is_keyword(&safe) {
        Ident::new_raw(&safe, Span::call_site())
    } else {
        Ident::new(&safe, Span::call_site())
    }
}

/// `#[doc]` attributes, one per line of `text`.
fn doc(text: &str) -> TokenStream {
    // Tabs (which rustdoc and clippy take badly) as four spaces.
    let text = text.replace('\t', "    ");
    let lines = text.trim().lines().map(|line| {
        let line = if line.trim().is_empty() {
            String::new()
        } else {
            format!(" {}", line.trim_end())
        };
        quote!(#[doc = #line])
    });
    quote!(#(#lines)*)
}

fn inner_doc(text: &str) -> TokenStream {
    let text = text.replace('\t', "    ");
    let lines = text.trim().lines().map(|line| {
        let line = format!(" {}", line.trim_end());
        quote!(#![doc = #line])
    });
    quote!(#(#lines)*)
}

fn rust_type(ty: &Ty, qualified: bool) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::Secret => quote!(auth_core::Secret),
        Ty::Bool => quote!(bool),
        Ty::I32 => quote!(i32),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::Vec(inner) => {
            let inner = rust_type(inner, qualified);
            quote!(Vec<#inner>)
        }
        Ty::Named(name) => {
            let name = ident(name);
            if qualified {
                quote!(models::#name)
            } else {
                quote!(#name)
            }
        }
        Ty::JsonObject => quote!(serde_json::Map<String, serde_json::Value>),
        Ty::Json => quote!(serde_json::Value),
        Ty::Map(values) => {
            let values = rust_type(values, qualified);
            quote!(std::collections::BTreeMap<String, #values>)
        }
        Ty::Boxed(inner) => {
            let inner = rust_type(inner, qualified);
            quote!(Box<#inner>)
        }
    }
}

/// A URL or path template as `concat` pieces: each literal run as a string, each `{name}` as
/// what `variable` makes of the name (left out when it gives `None`).
fn template_pieces(
    template: &str,
    mut variable: impl FnMut(&str) -> Option<TokenStream>,
) -> Vec<TokenStream> {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        let literal = &rest[..open];
        if !literal.is_empty() {
            pieces.push(quote!(#literal));
        }
        pieces.extend(variable(&rest[open + 1..close]));
        rest = &rest[(close + 1).min(rest.len())..];
    }
    if !rest.is_empty() {
        pieces.push(quote!(#rest));
    }
    pieces
}

/// Whether `ty` names a model (and code writing it needs `models` in scope).
fn mentions_model(ty: &Ty) -> bool {
    match ty {
        Ty::Named(_) => true,
        Ty::Vec(inner) | Ty::Map(inner) | Ty::Boxed(inner) => mentions_model(inner),
        _ => false,
    }
}
