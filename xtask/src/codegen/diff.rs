//! `cargo xtask spec-diff VENDOR FILE`: what a vendor's newly published spec changes against
//! ours, compared on the intermediate form (so wording, order and layout do not count).
//!
//! Operations are matched by method and full path (the server's path, then the operation's, with
//! parameter names left out), so that a spec that moves a prefix between its servers and its paths
//! still matches. For each operation both specs have, parameters, the request body, the statuses
//! and the fields of the bodies (down to a few levels of nested models) are compared; the servers
//! are compared as URLs.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::ir::{Api, ModelKind, Operation, ParamLocation, Status, Ty};

/// How deep nested models are followed when their fields are listed.
const DEPTH: usize = 4;

/// What changed between two specs.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SpecDiff {
    /// Operations only the new spec has (`GET /api/v1/thing (getThing)`).
    pub added: Vec<String>,
    /// Operations only ours has.
    pub removed: Vec<String>,
    /// For each operation both have: the differences, one line each (`+` added in the new spec,
    /// `-` only in ours, `~` changed, ours first).
    pub changed: BTreeMap<String, Vec<String>>,
    /// Server URLs only the new spec has.
    pub servers_added: Vec<String>,
    /// Server URLs only ours has.
    pub servers_removed: Vec<String>,
}

impl SpecDiff {
    /// Whether the specs agree on everything compared.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.servers_added.is_empty()
            && self.servers_removed.is_empty()
    }
}

