//! Reads an `openapiv3` document into the intermediate form, rejecting what the generator does not
//! support with the location of the offending part. This file holds the entry point and what the
//! concerns share (the `Lowerer`, references, problems); the concerns are `naming`, `schemas`,
//! `operations` and `servers`.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use openapiv3::{
    APIKeyLocation, Components, IntegerFormat, OpenAPI, Parameter, ParameterSchemaOrContent,
    ReferenceOr, Schema, SchemaKind, SecurityScheme, StatusCode, StringFormat, Type,
    VariantOrUnknownOrEmpty,
};

use super::ir::*;
use super::names::{pascal, snake, words};

mod naming;
mod operations;
mod schemas;
mod servers;

use naming::*;
use operations::*;
use servers::*;

/// A rejection: where in the spec, and why.
#[derive(Debug)]
pub struct LowerError {
    pub location: String,
    pub message: String,
}

type Result<T> = std::result::Result<T, LowerError>;

fn reject<T>(location: &str, message: impl Into<String>) -> Result<T> {
    Err(LowerError {
        location: location.to_owned(),
        message: message.into(),
    })
}

/// A description or summary with text in it: an empty one is none (it would document nothing).
fn text(description: &Option<String>) -> Option<String> {
    description
        .as_deref()
        .map(str::trim)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

/// Escapes a path for a JSON pointer (`/` → `~1`).
fn pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// An item written in place, or the component a local `$ref` points at in `section` (named
/// `kind`: `parameters`, `responses`), with the location to report the item's problems at. An
/// unresolved reference is rejected at `location`, where the `$ref` is written.
fn resolve<'s, T>(
    spec: &'s OpenAPI,
    item: &'s ReferenceOr<T>,
    location: String,
    kind: &str,
    section: fn(&'s Components) -> &'s IndexMap<String, ReferenceOr<T>>,
) -> Result<(&'s T, String)> {
    let reference = match item {
        ReferenceOr::Item(item) => return Ok((item, location)),
        ReferenceOr::Reference { reference } => reference,
    };
    let prefix = format!("#/components/{kind}/");
    let key = reference.strip_prefix(&prefix).unwrap_or_default();
    match spec
        .components
        .as_ref()
        .and_then(|components| section(components).get(key))
        .and_then(ReferenceOr::as_item)
    {
        Some(item) => Ok((item, format!("{prefix}{}", pointer(key)))),
        None => reject(&location, format!("unresolved reference {reference}")),
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
const SCHEMAS: &str = "#/components/schemas/";

struct Lowerer<'a> {
    spec: &'a OpenAPI,
    /// Component key → model name.
    names: HashMap<&'a str, String>,
    /// Component key → discriminator property its union member struct leaves out.
    strip: HashMap<&'a str, String>,
    models: Vec<Model>,
    /// The shape of each schema written in place that became a model → that model, so that the
    /// same shape written twice is one type.
    inline: HashMap<String, String>,
    servers: Vec<Server>,
    client_headers: Vec<String>,
    /// Names held by models being lowered (their members must not take them).
    reserved: BTreeSet<String>,
    /// What was refused so far; lowering goes on past each.
    problems: Vec<LowerError>,
}

/// Lowers `spec` as far as it goes, and lists what was left out or read loosely: each
/// component schema, server and operation is lowered on its own, so that one problem neither
/// hides another nor costs the rest of the spec. A schema the generator cannot type is any JSON
/// value; an operation it cannot generate is left out.
pub fn lower(spec: &OpenAPI) -> (Api, Vec<LowerError>) {
    let mut problems = Vec::new();
    let client_headers = client_headers(spec).unwrap_or_else(|problem| {
        problems.push(problem);
        Vec::new()
    });
    let mut lowerer = Lowerer {
        spec,
        names: HashMap::new(),
        strip: HashMap::new(),
        models: Vec::new(),
        inline: HashMap::new(),
        servers: Vec::new(),
        client_headers,
        reserved: BTreeSet::new(),
        problems,
    };
    lowerer.name_components();
    let schemas = spec.components.iter().flat_map(|c| &c.schemas);
    for (key, schema) in schemas {
        let location = format!("{SCHEMAS}{}", pointer(key));
        let name = lowerer.names[key.as_str()].clone();
        let lowered = match schema {
            ReferenceOr::Item(schema) => {
                lowerer.lower_model(Some(key), name.clone(), schema, &location)
            }
            // Another name for the schema it points at.
            ReferenceOr::Reference { .. } => {
                lowerer.lower_type(schema, &location).map(|(ty, _)| {
                    lowerer.models.push(Model {
                        name: name.clone(),
                        description: None,
                        kind: ModelKind::Alias(ty),
                        request_side: false,
                    });
                })
            }
        };
        // A schema the generator cannot type is any JSON value, under its name.
        if let Err(mut problem) = lowered {
            problem.message.push_str("; read as any JSON value");
            lowerer.problems.push(problem);
            if !lowerer.models.iter().any(|model| model.name == name) {
                lowerer.models.push(Model {
                    name,
                    description: Some(format!(
                        "`{key}`, read as any JSON value (the generator could not type it)."
                    )),
                    kind: ModelKind::Alias(Ty::Json),
                    request_side: false,
                });
            }
        }
    }
    // Without servers, OpenAPI's default is `/`: relative to where the spec is served, so a
    // client must be given the base URL (`MissingServerUrl` until it is).
    let implied = openapiv3::Server {
        url: "/".into(),
        description: Some("The spec names no server: give the base URL.".into()),
        ..openapiv3::Server::default()
    };
    let default = spec.servers.first().unwrap_or(&implied);
    let variant = rust_name(default).unwrap_or_else(|| "Default".into());
    let variables = lowerer.server_variables(&variant, default);
    lowerer.servers.push(Server {
        variant,
        url: default.url.clone(),
        description: text(&default.description),
        variables,
    });
    // The spec's other servers (another API of the vendor that takes the same token, say) get
    // variants too, so that requests to any endpoint can name them; operations use the first.
    for (index, server) in spec.servers.iter().enumerate().skip(1) {
        let variant =
            lowerer.server_variant(std::slice::from_ref(server), &format!("#/servers/{index}"));
        lowerer.record(variant);
    }
    let groups = lowerer.lower_paths();
    let request_server = match request_server(spec, &lowerer.servers) {
        Ok(server) => server,
        Err(problem) => {
            lowerer.problems.push(problem);
            None
        }
    };
    let client_headers = lowerer.client_headers;
    let mut models = lowerer.models;
    box_cycles(&mut models);
    mark_constants(&mut models);
    mark_request_side(&mut models, &groups);
    let api = Api {
        name: String::new(),
        title: spec.info.title.clone(),
        description: text(&spec.info.description),
        servers: lowerer.servers,
        request_server,
        client_headers,
        models,
        groups,
    };
    (api, lowerer.problems)
}

/// The server `Client::request()` uses: the one `x-rust: {request-server: ..}` names, else
/// the spec's only server. With several and none named, which one a request to "any endpoint"
/// goes to is not the order of a YAML list: `request()` is left out, with a warning.
fn request_server(spec: &OpenAPI, servers: &[Server]) -> Result<Option<String>> {
    let named = spec
        .extensions
        .get("x-rust")
        .and_then(|rust| rust.get("request-server"));
    let variants = || {
        servers
            .iter()
            .map(|server| format!("`{}`", server.variant))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match named {
        Some(serde_json::Value::String(name)) => {
            match servers.iter().find(|server| &server.variant == name) {
                Some(server) => Ok(Some(server.variant.clone())),
                None => reject(
                    "#/x-rust/request-server",
                    format!(
                        "names no server (the variants are {}); `request()` is left out",
                        variants()
                    ),
                ),
            }
        }
        Some(_) => reject(
            "#/x-rust/request-server",
            "expected the name of a `Server` variant; `request()` is left out",
        ),
        None if spec.servers.len() <= 1 => Ok(servers.first().map(|s| s.variant.clone())),
        None => reject(
            "#/servers",
            format!(
                "{} servers and none named for `Client::request()`: name one with \
                 `x-rust: {{request-server: <variant>}}` (the variants are {}); `request()` is \
                 left out, `request_to(server, ..)` remains",
                spec.servers.len(),
                variants()
            ),
        ),
    }
}

/// The header parameters the client sets once (`x-client-headers: { names: [...] }`).
fn client_headers(spec: &OpenAPI) -> Result<Vec<String>> {
    let Some(value) = spec.extensions.get("x-client-headers") else {
        return Ok(Vec::new());
    };
    let names = value.get("names").and_then(|names| names.as_array());
    let names: Option<Vec<String>> = names.map(|names| {
        names
            .iter()
            .filter_map(|name| name.as_str().map(str::to_owned))
            .collect()
    });
    match names {
        Some(names) => Ok(names),
        None => reject("#/x-client-headers", "expected { names: [header names] }"),
    }
}

impl<'a> Lowerer<'a> {
    /// Keeps `result`'s value, or records its problem and gives `None`.
    fn record<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(problem) => {
                self.problems.push(problem);
                None
            }
        }
    }
}

/// Marks each required field whose type is a string enum of one value as that constant.
fn mark_constants(models: &mut [Model]) {
    let single: HashMap<String, String> = models
        .iter()
        .filter_map(|model| match &model.kind {
            ModelKind::StringEnum(variants) if variants.len() == 1 => {
                Some((model.name.clone(), variants[0].0.clone()))
            }
            _ => None,
        })
        .collect();
    for model in models {
        if let ModelKind::Struct(fields) = &mut model.kind {
            for field in fields.iter_mut().filter(|field| field.required) {
                if let Ty::Named(name) = &field.ty {
                    field.constant = single.get(name).cloned();
                }
            }
        }
    }
}

/// Boxes every reference from a model to one that (directly or not) holds it in place again:
/// such types would have no size. A `Vec` or a map holds its items on the heap and breaks a
/// cycle by itself; a struct's field, a union's member and an alias do not. The references
/// boxed are those within one strongly connected group of models (Tarjan's algorithm).
fn box_cycles(models: &mut [Model]) {
    let index: HashMap<String, usize> = models
        .iter()
        .enumerate()
        .map(|(i, model)| (model.name.clone(), i))
        .collect();
    /// The models `ty` holds in place.
    fn held(ty: &Ty) -> Option<&str> {
        match ty {
            Ty::Named(name) => Some(name),
            _ => None,
        }
    }
    let edges: Vec<Vec<usize>> = models
        .iter()
        .map(|model| {
            let types: Vec<&Ty> = match &model.kind {
                ModelKind::Struct(fields) => fields.iter().map(|f| &f.ty).collect(),
                ModelKind::Union { variants, .. } | ModelKind::AnyOf(variants) => {
                    variants.iter().map(|v| &v.ty).collect()
                }
                ModelKind::Alias(ty) => vec![ty],
                _ => Vec::new(),
            };
            types
                .into_iter()
                .filter_map(held)
                .filter_map(|name| index.get(name).copied())
                .collect()
        })
        .collect();
    // Tarjan's strongly connected components, iteratively.
    let count = models.len();
    let mut order = vec![usize::MAX; count];
    let mut low = vec![0; count];
    let mut on_stack = vec![false; count];
    let mut stack = Vec::new();
    let mut component = vec![usize::MAX; count];
    let mut next = 0;
    let mut components = 0;
    for start in 0..count {
        if order[start] != usize::MAX {
            continue;
        }
        let mut calls: Vec<(usize, usize)> = vec![(start, 0)];
        while let Some(&mut (node, ref mut edge)) = calls.last_mut() {
            if *edge == 0 && order[node] == usize::MAX {
                order[node] = next;
                low[node] = next;
                next += 1;
                stack.push(node);
                on_stack[node] = true;
            }
            if let Some(&to) = edges[node].get(*edge) {
                *edge += 1;
                if order[to] == usize::MAX {
                    calls.push((to, 0));
                } else if on_stack[to] {
                    low[node] = low[node].min(order[to]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[node]);
            }
            if low[node] == order[node] {
                while let Some(member) = stack.pop() {
                    on_stack[member] = false;
                    component[member] = components;
                    if member == node {
                        break;
                    }
                }
                components += 1;
            }
        }
    }
    let cyclic = |from: usize, ty: &Ty| {
        held(ty)
            .and_then(|name| index.get(name))
            .is_some_and(|&to| component[to] == component[from])
    };
    let boxed = |ty: &mut Ty| {
        let inner = std::mem::replace(ty, Ty::Json);
        *ty = Ty::Boxed(Box::new(inner));
    };
    for (from, model) in models.iter_mut().enumerate() {
        match &mut model.kind {
            ModelKind::Struct(fields) => {
                for field in fields {
                    if cyclic(from, &field.ty) {
                        boxed(&mut field.ty);
                    }
                }
            }
            ModelKind::Union { variants, .. } | ModelKind::AnyOf(variants) => {
                for variant in variants {
                    if cyclic(from, &variant.ty) {
                        boxed(&mut variant.ty);
                    }
                }
            }
            _ => {}
        }
    }
}
