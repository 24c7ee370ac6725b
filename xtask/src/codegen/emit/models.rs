//! The generated `models.rs`: structs, enums, unions, aliases and response-header structs,
//! with their serde and constructors.

use super::*;

pub(super) fn emit_models(api: &Api) -> TokenStream {
    let about = inner_doc(&format!("The models of the {} spec.", api.title));
    let serde = api
        .models
        .iter()
        .any(|model| {
            !matches!(
                model.kind,
                ModelKind::Alias(_) | ModelKind::Headers(_) | ModelKind::StringEnum(_)
            )
        })
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

pub(super) fn emit_model(api: &Api, model: &Model) -> TokenStream {
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
        ModelKind::AnyOf(members) => emit_any_of(&name, &docs, members),
        ModelKind::Alias(ty) => {
            let ty = rust_type(ty, false);
            quote! {
                #docs
                pub type #name = #ty;
            }
        }
    }
}

pub(super) fn field_type(field: &Field) -> TokenStream {
    let ty = rust_type(&field.ty, false);
    if field.optional() {
        quote!(Option<#ty>)
    } else {
        ty
    }
}

pub(super) fn emit_struct(
    model: &Model,
    name: &Ident,
    docs: &TokenStream,
    fields: &[Field],
) -> TokenStream {
    // `Default` is derived where every field may be unset; a built value with a constant
    // (which `new` sets) gets it from `new` instead.
    let constant = model.request_side && fields.iter().any(|f| f.constant.is_some());
    let default = (fields.iter().all(Field::optional) && !constant).then(|| quote!(Default,));
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
        let serde = (field.rust.trim_start_matches('_') != field.wire).then(|| {
            let wire = &field.wire;
            quote!(#[serde(rename = #wire)])
        });
        // Serde reads a missing `Option` field as `None` by itself. An unset optional field is
        // left out; a required one that may be null is sent as null.
        let skip_none = (field.optional() && !field.required)
            .then(|| quote!(#[serde(skip_serializing_if = "Option::is_none")]));
        // A descriptive object that does not decode reads as absent; an array of them keeps
        // the items that do.
        let tolerant = field.tolerant.then(|| match field.ty {
            Ty::Vec(_) => {
                quote!(#[serde(default, deserialize_with = "auth_core::__private::tolerant_items")])
            }
            _ => quote!(#[serde(default, deserialize_with = "auth_core::__private::tolerant")]),
        });
        quote! {
            #docs
            #serde
            #tolerant
            #skip_none
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
pub(super) fn emit_headers(name: &Ident, docs: &TokenStream, fields: &[Field]) -> TokenStream {
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
pub(super) fn emit_constructors(name: &Ident, fields: &[Field]) -> TokenStream {
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
    // A constant is set, not asked for.
    let required: Vec<&Field> = fields
        .iter()
        .filter(|f| f.required && f.constant.is_none())
        .collect();
    let params = required.iter().map(|field| {
        let rust = ident(&field.rust);
        let ty = into(field);
        if field.nullable || field.tolerant {
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
        } else if let (Some(variant), Ty::Named(ty)) = (&field.constant, &field.ty) {
            let (ty, variant) = (ident(ty), ident(variant));
            if field.nullable {
                quote!(#rust: Some(#ty::#variant))
            } else {
                quote!(#rust: #ty::#variant)
            }
        } else if field.nullable || field.tolerant || !matches!(field.ty, Ty::String | Ty::Secret) {
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
    let constants: Vec<String> = fields
        .iter()
        .filter(|f| f.required && f.constant.is_some())
        .map(|f| format!("`{}`", f.wire))
        .collect();
    let mut new_doc = if required.is_empty() {
        "A value with every field unset".to_owned()
    } else {
        "A value with the required fields; the others are unset".to_owned()
    };
    if !constants.is_empty() {
        new_doc.push_str(&format!(
            " (the one value {} can have is set)",
            constants.join(", ")
        ));
    }
    new_doc.push('.');
    let new_doc = doc(&new_doc);
    // Every required field is an argument, as the spec lists them.
    let many = (required.len() >= 8).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    // A `new` without arguments is also the `Default` (derived unless a field is a constant or
    // must be set).
    let default = (required.is_empty()
        && (!fields.iter().all(Field::optional) || fields.iter().any(|f| f.constant.is_some())))
    .then(|| {
        quote! {
            impl Default for #name {
                fn default() -> Self {
                    Self::new()
                }
            }
        }
    });
    quote! {
        impl #name {
            #new_doc
            #many
            pub fn new(#(#params),*) -> Self {
                Self { #(#inits),* }
            }
            #(#setters)*
        }
        #default
    }
}

pub(super) fn emit_string_enum(
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

        /// Never fails: an unknown value is `Unknown`.
        impl std::str::FromStr for #name {
            type Err = std::convert::Infallible;

            fn from_str(value: &str) -> Result<Self, Self::Err> {
                Ok(Self::from(value))
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                auth_core::__private::string_enum(deserializer)
            }
        }
    }
}

pub(super) fn emit_int_enum(
    name: &Ident,
    docs: &TokenStream,
    variants: &[(String, i64)],
) -> TokenStream {
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
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "i64", into = "i64")]
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

        impl From<#name> for i64 {
            fn from(value: #name) -> Self {
                value.value()
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.value())
            }
        }
    }
}

pub(super) fn emit_union(
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
    // `From` each member's type, where no other member has the same Rust type (aliases are
    // the types they name).
    let resolved = |ty: &Ty| resolve_alias(api, ty);
    let conversions = variants.iter().filter(|variant| {
        variants
            .iter()
            .filter(|other| resolved(&other.ty) == resolved(&variant.ty))
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
pub(super) fn one_pass_deserialize(
    api: &Api,
    name: &Ident,
    variants: &[UnionVariant],
) -> Option<TokenStream> {
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
        // Two names on the wire that are one in Rust (`name`, `Name`) cannot share the struct.
        if all
            .iter()
            .any(|f| f.rust == field.rust && f.wire != field.wire)
        {
            return None;
        }
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

/// An `anyOf`: a struct with each member the value is, as an `Option`. Reading tries every
/// member on the same value and keeps each that reads (where members overlap, several do);
/// writing merges the members that are objects, or writes the first one set.
pub(super) fn emit_any_of(
    name: &Ident,
    docs: &TokenStream,
    members: &[UnionVariant],
) -> TokenStream {
    let mut fields: Vec<String> = members.iter().map(|m| names::snake(&m.name)).collect();
    let mut taken = std::collections::BTreeSet::new();
    for field in &mut fields {
        let mut candidate = field.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            candidate = format!("{field}_{n}");
            n += 1;
        }
        taken.insert(candidate.clone());
        *field = candidate;
    }
    let declarations = members.iter().zip(&fields).map(|(member, field)| {
        let field = ident(field);
        let ty = rust_type(&member.ty, false);
        let shown = match member.model() {
            Some(model) => format!("[`{model}`]"),
            None => format!("`{ty}`").replace(" < ", "<").replace(" >", ">"),
        };
        let docs = doc(&format!("The value as {shown}, when it is one."));
        quote!(#docs pub #field: Option<#ty>,)
    });
    let reads = members.iter().zip(&fields).map(|(member, field)| {
        let field = ident(field);
        let ty = rust_type(&member.ty, false);
        quote!(#field: <#ty as Deserialize>::deserialize(&value).ok(),)
    });
    let parts = fields.iter().map(|field| {
        let field = ident(field);
        quote!(self.#field.as_ref().map(serde_json::to_value))
    });
    let set = fields.iter().map(|field| {
        let field = ident(field);
        quote!(any.#field.is_some())
    });
    let expected = format!(
        "expected any of {}",
        members
            .iter()
            .map(|m| m.model().map_or_else(|| m.name.clone(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", ")
    );
    quote! {
        #docs
        #[derive(Debug, Clone, PartialEq, Default)]
        #[non_exhaustive]
        pub struct #name {
            #(#declarations)*
        }

        impl Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut merged: Option<serde_json::Value> = None;
                for part in [#(#parts),*].into_iter().flatten() {
                    let part = part.map_err(serde::ser::Error::custom)?;
                    merged = Some(match (merged, part) {
                        (Some(serde_json::Value::Object(mut all)), serde_json::Value::Object(more)) => {
                            all.extend(more);
                            serde_json::Value::Object(all)
                        }
                        (Some(first), _) => first,
                        (None, part) => part,
                    });
                }
                merged.unwrap_or(serde_json::Value::Null).serialize(serializer)
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let value = serde_json::Value::deserialize(deserializer)?;
                let any = Self { #(#reads)* };
                if #(#set)||* {
                    Ok(any)
                } else {
                    Err(serde::de::Error::custom(#expected))
                }
            }
        }
    }
}

/// The type `ty` stands for, through aliases.
fn resolve_alias(api: &Api, ty: &Ty) -> Ty {
    let mut ty = ty.clone();
    for _ in 0..64 {
        let Ty::Named(name) = &ty else { break };
        match api.models.iter().find(|m| &m.name == name).map(|m| &m.kind) {
            Some(ModelKind::Alias(inner)) => ty = inner.clone(),
            _ => break,
        }
    }
    ty
}
