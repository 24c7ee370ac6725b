//! The intermediate form to Rust tokens: `mod.rs`, `models.rs`, `operations.rs`, `errors.rs`.

use proc_macro2::{Ident, Literal, Span, TokenStream};
use quote::{format_ident, quote};

use super::ir::*;
use super::names::{self, is_keyword};

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
    }
}

/// `Server::<name>_url(variables..)`: the URL of a templated server with its variables filled in.
fn emit_url_maker(server: &Server) -> TokenStream {
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
    let mut pieces = Vec::new();
    let mut rest = server.url.as_str();
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        let literal = &rest[..open];
        if !literal.is_empty() {
            pieces.push(quote!(#literal));
        }
        let wire = &rest[open + 1..close];
        if let Some(variable) = server.variables.iter().find(|v| v.wire == wire) {
            let rust = ident(&variable.rust);
            pieces.push(match variable.ty {
                Ty::Named(_) => quote!(#rust.as_str()),
                _ => quote!(#rust),
            });
        }
        rest = &rest[(close + 1).min(rest.len())..];
    }
    if !rest.is_empty() {
        pieces.push(quote!(#rest));
    }
    quote! {
        #docs
        pub fn #name(#(#params),*) -> String {
            auth_core::__private::concat(&[#(#pieces),*])
        }
    }
}

fn emit_mod(api: &Api) -> TokenStream {
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
        // The vendor's descriptions are Markdown as the vendor wrote it.
        #![allow(clippy::doc_lazy_continuation)]
        pub mod client;
        pub mod errors;
        pub mod models;
        pub mod operations;
        #servers
    }
}

fn emit_models(api: &Api) -> TokenStream {
    let about = inner_doc(&format!("The models of the {} spec.", api.title));
    let serde = api
        .models
        .iter()
        .any(|model| !matches!(model.kind, ModelKind::Alias(_) | ModelKind::Headers(_)))
        .then(|| {
            quote!(
                use serde::{Deserialize, Serialize};
            )
        });
    let models = api.models.iter().map(|model| emit_model(api, model));
    quote! {
        #about
        #serde
        #(#models)*
    }
}

fn emit_model(api: &Api, model: &Model) -> TokenStream {
    let name = ident(&model.name);
    let docs = doc(model.description.as_deref().unwrap_or(&model.name));
    match &model.kind {
        ModelKind::Struct(fields) => emit_struct(model, &name, &docs, fields),
        ModelKind::StringEnum(variants) => emit_string_enum(&name, &docs, variants),
        ModelKind::IntEnum(variants) => emit_int_enum(&name, &docs, variants),
        ModelKind::Union { variants, tag } => {
            emit_union(api, &name, &docs, variants, tag.as_deref())
        }
        ModelKind::Headers(fields) => emit_headers(&name, &docs, fields),
        ModelKind::Alias(ty) => {
            let ty = rust_type(ty, false);
            quote! {
                #docs
                pub type #name = #ty;
            }
        }
    }
}

fn field_type(field: &Field) -> TokenStream {
    let ty = rust_type(&field.ty, false);
    if field.optional() {
        quote!(Option<#ty>)
    } else {
        ty
    }
}

fn emit_struct(model: &Model, name: &Ident, docs: &TokenStream, fields: &[Field]) -> TokenStream {
    let all_optional = fields.iter().all(Field::optional);
    let default = all_optional.then(|| quote!(Default,));
    let members = fields.iter().map(|field| {
        let rust = ident(&field.rust);
        let ty = field_type(field);
        let mut text = field
            .description
            .clone()
            .unwrap_or_else(|| format!("`{}`.", field.wire));
        if field.deprecated {
            text.push_str("\n\nDeprecated by the vendor.");
        }
        let docs = doc(&text);
        let mut serde = Vec::new();
        if field.rust.trim_start_matches('_') != field.wire {
            let wire = &field.wire;
            serde.push(quote!(rename = #wire));
        }
        if !field.required {
            serde.push(quote!(default, skip_serializing_if = "Option::is_none"));
        }
        let serde = (!serde.is_empty()).then(|| quote!(#[serde(#(#serde),*)]));
        quote! {
            #docs
            #serde
            pub #rust: #ty,
        }
    });
    let constructors = model.request_side.then(|| emit_constructors(name, fields));
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, #default Serialize, Deserialize)]
        #[non_exhaustive]
        pub struct #name {
            #(#members)*
        }
        #constructors
    }
}

/// The struct of an operation's documented response headers, read from a `HeaderMap`.
fn emit_headers(name: &Ident, docs: &TokenStream, fields: &[Field]) -> TokenStream {
    let members = fields.iter().map(|field| {
        let rust = ident(&field.rust);
        let ty = rust_type(&field.ty, false);
        let docs = doc(&match &field.description {
            Some(description) => format!("`{}`: {description}", field.wire),
            None => format!("`{}`.", field.wire),
        });
        quote!(#docs pub #rust: Option<#ty>,)
    });
    let reads = fields.iter().map(|field| {
        let rust = ident(&field.rust);
        let wire = field.wire.to_ascii_lowercase();
        quote!(#rust: auth_core::__private::header_value(headers, #wire),)
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Default)]
        #[non_exhaustive]
        pub struct #name {
            #(#members)*
        }

        impl #name {
            /// Reads the documented headers of a response.
            pub fn from_headers(headers: &auth_core::header::HeaderMap) -> Self {
                Self { #(#reads)* }
            }
        }
    }
}

/// `new` with the required fields, and a `with_` setter per optional one.
fn emit_constructors(name: &Ident, fields: &[Field]) -> TokenStream {
    let into = |field: &Field| -> TokenStream {
        let ty = rust_type(&field.ty, false);
        match field.ty {
            Ty::String | Ty::Secret => quote!(impl Into<#ty>),
            _ => ty,
        }
    };
    let convert = |field: &Field, value: &Ident| -> TokenStream {
        match field.ty {
            Ty::String | Ty::Secret => quote!(#value.into()),
            _ => quote!(#value),
        }
    };
    let required: Vec<&Field> = fields.iter().filter(|f| f.required).collect();
    let params = required.iter().map(|field| {
        let rust = ident(&field.rust);
        let ty = into(field);
        if field.nullable {
            let ty = rust_type(&field.ty, false);
            quote!(#rust: Option<#ty>)
        } else {
            quote!(#rust: #ty)
        }
    });
    let inits = fields.iter().map(|field| {
        let rust = ident(&field.rust);
        if !field.required {
            quote!(#rust: None)
        } else if field.nullable || !matches!(field.ty, Ty::String | Ty::Secret) {
            quote!(#rust)
        } else {
            quote!(#rust: #rust.into())
        }
    });
    let setters = fields.iter().filter(|f| !f.required).map(|field| {
        let rust = ident(&field.rust);
        let setter = format_ident!("with_{}", field.rust.trim_start_matches('_'));
        let ty = into(field);
        let value_ident = format_ident!("value");
        let value = convert(field, &value_ident);
        let docs = doc(&format!("Sets `{}`.", field.wire));
        quote! {
            #docs
            pub fn #setter(mut self, value: #ty) -> Self {
                self.#rust = Some(#value);
                self
            }
        }
    });
    let new_doc = if required.is_empty() {
        doc("A value with every field unset.")
    } else {
        doc("A value with the required fields; the others are unset.")
    };
    quote! {
        impl #name {
            #new_doc
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
        }
    }
}

fn emit_string_enum(
    name: &Ident,
    docs: &TokenStream,
    variants: &[(String, String)],
) -> TokenStream {
    let declarations = variants.iter().map(|(variant, wire)| {
        let variant = ident(variant);
        let docs = doc(&format!("`{wire}`."));
        quote!(#docs #variant,)
    });
    let to_str = variants.iter().map(|(variant, wire)| {
        let variant = ident(variant);
        quote!(Self::#variant => #wire,)
    });
    let from_str = variants.iter().map(|(variant, wire)| {
        let variant = ident(variant);
        quote!(#wire => Self::#variant,)
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#declarations)*
            /// A value this version of the crate does not know.
            Unknown(String),
        }

        impl #name {
            /// The value as the API spells it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#to_str)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> Self {
                match value {
                    #(#from_str)*
                    other => Self::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                auth_core::__private::deserialize_str_enum(deserializer)
            }
        }
    }
}

fn emit_int_enum(name: &Ident, docs: &TokenStream, variants: &[(String, i64)]) -> TokenStream {
    let declarations = variants.iter().map(|(variant, value)| {
        let variant = ident(variant);
        let docs = doc(&format!("`{value}`."));
        quote!(#docs #variant,)
    });
    let to_value = variants.iter().map(|(variant, value)| {
        let variant = ident(variant);
        quote!(Self::#variant => #value,)
    });
    let from_value = variants.iter().map(|(variant, value)| {
        let variant = ident(variant);
        quote!(#value => Self::#variant,)
    });
    quote! {
        #docs
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum #name {
            #(#declarations)*
            /// A value this version of the crate does not know.
            Unknown(i64),
        }

        impl #name {
            /// The value as the API sends it.
            pub fn value(self) -> i64 {
                match self {
                    #(#to_value)*
                    Self::Unknown(value) => value,
                }
            }
        }

        impl From<i64> for #name {
            fn from(value: i64) -> Self {
                match value {
                    #(#from_value)*
                    other => Self::Unknown(other),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.value())
            }
        }

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.value())
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                i64::deserialize(deserializer).map(Self::from)
            }
        }
    }
}

fn emit_union(
    api: &Api,
    name: &Ident,
    docs: &TokenStream,
    variants: &[UnionVariant],
    tag: Option<&str>,
) -> TokenStream {
    let one_pass = match tag {
        None => one_pass_deserialize(api, name, variants),
        Some(_) => None,
    };
    let (derive, representation) = match (tag, &one_pass) {
        (Some(tag), _) => (quote!(Serialize, Deserialize), quote!(#[serde(tag = #tag)])),
        (None, Some(_)) => (quote!(Serialize), quote!(#[serde(untagged)])),
        (None, None) => (quote!(Serialize, Deserialize), quote!(#[serde(untagged)])),
    };
    let declarations = variants.iter().map(|variant| {
        let name = ident(&variant.name);
        let ty = rust_type(&variant.ty, false);
        let rename = variant
            .tag_value
            .as_ref()
            .map(|value| quote!(#[serde(rename = #value)]));
        let shown = match variant.model() {
            Some(model) => format!("[`{model}`]"),
            None => format!("`{ty}`").replace(" < ", "<").replace(" >", ">"),
        };
        let text = match &variant.tag_value {
            Some(value) => format!("`{}` = `{value}`: {shown}.", tag.unwrap_or_default()),
            None => format!("{shown}."),
        };
        let docs = doc(&text);
        quote!(#docs #rename #name(#ty),)
    });
    // `From` each member's type, where no other member has the same type.
    let conversions = variants.iter().filter(|variant| {
        variants
            .iter()
            .filter(|other| other.ty == variant.ty)
            .count()
            == 1
    });
    let conversions = conversions.map(|variant| {
        let variant_name = ident(&variant.name);
        let ty = rust_type(&variant.ty, false);
        quote! {
            impl From<#ty> for #name {
                fn from(value: #ty) -> Self {
                    Self::#variant_name(value)
                }
            }
        }
    });
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, #derive)]
        #representation
        #[non_exhaustive]
        pub enum #name {
            #(#declarations)*
        }
        #one_pass
        #(#conversions)*
    }
}

/// A `Deserialize` for an untagged union of objects that reads the input once: every member's
/// fields into one struct of options, then the first member whose required fields are all
/// there. (serde's `untagged` buffers the input and tries each member in turn.) `None` when the
/// members do not allow it: a member that is no object, a required field that may be null, or
/// one name with two types.
fn one_pass_deserialize(api: &Api, name: &Ident, variants: &[UnionVariant]) -> Option<TokenStream> {
    let mut members = Vec::new();
    for variant in variants {
        let model = api
            .models
            .iter()
            .find(|m| Some(m.name.as_str()) == variant.model())?;
        let ModelKind::Struct(fields) = &model.kind else {
            return None;
        };
        // A member without required fields would match every input (serde's `untagged` then
        // picks by order, as the spec's oneOf does).
        if fields.iter().any(|f| f.required && f.nullable) || fields.iter().all(|f| !f.required) {
            return None;
        }
        members.push((variant, fields));
    }
    let mut all: Vec<&Field> = Vec::new();
    for field in members.iter().flat_map(|(_, fields)| fields.iter()) {
        match all.iter().find(|f| f.wire == field.wire) {
            Some(seen) if seen.ty != field.ty || seen.rust != field.rust => return None,
            Some(_) => {}
            None => all.push(field),
        }
    }
    let declarations = all.iter().map(|field| {
        let rust = ident(&field.rust);
        let wire = &field.wire;
        let ty = rust_type(&field.ty, false);
        quote!(#[serde(rename = #wire, default)] #rust: Option<#ty>,)
    });
    let attempts = members.iter().map(|(variant, fields)| {
        let variant_name = ident(&variant.name);
        let model = ident(variant.model().unwrap_or_default());
        let bindings = fields.iter().map(|field| {
            let rust = ident(&field.rust);
            if field.required {
                quote!(#rust: Some(#rust))
            } else {
                quote!(#rust)
            }
        });
        let names = fields.iter().map(|field| ident(&field.rust));
        quote! {
            if let Fields { #(#bindings,)* .. } = fields {
                return Ok(Self::#variant_name(#model { #(#names),* }));
            }
        }
    });
    let expected = members
        .iter()
        .map(|(variant, fields)| {
            let required: Vec<String> = fields
                .iter()
                .filter(|f| f.required)
                .map(|f| format!("`{}`", f.wire))
                .collect();
            format!(
                "{} (with {})",
                variant.model().unwrap_or_default(),
                required.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(" or ");
    let message = format!("expected {expected}");
    Some(quote! {
        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                #[derive(Deserialize)]
                struct Fields {
                    #(#declarations)*
                }
                let fields = Fields::deserialize(deserializer)?;
                #(#attempts)*
                Err(serde::de::Error::custom(#message))
            }
        }
    })
}

/// Whether `ty` names a model (and code writing it needs `models` in scope).
fn mentions_model(ty: &Ty) -> bool {
    match ty {
        Ty::Named(_) => true,
        Ty::Vec(inner) | Ty::Map(inner) => mentions_model(inner),
        _ => false,
    }
}

fn emit_operations(api: &Api) -> TokenStream {
    let operations = api.groups.iter().flat_map(|group| &group.operations);
    let uses_models = operations.clone().any(|operation| {
        operation.headers.is_some()
            || operation
                .params
                .iter()
                .any(|param| mentions_model(&param.ty))
            || operation
                .body
                .as_ref()
                .is_some_and(|body| mentions_model(&body.ty))
            || operation
                .successes
                .iter()
                .any(|outcome| outcome.ty.as_ref().is_some_and(mentions_model))
    });
    let models = uses_models.then(|| {
        quote!(
            use super::models;
        )
    });
    let about = inner_doc(&format!(
        "The operations of the {} spec, grouped by tag.",
        api.title
    ));
    let groups = api.groups.iter().map(|group| {
        let name = ident(&group.struct_name);
        let mut text = format!("The operations tagged `{}`.", group.tag);
        if let Some(description) = &group.description {
            text.push_str(&format!(" {description}"));
        }
        let docs = doc(&text);
        let operations = group
            .operations
            .iter()
            .map(|operation| emit_operation(&api.name, operation));
        quote! {
            #docs
            #[derive(Debug, Clone, Copy)]
            pub struct #name<'a> {
                client: &'a auth_core::Client,
            }

            impl<'a> #name<'a> {
                /// Calls the operations through `client`.
                pub fn new(client: &'a auth_core::Client) -> Self {
                    Self { client }
                }

                #(#operations)*
            }
        }
    });
    quote! {
        #about
        use super::errors;
        #models
        #(#groups)*
    }
}

/// A parameter's type in a method signature.
fn param_type(param: &Param) -> TokenStream {
    let ty = match &param.ty {
        Ty::String => quote!(&str),
        Ty::Secret => quote!(&auth_core::Secret),
        Ty::Vec(item) => {
            let item = rust_type(item, true);
            quote!(&[#item])
        }
        other if matches!(param.style, ParamStyle::Object { .. }) => {
            let ty = rust_type(other, true);
            quote!(&#ty)
        }
        other => rust_type(other, true),
    };
    if param.required {
        ty
    } else {
        quote!(Option<#ty>)
    }
}

/// An expression that displays a parameter's value (for query and header values).
fn param_value(param: &Param, value: &Ident) -> TokenStream {
    match param.ty {
        Ty::Secret => quote!(#value.expose()),
        _ => quote!(#value),
    }
}

fn emit_operation(api: &str, operation: &Operation) -> TokenStream {
    let name = ident(&operation.name);
    let name_text = &operation.name;
    let error = ident(&operation.error_type);
    let operation_id = &operation.operation_id;
    let mut text = String::new();
    if let Some(summary) = &operation.summary {
        text.push_str(&format!("{summary}.\n\n"));
    }
    if let Some(description) = &operation.description {
        text.push_str(&format!("{description}\n\n"));
    }
    let documented: Vec<String> = operation
        .params
        .iter()
        .filter_map(|p| Some(format!("- `{}`: {}", p.rust, p.description.as_deref()?)))
        .collect();
    if !documented.is_empty() {
        text.push_str(&format!("Parameters:\n{}\n\n", documented.join("\n")));
    }
    text.push_str(&format!(
        "`{} {}` (operation `{}`).",
        operation.method, operation.path, operation.operation_id
    ));
    let docs = doc(&text);

    let mut signature = Vec::new();
    for param in &operation.params {
        let rust = ident(&param.rust);
        let ty = param_type(param);
        signature.push(quote!(#rust: #ty));
    }
    if let Some(body) = &operation.body {
        let ty = match body.encoding {
            Encoding::Json | Encoding::Form => {
                let ty = rust_type(&body.ty, true);
                quote!(&#ty)
            }
            Encoding::Text => quote!(&str),
            Encoding::Binary => quote!(auth_core::Bytes),
        };
        if body.required {
            signature.push(quote!(body: #ty));
        } else {
            signature.push(quote!(body: Option<#ty>));
        }
    }

    // The path, with each parameter encoded as one segment, joined in one allocation.
    let mut segments = Vec::new();
    let mut pieces: Vec<TokenStream> = Vec::new();
    let mut rest = operation.path.as_str();
    while let Some(open) = rest.find('{') {
        let close = rest[open..].find('}').map_or(rest.len(), |i| open + i);
        let literal = &rest[..open];
        if !literal.is_empty() {
            pieces.push(quote!(#literal));
        }
        let wire = &rest[open + 1..close];
        if let Some(param) = operation
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.wire == wire)
        {
            let rust = ident(&param.rust);
            let local = format_ident!("{}_segment", param.rust.trim_start_matches('_'));
            let encoded = match &param.ty {
                Ty::String => quote!(auth_core::encode_path(#rust)?),
                Ty::Secret => quote!(auth_core::encode_path(#rust.expose())?),
                Ty::Named(_) => quote!(auth_core::encode_path(&#rust.to_string())?.into_owned()),
                _ => quote!(#rust.to_string()),
            };
            segments.push(quote!(let #local = #encoded;));
            pieces.push(quote!(&#local));
        }
        rest = &rest[(close + 1).min(rest.len())..];
    }
    if !rest.is_empty() {
        pieces.push(quote!(#rest));
    }
    let path = if segments.is_empty() {
        let template = &operation.path;
        quote!(#template.to_owned())
    } else {
        quote!(auth_core::__private::concat(&[#(#pieces),*]))
    };

    let method = format_ident!("{}", operation.method);
    let mut steps = Vec::new();
    for param in operation
        .params
        .iter()
        .filter(|p| p.location != ParamLocation::Path)
    {
        let rust = ident(&param.rust);
        let wire = &param.wire;
        let adder = match param.location {
            ParamLocation::Query => format_ident!("query"),
            _ => format_ident!("header"),
        };
        let add = |value: &Ident| -> TokenStream {
            match param.style {
                ParamStyle::Repeat => quote! {
                    #value.iter().fold(request, |request, item| request.#adder(#wire, item))
                },
                ParamStyle::Join(separator) => quote! {
                    request.#adder(
                        #wire,
                        #value.iter().map(ToString::to_string).collect::<Vec<_>>().join(#separator),
                    )
                },
                ParamStyle::Object { deep } => quote! {
                    request.query_object(#wire, #deep, #value)?
                },
                ParamStyle::Plain => {
                    let value = param_value(param, value);
                    quote!(request.#adder(#wire, #value))
                }
            }
        };
        if param.required {
            let add = add(&rust);
            steps.push(quote!(let request = #add;));
        } else {
            let add = add(&format_ident!("value"));
            steps.push(quote! {
                let request = match #rust {
                    Some(value) => #add,
                    None => request,
                };
            });
        }
    }
    // What the client accepts: JSON where a response has a JSON body, and the media type of a
    // success that is not JSON.
    let mut accept: Vec<&str> = Vec::new();
    if operation
        .successes
        .iter()
        .chain(&operation.errors)
        .any(|outcome| outcome.ty.is_some())
    {
        accept.push("application/json");
    }
    for (_, media_type) in operation.successes.iter().filter_map(|o| o.raw.as_ref()) {
        if !accept.contains(&media_type.as_str()) {
            accept.push(media_type);
        }
    }
    if !accept.is_empty() {
        let accept = accept.join(", ");
        steps.push(quote!(let request = request.accept(#accept);));
    }
    if let Some(body) = &operation.body {
        let media_type = &body.media_type;
        let set = match body.encoding {
            Encoding::Json => quote!(request.json(body)?),
            Encoding::Form => quote!(request.form(body)?),
            Encoding::Text => quote!(request.body(#media_type, body.to_owned())),
            Encoding::Binary => quote!(request.body(#media_type, body)),
        };
        if body.required {
            steps.push(quote!(let request = #set;));
        } else {
            steps.push(quote! {
                let request = match body {
                    Some(body) => #set,
                    None => request,
                };
            });
        }
    }

    // The success: the one body type of the 2xx responses (`Option` of it when some have none).
    let with_body: Vec<&Outcome> = operation
        .successes
        .iter()
        .filter(|o| o.ty.is_some() || o.raw.is_some())
        .collect();
    let statuses = |outcomes: &[&Outcome]| -> Vec<Literal> {
        outcomes
            .iter()
            .map(|o| Literal::u16_unsuffixed(o.status))
            .collect()
    };
    // Each group of statuses with the value it gives.
    let (body_type, arms): (TokenStream, Vec<(Vec<Literal>, TokenStream)>) = match with_body.first()
    {
        None => {
            let all: Vec<&Outcome> = operation.successes.iter().collect();
            (quote!(()), vec![(statuses(&all), quote!(()))])
        }
        Some(first) => {
            let (ty, read) = match (&first.ty, &first.raw) {
                (Some(ty), _) => (rust_type(ty, true), quote!(response.json()?)),
                (None, Some((Encoding::Text, _))) => (quote!(String), quote!(response.text()?)),
                _ => (quote!(auth_core::Bytes), quote!(response.bytes())),
            };
            let without: Vec<&Outcome> = operation
                .successes
                .iter()
                .filter(|o| o.ty.is_none() && o.raw.is_none())
                .collect();
            if without.is_empty() {
                (ty, vec![(statuses(&with_body), read)])
            } else {
                (
                    quote!(Option<#ty>),
                    vec![
                        (statuses(&with_body), quote!(Some(#read))),
                        (statuses(&without), quote!(None)),
                    ],
                )
            }
        }
    };
    let (success_type, success_arms) = match &operation.headers {
        None => {
            let arms = arms
                .iter()
                .map(|(statuses, value)| quote!(#(#statuses)|* => Ok(#value),));
            (body_type, quote!(#(#arms)*))
        }
        Some(headers) => {
            let headers = ident(headers);
            let arms = arms.iter().map(|(statuses, value)| {
                quote! {
                    #(#statuses)|* => {
                        let headers = models::#headers::from_headers(response.headers());
                        Ok(auth_core::WithHeaders::new(#value, headers))
                    }
                }
            });
            (
                quote!(auth_core::WithHeaders<#body_type, models::#headers>),
                quote!(#(#arms)*),
            )
        }
    };
    let error_arms = operation.errors.iter().map(|outcome| {
        let status = Literal::u16_unsuffixed(outcome.status);
        let variant = ident(&outcome.variant);
        match outcome.ty {
            Some(_) => quote!(#status => Err(response.documented_with(errors::#error::#variant)),),
            None => quote!(#status => Err(response.documented(errors::#error::#variant)),),
        }
    });
    let server = ident(&operation.server);
    let schemes = operation.security.iter().map(|scheme| match scheme {
        Security::Bearer => quote!(auth_core::__private::Security::Bearer),
        Security::Basic => quote!(auth_core::__private::Security::Basic),
        Security::ApiKeyHeader(header) => {
            quote!(auth_core::__private::Security::ApiKeyHeader(#header))
        }
    });
    let template = &operation.path;
    let idempotent = operation.idempotent;
    // Every parameter is an argument, as the spec lists them; a long list is the spec's.
    let many = (signature.len() >= 7).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    quote! {
        #docs
        #many
        pub async fn #name(
            &self,
            #(#signature),*
        ) -> Result<#success_type, auth_core::ApiError<errors::#error>> {
            static OPERATION: auth_core::__private::Operation = auth_core::__private::Operation {
                api: #api,
                id: #operation_id,
                name: #name_text,
                method: auth_core::Method::#method,
                server: super::Server::#server.spec_url(),
                path: #template,
                security: &[#(#schemes),*],
                idempotent: #idempotent,
            };
            let result: Result<_, auth_core::ApiErrorKind<errors::#error>> = async {
                #(#segments)*
                let request = auth_core::__private::Request::new(&OPERATION, #path);
                #(#steps)*
                let response = auth_core::__private::send(self.client, request).await?;
                match response.status().as_u16() {
                    #success_arms
                    #(#error_arms)*
                    _ => Err(response.undocumented()),
                }
            }
            .await;
            auth_core::__private::finish(&OPERATION, result)
        }
    }
}

fn emit_errors(api: &Api) -> TokenStream {
    let about = inner_doc(&format!(
        "The documented errors of each operation of the {} spec: a variant per documented error \
         status. An operation fails with `auth_core::ApiError` of them; 429, 5xx and every other \
         failure are kinds of `ApiError` common to every operation.",
        api.title
    ));
    let enums = api.groups.iter().flat_map(|group| {
        group
            .operations
            .iter()
            .map(move |operation| emit_error(&group.struct_name, operation))
    });
    let uses_models = api
        .groups
        .iter()
        .flat_map(|group| &group.operations)
        .flat_map(|operation| &operation.errors)
        .any(|outcome| outcome.ty.as_ref().is_some_and(mentions_model));
    let models = uses_models.then(|| {
        quote!(
            use super::models;
        )
    });
    quote! {
        #about
        #models
        #(#enums)*
    }
}

fn emit_error(group: &str, operation: &Operation) -> TokenStream {
    let name = ident(&operation.error_type);
    let docs = doc(&format!(
        "The documented errors of [`{group}::{op}`](super::operations::{group}::{op}), the \
         `error` of [`auth_core::ApiErrorKind::Documented`].\n\n`Debug` names the variant only: \
         vendors echo what they were sent in error bodies.",
        op = operation.name
    ));
    let variants = operation.errors.iter().map(|outcome| {
        let variant = ident(&outcome.variant);
        match &outcome.ty {
            Some(ty) => {
                let docs = doc(&format!(
                    "HTTP {}: {} The body, when it decoded as documented.",
                    outcome.status, outcome.description
                ));
                let ty = rust_type(ty, true);
                quote!(#docs #variant(Option<#ty>),)
            }
            None => {
                let docs = doc(&format!("HTTP {}: {}", outcome.status, outcome.description));
                quote!(#docs #variant,)
            }
        }
    });
    let debug_arms = operation.errors.iter().map(|outcome| {
        let variant = ident(&outcome.variant);
        let text = &outcome.variant;
        match outcome.ty {
            Some(_) => quote!(Self::#variant(_) => #text,),
            None => quote!(Self::#variant => #text,),
        }
    });
    // An operation that documents no error status has an enum without variants: no value of
    // it exists, and its `Debug` is the empty match.
    let debug_body = if operation.errors.is_empty() {
        quote!(let _ = f; match *self {})
    } else {
        quote!(f.write_str(match *self { #(#debug_arms)* }))
    };
    quote! {
        #docs
        #[derive(Clone)]
        #[non_exhaustive]
        pub enum #name {
            #(#variants)*
        }

        impl std::fmt::Debug for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                #debug_body
            }
        }
    }
}

fn emit_client(api: &Api) -> TokenStream {
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
            "A builder with this crate's user agent. Send requests elsewhere than the spec's \
             servers with `.server_url(Server::.., url)`, then wrap the result with [`Client::from`].",
        )
    } else {
        doc(&format!(
            "A builder with this crate's user agent. Every request needs the headers {}: set \
             them with `.header(name, value)`. Send requests elsewhere than the spec's servers \
             with `.server_url(Server::.., url)`, then wrap the result with [`Client::from`].",
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
                Ok(Self::from(Self::builder().credentials(credentials).build()?))
            }
        }
    });
    // How a token the user holds is sent: as a bearer token, or as the spec's API-key header.
    let schemes: Vec<&Security> = api
        .groups
        .iter()
        .flat_map(|group| &group.operations)
        .flat_map(|operation| &operation.security)
        .collect();
    let bearer = schemes.iter().any(|s| matches!(s, Security::Bearer));
    let api_key = schemes.iter().find_map(|s| match s {
        Security::ApiKeyHeader(header) => Some(header.clone()),
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
        })
    } else {
        api_key.as_ref().map(|header| {
            let docs = doc(&format!(
                "The same client (sharing its connection pool) sending `token` in `{header}`."
            ));
            let provider_docs = doc(&format!(
                "The same client sending tokens from `provider` in `{header}`: fetched when a \
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
                    Self::from(self.core.with_api_key_provider(provider))
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
            .map(|header| quote!(auth_core::__private::Security::ApiKeyHeader(#header)))
    };
    let request = api.servers.first().map(|first| {
        let default = ident(&first.variant);
        let docs = doc(&format!(
            concat!(
                "A request to any endpoint of the vendor's API (not only the operations of this ",
                "spec), at `path` (with its leading `/`) on [`Server::{variant}`](super::Server::{variant}): ",
                "the client's base URL, credentials and default headers applied, sent with its ",
                "token refresh (and one replay after a 401), retries and timeouts. Read the answer ",
                "with `.send().await?.json::<T>()`.",
            ),
            variant = first.variant,
        ));
        quote! {
            #docs
            pub fn request(&self, method: auth_core::Method, path: &str) -> auth_core::AuthorizedRequest {
                self.request_to(super::Server::#default, method, path)
            }

            /// As [`Client::request`], to `server`.
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
        }
    });
    let name = &api.name;
    let security = request_security.iter();
    let servers = api.servers.iter().map(|server| {
        let variant = ident(&server.variant);
        quote!(super::Server::#variant.spec_url())
    });
    let api_static = quote! {
        /// What requests to any endpoint, and the token middleware, need to know of the API.
        static API: auth_core::__private::Api = auth_core::__private::Api {
            name: #name,
            security: &[#(#security),*],
            servers: &[#(#servers),*],
        };
    };
    quote! {
        #about
        use super::operations;

        #docs
        #[derive(Clone, Debug)]
        pub struct Client {
            core: auth_core::Client,
        }

        impl Client {
            #builder_docs
            pub fn builder() -> auth_core::ClientBuilder {
                auth_core::Client::builder()
                    .user_agent(concat!(env!("CARGO_PKG_NAME"), "/", env!("CARGO_PKG_VERSION")))
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
