//! Servers to the variants of the generated `Server` enum, and the variables of templated ones.

use super::*;

/// A server's `x-rust-name`: the name of its `Server` variant.
pub(super) fn rust_name(server: &openapiv3::Server) -> Option<String> {
    server
        .extensions
        .get("x-rust-name")
        .and_then(|name| name.as_str())
        .map(str::to_owned)
}

impl<'a> Lowerer<'a> {
    /// The `Server` variant of an operation's servers (the spec's first server when it has
    /// none of its own).
    pub(super) fn server_variant(
        &mut self,
        servers: &[openapiv3::Server],
        location: &str,
    ) -> Result<String> {
        let Some(server) = servers.first() else {
            return Ok(self.servers[0].variant.clone());
        };
        if let Some(known) = self.servers.iter().find(|s| s.url == server.url) {
            return Ok(known.variant.clone());
        }
        // Its `x-rust-name`; else its host (`plex.tv` → `PlexTv`), with the path when another
        // server has the host (`PlexTvApi`); else, for a template or a relative URL, where it
        // stands (`Server2`, `Operation...`).
        let (host, path) = match server.url.split_once("://") {
            Some((_, rest)) => rest.split_once('/').unwrap_or((rest, "")),
            None => ("", server.url.as_str()),
        };
        let host = host.split(':').next().unwrap_or_default();
        let literal = !host.is_empty() && !host.contains('{');
        let candidates = match rust_name(server) {
            Some(name) => vec![name],
            None if literal => vec![
                pascal(&host.replace(['.', '-'], "_")),
                pascal(&format!("{host} {path}").replace(['.', '-', '/'], "_")),
            ],
            None => match location.strip_prefix("#/servers/") {
                Some(index) => vec![format!("Server{index}")],
                None => vec![format!("{}Server", self.name_from_location(location))],
            },
        };
        let taken = |name: &str| self.servers.iter().any(|s| s.variant == name);
        let variant = match candidates.iter().find(|name| !taken(name)) {
            Some(free) => free.clone(),
            None => unused(&candidates[0], "", taken),
        };
        let variables = self.server_variables(&variant, server);
        self.servers.push(Server {
            variant: variant.clone(),
            url: server.url.clone(),
            description: text(&server.description),
            variables,
        });
        Ok(variant)
    }

    /// The variables of a templated server, in the template's order; one with an `enum` gets a
    /// string enum of its own (`{Server}{Variable}`, such as `MediaServerProtocol`).
    pub(super) fn server_variables(
        &mut self,
        variant: &str,
        server: &openapiv3::Server,
    ) -> Vec<ServerVariable> {
        let Some(declared) = &server.variables else {
            return Vec::new();
        };
        let in_template = server
            .url
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next());
        let mut variables = Vec::new();
        for name in in_template {
            let declared = declared.get(name);
            let default = declared.map(|v| v.default.clone()).unwrap_or_default();
            let values = declared.map(|v| v.enumeration.clone()).unwrap_or_default();
            let ty = if values.is_empty() {
                Ty::String
            } else {
                let model = self.free_name(&type_name(&format!("{variant} {name}")));
                let schema = Schema {
                    schema_data: Default::default(),
                    schema_kind: SchemaKind::Type(Type::String(openapiv3::StringType {
                        enumeration: values.iter().cloned().map(Some).collect(),
                        ..Default::default()
                    })),
                };
                let names = enum_names(&schema, &values, |value| value.clone());
                self.models.push(Model {
                    name: model.clone(),
                    description: Some(format!(
                        "The values of `{name}` in the URL of `Server::{variant}`."
                    )),
                    kind: ModelKind::StringEnum(names.into_iter().zip(values).collect()),
                    request_side: true,
                });
                Ty::Named(model)
            };
            variables.push(ServerVariable {
                wire: name.to_owned(),
                rust: rust_field_name(name),
                ty,
                default,
                description: declared.and_then(|v| text(&v.description)),
            });
        }
        variables
    }
}
