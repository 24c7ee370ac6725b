//! The generated `errors.rs`: one enum of documented error statuses per operation.

use super::*;

pub(super) fn emit_errors(api: &Api) -> TokenStream {
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

pub(super) fn emit_error(group: &str, operation: &Operation) -> TokenStream {
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
                    "{}: {} The body, when it decoded as documented.",
                    outcome.status, outcome.description
                ));
                let ty = rust_type(ty, true);
                quote!(#docs #variant(Option<#ty>),)
            }
            None => {
                let docs = doc(&format!("{}: {}", outcome.status, outcome.description));
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
