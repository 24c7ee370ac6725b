//! The generated `operations.rs`: one method per operation, which builds the request (path,
//! parameters in their styles, body), sends it and reads the documented answers.

use super::*;

pub(super) fn emit_operations(api: &Api) -> TokenStream {
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
pub(super) fn param_type(param: &Param) -> TokenStream {
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
pub(super) fn param_value(param: &Param, value: &Ident) -> TokenStream {
    match param.ty {
        Ty::Secret => quote!(#value.expose()),
        _ => quote!(#value),
    }
}

pub(super) fn emit_operation(api: &str, operation: &Operation) -> TokenStream {
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
    let pieces = template_pieces(&operation.path, |wire| {
        let param = operation
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.wire == wire)?;
        let rust = ident(&param.rust);
        let local = format_ident!("{}_segment", param.rust.trim_start_matches('_'));
        let encoded = match &param.ty {
            Ty::String => quote!(auth_core::encode_path(#rust)?),
            Ty::Secret => quote!(auth_core::encode_path(#rust.expose())?),
            Ty::Named(_) => quote!(auth_core::encode_path(&#rust.to_string())?.into_owned()),
            _ => quote!(#rust.to_string()),
        };
        segments.push(quote!(let #local = #encoded;));
        Some(quote!(&#local))
    });
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
