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
    let errors = api
        .groups
        .iter()
        .any(|group| !group.operations.is_empty())
        .then(|| {
            quote!(
                use super::errors;
            )
        });
    quote! {
        #about
        #errors
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
        other if matches!(param.style, ParamStyle::Object { .. } | ParamStyle::Json) => {
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

/// An expression of a parameter's value as text (for the path, query, header and cookie):
/// `&str` or `String`. Arrays are joined by the style's separator, and values of the `Json`
/// style are their JSON text.
pub(super) fn param_text(param: &Param, value: &Ident) -> TokenStream {
    match (&param.style, &param.ty) {
        (ParamStyle::Json, _) => quote!(auth_core::__private::json_text(#value)?),
        (ParamStyle::Join(separator), _) => quote! {
            #value.iter().map(ToString::to_string).collect::<Vec<_>>().join(#separator)
        },
        (_, Ty::String) => quote!(#value),
        (_, Ty::Secret) => quote!(#value.expose()),
        _ => quote!(#value.to_string()),
    }
}

/// A summary as the first sentence of a doc comment: with a full stop unless it ends with one
/// (or another sentence end) already.
fn sentence(summary: &str) -> String {
    let summary = summary.trim();
    if summary.ends_with(['.', '!', '?', ':']) {
        summary.to_owned()
    } else {
        format!("{summary}.")
    }
}

/// The statuses an operation's codes claim, and 429 (which keeps its own kind of `ApiError`):
/// no range arm matches them, so that no two arms overlap.
fn claimed(operation: &Operation) -> std::collections::BTreeSet<u16> {
    let mut claimed = std::collections::BTreeSet::from([429]);
    for status in operation
        .successes
        .iter()
        .chain(&operation.errors)
        .map(|outcome| outcome.status)
        .chain(operation.redirects.iter().copied())
    {
        if let Status::Code(code) = status {
            claimed.insert(code);
        }
    }
    claimed
}

/// The match pattern of a documented status: a code, or the range of a `2XX` (or a success
/// `default`) less the `claimed` codes.
fn pattern(status: Status, claimed: &std::collections::BTreeSet<u16>) -> Option<TokenStream> {
    match status {
        Status::Code(code) => {
            let code = Literal::u16_unsuffixed(code);
            Some(quote!(#code))
        }
        Status::Range(hundreds) => range(hundreds * 100, hundreds * 100 + 99, claimed),
        Status::Default => range(200, 299, claimed),
    }
}

/// `low..=high` less the `claimed` codes, as `a..=b | c | d..=e`; `None` when every code of it
/// is claimed.
fn range(low: u16, high: u16, claimed: &std::collections::BTreeSet<u16>) -> Option<TokenStream> {
    let mut pieces = Vec::new();
    let mut start = None;
    for code in low..=high + 1 {
        let free = code <= high && !claimed.contains(&code);
        match (free, start) {
            (true, None) => start = Some(code),
            (false, Some(first)) => {
                let last = code - 1;
                let (first_lit, last_lit) = (
                    Literal::u16_unsuffixed(first),
                    Literal::u16_unsuffixed(last),
                );
                pieces.push(if first == last {
                    quote!(#first_lit)
                } else {
                    quote!(#first_lit..=#last_lit)
                });
                start = None;
            }
            _ => {}
        }
    }
    (!pieces.is_empty()).then(|| quote!(#(#pieces)|*))
}

pub(super) fn emit_operation(api: &str, operation: &Operation) -> TokenStream {
    let name = ident(&operation.name);
    let name_text = &operation.name;
    let error = ident(&operation.error_type);
    let operation_id = &operation.operation_id;
    let mut text = String::new();
    if let Some(summary) = &operation.summary {
        text.push_str(&sentence(summary));
        text.push_str("\n\n");
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
    if operation.has_operation_id {
        text.push_str(&format!(
            "`{} {}` (operation `{}`).",
            operation.method, operation.path, operation.operation_id
        ));
    } else {
        text.push_str(&format!(
            "`{} {}` (the spec gives it no operationId).",
            operation.method, operation.path
        ));
    }
    if !operation.redirects.is_empty() {
        text.push_str(
            "\n\nA documented 3xx to another origin comes back as an `auth_core::Redirect` \
             (redirects within the server's origin are followed).",
        );
    }
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

    // The path, with each parameter encoded as one segment, joined in one allocation (the
    // encoded segments are temporaries of that one statement).
    let mut has_segments = false;
    let pieces = template_pieces(&operation.path, |wire| {
        let param = operation
            .params
            .iter()
            .find(|p| p.location == ParamLocation::Path && p.wire == wire)?;
        has_segments = true;
        let rust = ident(&param.rust);
        let encoded = match (&param.style, &param.ty) {
            (ParamStyle::Plain, Ty::String) => quote!(auth_core::encode_path(#rust)?),
            (ParamStyle::Plain, Ty::Secret) => quote!(auth_core::encode_path(#rust.expose())?),
            (ParamStyle::Plain, Ty::I32 | Ty::I64 | Ty::F64 | Ty::Bool) => {
                quote!(#rust.to_string())
            }
            _ => {
                let text = param_text(param, &rust);
                quote!(auth_core::encode_path(&#text)?)
            }
        };
        Some(quote!(&*#encoded))
    });
    let path = if has_segments {
        quote!(auth_core::__private::concat(&[#(#pieces),*]))
    } else {
        let template = &operation.path;
        quote!(#template.to_owned())
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
            ParamLocation::Cookie => format_ident!("cookie"),
            _ => format_ident!("header"),
        };
        let add = |value: &Ident| -> TokenStream {
            match param.style {
                ParamStyle::Repeat => quote! {
                    #value.iter().fold(request, |request, item| request.#adder(#wire, item))
                },
                ParamStyle::Object { deep } => quote! {
                    request.query_object(#wire, #deep, #value)?
                },
                _ => {
                    let text = param_text(param, value);
                    let add = quote!(request.#adder(#wire, #text));
                    // The request holds a secret, so that an error body echoing it is masked.
                    if param.ty == Ty::Secret {
                        quote!(#add.holding(#value))
                    } else {
                        add
                    }
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

    let (success_type, arms) = success_arms(operation);
    let error_arms = error_arms(operation, &error);
    let server = ident(&operation.server);
    let schemes = operation.security.iter().map(security_tokens);
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
                let request = auth_core::__private::OperationRequest::new(&OPERATION, #path);
                #(#steps)*
                let response = auth_core::__private::send(self.client, request).await?;
                match response.status().as_u16() {
                    #arms
                    #error_arms
                    _ => Err(response.undocumented()),
                }
            }
            .await;
            auth_core::__private::finish(&OPERATION, result)
        }
    }
}

/// A security scheme as the runtime's `Security`.
pub(super) fn security_tokens(scheme: &Security) -> TokenStream {
    match scheme {
        Security::Bearer => quote!(auth_core::__private::Security::Bearer),
        Security::Basic => quote!(auth_core::__private::Security::Basic),
        Security::ApiKeyHeader(name) => {
            quote!(auth_core::__private::Security::ApiKeyHeader(#name))
        }
        Security::ApiKeyQuery(name) => quote!(auth_core::__private::Security::ApiKeyQuery(#name)),
        Security::ApiKeyCookie(name) => {
            quote!(auth_core::__private::Security::ApiKeyCookie(#name))
        }
        Security::HttpScheme(name) => quote!(auth_core::__private::Security::HttpScheme(#name)),
        Security::All(all) => {
            let all = all.iter().map(security_tokens);
            quote!(auth_core::__private::Security::All(&[#(#all),*]))
        }
        Security::Anonymous => quote!(auth_core::__private::Security::Anonymous),
    }
}

/// The success type of an operation, and the match arms of its 2xx and 3xx statuses.
fn success_arms(operation: &Operation) -> (TokenStream, TokenStream) {
    let claimed = claimed(operation);
    // The one body type of the 2xx responses (`Option` of it when some have none).
    let with_body: Vec<&Outcome> = operation
        .successes
        .iter()
        .filter(|o| o.ty.is_some() || o.raw.is_some())
        .collect();
    let patterns = |outcomes: &[&Outcome]| -> Vec<TokenStream> {
        outcomes
            .iter()
            .filter_map(|o| pattern(o.status, &claimed))
            .collect()
    };
    let all: Vec<&Outcome> = operation.successes.iter().collect();
    // Each group of statuses with the value it gives.
    let (body_type, groups): (TokenStream, Vec<(Vec<TokenStream>, TokenStream)>) =
        match with_body.first() {
            None if all.is_empty() && operation.redirects.is_empty() => {
                let any = range(200, 299, &claimed).into_iter().collect();
                (quote!(()), vec![(any, quote!(()))])
            }
            None => (quote!(()), vec![(patterns(&all), quote!(()))]),
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
                    (ty, vec![(patterns(&with_body), read)])
                } else {
                    (
                        quote!(Option<#ty>),
                        vec![
                            (patterns(&with_body), quote!(Some(#read))),
                            (patterns(&without), quote!(None)),
                        ],
                    )
                }
            }
        };
    let (value_type, groups) = match &operation.headers {
        None => (body_type, groups),
        Some(headers) => {
            let headers = ident(headers);
            let groups = groups
                .into_iter()
                .map(|(patterns, value)| {
                    (
                        patterns,
                        quote! {{
                            let headers = models::#headers::from_headers(response.headers());
                            auth_core::WithHeaders::new(#value, headers)
                        }},
                    )
                })
                .collect();
            (
                quote!(auth_core::WithHeaders<#body_type, models::#headers>),
                groups,
            )
        }
    };
    let redirects: Vec<TokenStream> = operation
        .redirects
        .iter()
        .filter_map(|status| pattern(*status, &claimed))
        .collect();
    // Explicit statuses before ranges, so that no range hides a code.
    let is_code = |pattern: &TokenStream| !pattern.to_string().contains("..=");
    let order = |mut arms: Vec<(TokenStream, TokenStream)>| {
        arms.sort_by_key(|(pattern, _)| !is_code(pattern));
        arms
    };
    if redirects.is_empty() {
        let arms = order(
            groups
                .into_iter()
                .flat_map(|(patterns, value)| patterns.into_iter().map(move |p| (p, value.clone())))
                .collect(),
        );
        let arms = arms.iter().map(|(p, value)| quote!(#p => Ok(#value),));
        return (value_type, quote!(#(#arms)*));
    }
    let redirect = quote!(response.redirect());
    if operation.successes.is_empty() {
        let arms = order(
            redirects
                .into_iter()
                .map(|p| (p, redirect.clone()))
                .collect(),
        );
        let arms = arms.iter().map(|(p, value)| quote!(#p => Ok(#value),));
        return (quote!(auth_core::Redirect), quote!(#(#arms)*));
    }
    let mut arms: Vec<(TokenStream, TokenStream)> = groups
        .into_iter()
        .flat_map(|(patterns, value)| {
            patterns
                .into_iter()
                .map(move |p| (p, quote!(auth_core::Redirected::Done(#value))))
        })
        .collect();
    arms.extend(
        redirects
            .into_iter()
            .map(|p| (p, quote!(auth_core::Redirected::Redirect(#redirect)))),
    );
    let arms = order(arms);
    let arms = arms.iter().map(|(p, value)| quote!(#p => Ok(#value),));
    (
        quote!(auth_core::Redirected<#value_type>),
        quote!(#(#arms)*),
    )
}

/// The match arms of an operation's documented errors: codes, the `4XX` range, and `default`
/// for the 3xx and 4xx statuses left (429 never: it keeps its own kind).
fn error_arms(operation: &Operation, error: &Ident) -> TokenStream {
    let claimed = claimed(operation);
    let arm = |outcome: &Outcome, pattern: TokenStream| {
        let variant = ident(&outcome.variant);
        match outcome.ty {
            Some(_) => quote!(#pattern => Err(response.documented_with(errors::#error::#variant)),),
            None => quote!(#pattern => Err(response.documented(errors::#error::#variant)),),
        }
    };
    let mut arms = Vec::new();
    for outcome in &operation.errors {
        if let Status::Code(_) = outcome.status {
            arms.extend(pattern(outcome.status, &claimed).map(|p| arm(outcome, p)));
        }
    }
    let range = operation
        .errors
        .iter()
        .find(|o| o.status == Status::Range(4));
    let default = operation
        .errors
        .iter()
        .find(|o| o.status == Status::Default);
    if let Some(range) = range {
        arms.extend(pattern(range.status, &claimed).map(|p| arm(range, p)));
    }
    if let Some(default) = default {
        let redirect_range = operation.redirects.contains(&Status::Range(3));
        if !redirect_range {
            arms.extend(self::range(300, 399, &claimed).map(|p| arm(default, p)));
        }
        if range.is_none() {
            arms.extend(self::range(400, 499, &claimed).map(|p| arm(default, p)));
        }
    }
    quote!(#(#arms)*)
}