impl fmt::Display for SpecDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return writeln!(
                f,
                "no differences in operations, parameters, fields, statuses or servers"
            );
        }
        for url in &self.servers_added {
            writeln!(f, "+ server {url}")?;
        }
        for url in &self.servers_removed {
            writeln!(f, "- server {url}")?;
        }
        if !self.added.is_empty() {
            writeln!(f, "only in the new spec ({}):", self.added.len())?;
            for operation in &self.added {
                writeln!(f, "  + {operation}")?;
            }
        }
        if !self.removed.is_empty() {
            writeln!(f, "only in ours ({}):", self.removed.len())?;
            for operation in &self.removed {
                writeln!(f, "  - {operation}")?;
            }
        }
        for (operation, lines) in &self.changed {
            writeln!(f, "{operation}:")?;
            for line in lines {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

/// Compares `ours` with `theirs`, the vendor's new spec.
pub fn diff(ours: &Api, theirs: &Api) -> SpecDiff {
    let ours_ops = operations(ours);
    let theirs_ops = operations(theirs);
    let mut diff = SpecDiff::default();
    for (key, operation) in &theirs_ops {
        if !ours_ops.contains_key(key) {
            diff.added
                .push(format!("{key} ({})", operation.operation_id));
        }
    }
    for (key, operation) in &ours_ops {
        let Some(new) = theirs_ops.get(key) else {
            diff.removed
                .push(format!("{key} ({})", operation.operation_id));
            continue;
        };
        let lines = operation_diff(ours, operation, theirs, new);
        if !lines.is_empty() {
            diff.changed
                .insert(format!("{key} ({})", operation.operation_id), lines);
        }
    }
    let urls =
        |api: &Api| -> BTreeSet<String> { api.servers.iter().map(|s| s.url.clone()).collect() };
    let (ours_urls, theirs_urls) = (urls(ours), urls(theirs));
    diff.servers_added = theirs_urls.difference(&ours_urls).cloned().collect();
    diff.servers_removed = ours_urls.difference(&theirs_urls).cloned().collect();
    diff
}

/// The operations of `api` by `METHOD /full/path/{}`.
fn operations(api: &Api) -> BTreeMap<String, &Operation> {
    api.groups
        .iter()
        .flat_map(|group| &group.operations)
        .map(|operation| {
            let server = api
                .servers
                .iter()
                .find(|server| server.variant == operation.server)
                .map(|server| server_path(&server.url))
                .unwrap_or_default();
            let path = format!("{server}{}", operation.path);
            (
                format!("{} {}", operation.method, anonymous(&path)),
                operation,
            )
        })
        .collect()
}

/// The path part of a server URL (`https://plex.tv/api/v2` → `/api/v2`).
fn server_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path = if url.contains("://") {
        rest.find('/').map_or("", |at| &rest[at..])
    } else {
        rest
    };
    path.trim_end_matches('/').to_owned()
}

/// A path with its parameters' names left out (`/user/{id}` → `/user/{}`).
fn anonymous(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

fn operation_diff(
    ours_api: &Api,
    ours: &Operation,
    theirs_api: &Api,
    theirs: &Operation,
) -> Vec<String> {
    let mut lines = Vec::new();
    // Parameters, by place and name (path parameters by position: their names may differ).
    let params = |api: &Api, operation: &Operation| -> BTreeMap<String, String> {
        let mut path_index = 0;
        operation
            .params
            .iter()
            .map(|param| {
                let key = match param.location {
                    ParamLocation::Path => {
                        path_index += 1;
                        format!("path parameter {path_index}")
                    }
                    ParamLocation::Query => format!("query parameter {}", param.wire),
                    ParamLocation::Header => format!("header {}", param.wire.to_ascii_lowercase()),
                    ParamLocation::Cookie => format!("cookie {}", param.wire),
                };
                let required = if param.required {
                    "required"
                } else {
                    "optional"
                };
                (key, format!("{} ({required})", shape(api, &param.ty)))
            })
            .collect()
    };
    compare(
        &mut lines,
        &params(ours_api, ours),
        &params(theirs_api, theirs),
    );
    // Statuses.
    let statuses = |operation: &Operation| -> BTreeSet<String> {
        operation
            .successes
            .iter()
            .chain(&operation.errors)
            .map(|outcome| outcome.status)
            .chain(operation.redirects.iter().copied())
            .map(|status| match status {
                Status::Code(code) => code.to_string(),
                Status::Range(hundreds) => format!("{hundreds}XX"),
                Status::Default => "default".to_owned(),
            })
            .collect()
    };
    let (ours_statuses, theirs_statuses) = (statuses(ours), statuses(theirs));
    for status in theirs_statuses.difference(&ours_statuses) {
        lines.push(format!("+ status {status}"));
    }
    for status in ours_statuses.difference(&theirs_statuses) {
        lines.push(format!("- status {status}"));
    }
    // The request body and the success body, field by field.
    let fields = |api: &Api, operation: &Operation| -> BTreeMap<String, String> {
        let mut fields = BTreeMap::new();
        if let Some(body) = &operation.body {
            flatten(api, "request", &body.ty, DEPTH, &mut fields);
        }
        if let Some(ty) = operation
            .successes
            .iter()
            .find_map(|outcome| outcome.ty.as_ref())
        {
            flatten(api, "response", ty, DEPTH, &mut fields);
        }
        fields
    };
    compare(
        &mut lines,
        &fields(ours_api, ours),
        &fields(theirs_api, theirs),
    );
    lines
}

/// Lines for the entries of two maps: `+` only in theirs, `-` only in ours, `~` different.
fn compare(
    lines: &mut Vec<String>,
    ours: &BTreeMap<String, String>,
    theirs: &BTreeMap<String, String>,
) {
    for (key, value) in theirs {
        match ours.get(key) {
            None => lines.push(format!("+ {key}: {value}")),
            Some(own) if own != value => lines.push(format!("~ {key}: {own} → {value}")),
            Some(_) => {}
        }
    }
    for (key, value) in ours {
        if !theirs.contains_key(key) {
            lines.push(format!("- {key}: {value}"));
        }
    }
}

/// The fields under `ty`, by path (`response.user.email`), with their shapes (`string`,
/// `integer (optional)`).
fn flatten(api: &Api, path: &str, ty: &Ty, depth: usize, out: &mut BTreeMap<String, String>) {
    flatten_field(api, path, ty, false, depth, out);
}

fn flatten_field(
    api: &Api,
    path: &str,
    ty: &Ty,
    optional: bool,
    depth: usize,
    out: &mut BTreeMap<String, String>,
) {
    let shown = shape(api, ty);
    out.insert(
        path.to_owned(),
        if optional {
            format!("{shown} (optional)")
        } else {
            shown
        },
    );
    let mut ty = ty;
    let mut path = path.to_owned();
    while let Ty::Vec(inner) = ty {
        ty = inner;
        path.push_str("[]");
    }
    let Ty::Named(name) = ty else { return };
    if depth == 0 {
        return;
    }
    let Some(model) = api.models.iter().find(|model| &model.name == name) else {
        return;
    };
    if let ModelKind::Struct(fields) = &model.kind {
        for field in fields {
            let field_path = format!("{path}.{}", field.wire);
            flatten_field(
                api,
                &field_path,
                &field.ty,
                field.optional(),
                depth - 1,
                out,
            );
        }
    }
}

/// A type described without its Rust name (names differ between specs written apart): the plain
/// type, or the model's kind.
fn shape(api: &Api, ty: &Ty) -> String {
    match ty {
        // `format: password` is ours to add (our specs mark secrets): not a difference.
        Ty::String | Ty::Secret => "string".into(),
        Ty::Bool => "boolean".into(),
        Ty::I32 | Ty::I64 => "integer".into(),
        Ty::F64 => "number".into(),
        Ty::Vec(inner) => format!("array of {}", shape(api, inner)),
        Ty::JsonObject => "object".into(),
        Ty::Json => "any".into(),
        Ty::Map(inner) => format!("map of {}", shape(api, inner)),
        Ty::Boxed(inner) => shape(api, inner),
        Ty::Named(name) => match api
            .models
            .iter()
            .find(|model| &model.name == name)
            .map(|m| &m.kind)
        {
            Some(ModelKind::Struct(_)) => "object".into(),
            Some(ModelKind::StringEnum(values)) => format!(
                "string enum [{}]",
                values
                    .iter()
                    .map(|(_, value)| value.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(ModelKind::IntEnum(values)) => format!(
                "integer enum [{}]",
                values
                    .iter()
                    .map(|(_, value)| value.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(ModelKind::Union { .. }) => "one of".into(),
            Some(ModelKind::AnyOf(_)) => "any of".into(),
            Some(ModelKind::Alias(inner)) => shape(api, inner),
            Some(ModelKind::Headers(_)) | None => name.clone(),
        },
    }
}
