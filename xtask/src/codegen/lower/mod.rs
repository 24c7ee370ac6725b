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
    let client_headers = lowerer.client_headers;
    let mut models = lowerer.models;
    mark_request_side(&mut models, &groups);
    let api = Api {
        name: String::new(),
        title: spec.info.title.clone(),
        description: text(&spec.info.description),
        servers: lowerer.servers,
        client_headers,
        models,
        groups,
    };
    (api, lowerer.problems)
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
