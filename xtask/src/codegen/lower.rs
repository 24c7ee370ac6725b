//! Reads an `openapiv3` document into the intermediate form, rejecting what the generator does not
//! support with the location of the offending part.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use openapiv3::{
    APIKeyLocation, Components, IntegerFormat, OpenAPI, Parameter, ParameterSchemaOrContent,
    ReferenceOr, Schema, SchemaKind, SecurityScheme, StatusCode, StringFormat, Type,
    VariantOrUnknownOrEmpty,
};

use super::ir::*;
use super::names::{pascal, snake, words};

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

/// A type name for a spec name: `PascalCase`, starting with a letter (`40x Response` →
/// `Schema40xResponse`), never `Self`.
fn type_name(raw: &str) -> String {
    let name = pascal(raw);
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) && name != "Self" {
        name
    } else {
        format!("Schema{name}")
    }
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

const JSON: &str = "application/json";
const FORM: &str = "application/x-www-form-urlencoded";
const SCHEMAS: &str = "#/components/schemas/";

struct Lowerer<'a> {
    spec: &'a OpenAPI,
    /// Component key → model name.
    names: HashMap<&'a str, String>,
    /// Component key → discriminator property its union member struct leaves out.
    strip: HashMap<&'a str, String>,
    models: Vec<Model>,
    servers: Vec<Server>,
    client_headers: Vec<String>,
    /// What was refused so far; lowering goes on past each.
    problems: Vec<LowerError>,
}

/// Lowers `spec`, or reports every problem found: each component schema, server and operation
/// is lowered on its own, so that one that is refused does not hide the others' problems.
pub fn lower(spec: &OpenAPI) -> std::result::Result<Api, Vec<LowerError>> {
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
        servers: Vec::new(),
        client_headers,
        problems,
    };
    // Names are needed by everything after: without them, stop here.
    if let Err(problem) = lowerer.name_components() {
        lowerer.problems.push(problem);
        return Err(lowerer.problems);
    }
    let schemas = spec.components.iter().flat_map(|c| &c.schemas);
    for (key, schema) in schemas {
        let location = format!("{SCHEMAS}{}", pointer(key));
        let lowered = match schema {
            ReferenceOr::Item(schema) => {
                let name = lowerer.names[key.as_str()].clone();
                lowerer.lower_model(Some(key), name, schema, &location)
            }
            ReferenceOr::Reference { .. } => {
                reject(&location, "a component schema must not be a bare $ref")
            }
        };
        lowerer.record(lowered);
    }
    match spec.servers.first() {
        Some(default) => lowerer.servers.push(Server {
            variant: rust_name(default).unwrap_or_else(|| "Default".into()),
            url: default.url.clone(),
            description: default.description.clone(),
        }),
        None => {
            lowerer.problems.push(LowerError {
                location: "#/servers".into(),
                message: "the spec needs a server".into(),
            });
            return Err(lowerer.problems);
        }
    }
    // The spec's other servers (another API of the vendor that takes the same token, say) get
    // variants too, so that requests to any endpoint can name them; operations use the first.
    for (index, server) in spec.servers.iter().enumerate().skip(1) {
        let variant =
            lowerer.server_variant(std::slice::from_ref(server), &format!("#/servers/{index}"));
        lowerer.record(variant);
    }
    let groups = lowerer.lower_paths();
    if !lowerer.problems.is_empty() {
        return Err(lowerer.problems);
    }
    let client_headers = lowerer.client_headers;
    let mut models = lowerer.models;
    mark_request_side(&mut models, &groups);
    Ok(Api {
        name: String::new(),
        title: spec.info.title.clone(),
        description: spec.info.description.clone(),
        servers: lowerer.servers,
        client_headers,
        models,
        groups,
    })
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
    fn name_components(&mut self) -> Result<()> {
        let Some(components) = &self.spec.components else {
            return Ok(());
        };
        let mut taken = BTreeSet::new();
        for (key, schema) in &components.schemas {
            let title = schema
                .as_item()
                .and_then(|s| s.schema_data.title.as_deref());
            // The title names it; a title another schema has, its key; then a number.
            let mut name = type_name(title.unwrap_or(key));
            if taken.contains(&name) {
                name = type_name(key);
            }
            if taken.contains(&name) {
                name = (2..)
                    .map(|n| format!("{name}{n}"))
                    .find(|candidate| !taken.contains(candidate))
                    .unwrap_or_default();
            }
            taken.insert(name.clone());
            self.names.insert(key, name);
            if let Some(Schema {
                schema_data,
                schema_kind: SchemaKind::OneOf { one_of },
            }) = schema.as_item()
                && let Some(discriminator) = &schema_data.discriminator
            {
                for member in one_of {
                    if let ReferenceOr::Reference { reference } = member
                        && let Some(member_key) = reference.strip_prefix(SCHEMAS)
                    {
                        let member_key = components
                            .schemas
                            .get_key_value(member_key)
                            .map(|(k, _)| k.as_str())
                            .unwrap_or_default();
                        self.strip
                            .insert(member_key, discriminator.property_name.clone());
                    }
                }
            }
        }
        Ok(())
    }

    /// Whether a model already has `name`.
    fn is_taken(&self, name: &str) -> bool {
        self.models.iter().any(|m| m.name == name) || self.names.values().any(|n| n == name)
    }

    /// `name`, or the first of `name2`, `name3`, ... no model has.
    fn free_name(&self, name: &str) -> String {
        if !self.is_taken(name) {
            return name.to_owned();
        }
        (2..)
            .map(|n| format!("{name}{n}"))
            .find(|candidate| !self.is_taken(candidate))
            .unwrap_or_default()
    }

    /// A name for the schema written in place at `location`, made of where it stands: the
    /// component or the operation it belongs to, then the way down to it (property names,
    /// `Item` for array items, `Request`, `Response` and the error status, `Variant`/`Part`
    /// and the index for oneOf/allOf members). The same spec gives the same names.
    fn name_from_location(&self, location: &str) -> String {
        let segments: Vec<String> = location
            .trim_start_matches("#/")
            .split('/')
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut parts: Vec<String> = Vec::new();
        let mut rest: &[String] = &[];
        match segments.as_slice() {
            [components, schemas, key, tail @ ..]
                if components == "components" && schemas == "schemas" =>
            {
                parts.push(
                    self.names
                        .get(key.as_str())
                        .cloned()
                        .unwrap_or_else(|| pascal(key)),
                );
                rest = tail;
            }
            [paths, path, method, tail @ ..] if paths == "paths" => {
                let operation_id = self
                    .spec
                    .paths
                    .paths
                    .get(path.as_str())
                    .and_then(ReferenceOr::as_item)
                    .and_then(|item| item.iter().find(|(m, _)| m == method))
                    .and_then(|(_, operation)| operation.operation_id.clone());
                parts.push(pascal(
                    &operation_id.unwrap_or_else(|| format!("{method} {path}")),
                ));
                rest = tail;
            }
            _ => parts.push("Inline".into()),
        }
        let mut index = 0;
        while index < rest.len() {
            let segment = rest[index].as_str();
            let next = rest.get(index + 1).map(String::as_str);
            match (segment, next) {
                ("properties", Some(property)) => {
                    parts.push(pascal(property));
                    index += 1;
                }
                ("items", _) => parts.push("Item".into()),
                ("additionalProperties", _) => parts.push("Value".into()),
                ("oneOf" | "anyOf", Some(n)) => {
                    parts.push(format!("Variant{n}"));
                    index += 1;
                }
                ("allOf", Some(n)) => {
                    parts.push(format!("Part{n}"));
                    index += 1;
                }
                ("requestBody", _) => parts.push("Request".into()),
                ("responses", Some(status)) => {
                    parts.push(if status.starts_with('2') {
                        "Response".into()
                    } else {
                        format!("Error{status}")
                    });
                    index += 1;
                }
                ("parameters", Some(n)) => {
                    parts.push(format!("Param{n}"));
                    index += 1;
                }
                // `content/<media type>/schema` and the like add nothing.
                ("content", Some(_)) => index += 1,
                _ => {}
            }
            index += 1;
        }
        type_name(&parts.join(" "))
    }

    /// The component key a schema `$ref` points at.
    fn schema_key(&self, reference: &str, location: &str) -> Result<&'a str> {
        let key = reference.strip_prefix(SCHEMAS).unwrap_or_default();
        match self
            .spec
            .components
            .as_ref()
            .and_then(|c| c.schemas.get_key_value(key))
        {
            Some((key, _)) => Ok(key),
            None => reject(location, format!("unresolved reference {reference}")),
        }
    }

    fn component_schema(&self, key: &str) -> Option<&'a Schema> {
        self.spec.components.as_ref()?.schemas.get(key)?.as_item()
    }

    fn lower_model(
        &mut self,
        key: Option<&str>,
        name: String,
        schema: &Schema,
        location: &str,
    ) -> Result<()> {
        let kind = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                let skip = key.and_then(|key| self.strip.get(key)).cloned();
                ModelKind::Struct(self.fields(
                    &object.properties,
                    &object.required,
                    skip.as_deref(),
                    location,
                )?)
            }
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let mut variants = Vec::new();
                for value in string.enumeration.iter().flatten() {
                    let variant = pascal(value);
                    if variant.is_empty() || variant == "Unknown" {
                        return reject(
                            location,
                            format!("enum value {value:?} has no usable Rust name"),
                        );
                    }
                    variants.push((variant, value.clone()));
                }
                unique(variants.iter().map(|(v, _)| v), location)?;
                ModelKind::StringEnum(variants)
            }
            SchemaKind::Type(Type::Integer(integer)) if !integer.enumeration.is_empty() => {
                let names = schema
                    .schema_data
                    .extensions
                    .get("x-enum-varnames")
                    .and_then(|names| names.as_array());
                let values: Vec<i64> = integer.enumeration.iter().flatten().copied().collect();
                let Some(names) = names.filter(|names| names.len() == values.len()) else {
                    return reject(
                        location,
                        "an integer enum needs x-enum-varnames, one name per value",
                    );
                };
                let variants: Vec<(String, i64)> = names
                    .iter()
                    .zip(values)
                    .map(|(name, value)| (pascal(name.as_str().unwrap_or_default()), value))
                    .collect();
                if variants
                    .iter()
                    .any(|(name, _)| name.is_empty() || name == "Unknown")
                {
                    return reject(
                        location,
                        "x-enum-varnames must be non-empty names other than Unknown",
                    );
                }
                unique(variants.iter().map(|(v, _)| v), location)?;
                ModelKind::IntEnum(variants)
            }
            SchemaKind::AllOf { all_of } => {
                let mut fields = Vec::new();
                for (index, member) in all_of.iter().enumerate() {
                    let member_location = format!("{location}/allOf/{index}");
                    fields.extend(self.all_of_member(member, &member_location)?);
                }
                unique(fields.iter().map(|f| &f.wire), location)?;
                ModelKind::Struct(fields)
            }
            SchemaKind::OneOf { one_of } => self.union(&name, schema, one_of, location)?,
            _ => {
                return reject(
                    location,
                    "a named schema must be an object, a string or integer enum, a oneOf or an allOf",
                );
            }
        };
        self.models.push(Model {
            name,
            description: schema.schema_data.description.clone(),
            kind,
            request_side: false,
        });
        Ok(())
    }

    fn all_of_member(
        &mut self,
        member: &ReferenceOr<Schema>,
        location: &str,
    ) -> Result<Vec<Field>> {
        let (schema, location) = match member {
            ReferenceOr::Reference { reference } => {
                let key = self.schema_key(reference, location)?;
                let schema = self.component_schema(key).ok_or_else(|| LowerError {
                    location: location.to_owned(),
                    message: format!("{reference} is not a schema"),
                })?;
                (schema, format!("{SCHEMAS}{}", pointer(key)))
            }
            ReferenceOr::Item(schema) => (schema, location.to_owned()),
        };
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => {
                self.fields(&object.properties, &object.required, None, &location)
            }
            SchemaKind::AllOf { all_of } => {
                let mut fields = Vec::new();
                for (index, member) in all_of.iter().enumerate() {
                    fields
                        .extend(self.all_of_member(member, &format!("{location}/allOf/{index}"))?);
                }
                Ok(fields)
            }
            _ => reject(
                &location,
                "allOf members must be objects (or allOfs of objects)",
            ),
        }
    }

    fn union(
        &mut self,
        name: &str,
        schema: &Schema,
        one_of: &[ReferenceOr<Schema>],
        location: &str,
    ) -> Result<ModelKind> {
        let discriminator = schema.schema_data.discriminator.as_ref();
        let mut variants = Vec::new();
        for (index, member) in one_of.iter().enumerate() {
            let member_location = format!("{location}/oneOf/{index}");
            let ReferenceOr::Reference { reference } = member else {
                return reject(
                    &member_location,
                    "oneOf members must be $refs to named schemas",
                );
            };
            let key = self.schema_key(reference, &member_location)?;
            let model = self.names[key].clone();
            let tag_value = match discriminator {
                None => None,
                Some(discriminator) => {
                    let property = &discriminator.property_name;
                    let has_property = matches!(
                        self.component_schema(key).map(|s| &s.schema_kind),
                        Some(SchemaKind::Type(Type::Object(object)))
                            if object.properties.contains_key(property)
                                && object.required.contains(property)
                    );
                    if !has_property {
                        return reject(
                            &member_location,
                            format!(
                                "{reference} must be an object with the required discriminator property {property}"
                            ),
                        );
                    }
                    let mapped = discriminator
                        .mapping
                        .iter()
                        .find(|(_, target)| *target == reference)
                        .map(|(value, _)| value.clone());
                    Some(mapped.unwrap_or_else(|| key.to_owned()))
                }
            };
            variants.push(UnionVariant {
                name: variant_name(name, &model),
                model,
                tag_value,
            });
        }
        unique(variants.iter().map(|v| &v.name), location)?;
        unique(variants.iter().map(|v| &v.model), location)?;
        Ok(ModelKind::Union {
            variants,
            tag: discriminator.map(|d| d.property_name.clone()),
        })
    }

    fn fields(
        &mut self,
        properties: &indexmap::IndexMap<String, ReferenceOr<Box<Schema>>>,
        required: &[String],
        skip: Option<&str>,
        location: &str,
    ) -> Result<Vec<Field>> {
        if let Some(missing) = required.iter().find(|name| !properties.contains_key(*name)) {
            return reject(
                location,
                format!("required property {missing} is not defined"),
            );
        }
        let mut fields = Vec::new();
        for (wire, schema) in properties {
            if Some(wire.as_str()) == skip {
                continue;
            }
            let field_location = format!("{location}/properties/{}", pointer(wire));
            let (ty, nullable) = self.lower_type(schema, &field_location)?;
            let data = match schema {
                ReferenceOr::Item(schema) => Some(&schema.schema_data),
                ReferenceOr::Reference { .. } => None,
            };
            fields.push(Field {
                wire: wire.clone(),
                rust: rust_field_name(wire),
                ty,
                required: required.contains(wire),
                nullable,
                description: data.and_then(|d| d.description.clone()),
                deprecated: data.is_some_and(|d| d.deprecated),
            });
        }
        unique(fields.iter().map(|f| &f.rust), location)?;
        Ok(fields)
    }

    /// The Rust type of a schema used in place, and whether it is nullable.
    fn lower_type<S: std::borrow::Borrow<Schema>>(
        &mut self,
        schema: &ReferenceOr<S>,
        location: &str,
    ) -> Result<(Ty, bool)> {
        let schema = match schema {
            ReferenceOr::Reference { reference } => {
                let key = self.schema_key(reference, location)?;
                return Ok((Ty::Named(self.names[key].clone()), false));
            }
            ReferenceOr::Item(schema) => schema.borrow(),
        };
        let nullable = schema.schema_data.nullable;
        let named = |this: &mut Self| -> Result<Ty> {
            // Its title names it; without one, or when the title is taken, where it stands does.
            let name = schema
                .schema_data
                .title
                .as_deref()
                .map(type_name)
                .filter(|name| !this.is_taken(name))
                .unwrap_or_else(|| this.free_name(&this.name_from_location(location)));
            this.lower_model(None, name.clone(), schema, location)?;
            Ok(Ty::Named(name))
        };
        let ty = match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) if string.enumeration.is_empty() => {
                match string.format {
                    VariantOrUnknownOrEmpty::Item(StringFormat::Password) => Ty::Secret,
                    VariantOrUnknownOrEmpty::Item(StringFormat::Binary | StringFormat::Byte) => {
                        return reject(location, "binary strings are not supported");
                    }
                    _ => Ty::String,
                }
            }
            SchemaKind::Type(Type::Integer(integer)) if integer.enumeration.is_empty() => {
                match integer.format {
                    VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => Ty::I32,
                    _ => Ty::I64,
                }
            }
            SchemaKind::Type(Type::Number(_)) => Ty::F64,
            SchemaKind::Type(Type::Boolean(_)) => Ty::Bool,
            SchemaKind::Type(Type::Array(array)) => {
                let Some(items) = &array.items else {
                    return reject(location, "an array needs items");
                };
                let (item, item_nullable) = self.lower_type(items, &format!("{location}/items"))?;
                if item_nullable {
                    return reject(location, "nullable array items are not supported");
                }
                Ty::Vec(Box::new(item))
            }
            SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => {
                Ty::JsonObject
            }
            SchemaKind::Type(_) | SchemaKind::AllOf { .. } | SchemaKind::OneOf { .. } => {
                named(self)?
            }
            SchemaKind::AnyOf { .. } => {
                return reject(location, "anyOf is not supported; use oneOf");
            }
            SchemaKind::Not { .. } => return reject(location, "not is not supported"),
            SchemaKind::Any(_) => return reject(location, "a schema needs a type (or a $ref)"),
        };
        Ok((ty, nullable))
    }

    /// The `Server` variant of an operation's servers (the spec's first server when it has
    /// none of its own).
    fn server_variant(&mut self, servers: &[openapiv3::Server], location: &str) -> Result<String> {
        let Some(server) = servers.first() else {
            return Ok(self.servers[0].variant.clone());
        };
        if let Some(known) = self.servers.iter().find(|s| s.url == server.url) {
            return Ok(known.variant.clone());
        }
        let host = server
            .url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|host| !host.is_empty() && !host.contains('{'));
        let variant = match (rust_name(server), host) {
            (Some(name), _) => name,
            (None, Some(host)) => pascal(&host.replace(['.', '-'], "_")),
            (None, None) => {
                return reject(
                    location,
                    "an operation's server needs a literal host or an x-rust-name",
                );
            }
        };
        if self.servers.iter().any(|s| s.variant == variant) {
            return reject(
                location,
                format!("two servers would both be named {variant}"),
            );
        }
        self.servers.push(Server {
            variant: variant.clone(),
            url: server.url.clone(),
            description: server.description.clone(),
        });
        Ok(variant)
    }

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

    /// The operations grouped by tag; a path item or operation that is refused is recorded and
    /// left out.
    fn lower_paths(&mut self) -> Vec<Group> {
        let mut groups: Vec<Group> = Vec::new();
        for (path, item) in &self.spec.paths.paths {
            let path_location = format!("#/paths/{}", pointer(path));
            let ReferenceOr::Item(item) = item else {
                self.record::<()>(reject(&path_location, "path items must not be $refs"));
                continue;
            };
            for (method, operation) in item.iter() {
                let location = format!("{path_location}/{method}");
                let merged = self.with_path_item(item, operation);
                let operation = merged.as_ref().unwrap_or(operation);
                let lowered = self.lower_operation(path, method, operation, &location);
                let Some(lowered) = self.record(lowered) else {
                    continue;
                };
                let Some(tag) = operation.tags.first() else {
                    self.record::<()>(reject(
                        &location,
                        "an operation needs a tag (it names the operation group)",
                    ));
                    continue;
                };
                let struct_name = format!("{}Api", pascal(tag));
                match groups.iter_mut().find(|g| g.struct_name == struct_name) {
                    Some(group) => group.operations.push(lowered),
                    None => groups.push(Group {
                        struct_name,
                        accessor: rust_field_name(tag),
                        tag: tag.clone(),
                        description: self
                            .spec
                            .tags
                            .iter()
                            .find(|t| &t.name == tag)
                            .and_then(|t| t.description.clone()),
                        operations: vec![lowered],
                    }),
                }
            }
        }
        let duplicates: Vec<LowerError> = groups
            .iter()
            .filter_map(|group| unique(group.operations.iter().map(|o| &o.name), "#/paths").err())
            .collect();
        self.problems.extend(duplicates);
        groups
    }

    /// `operation` with the parameters and servers its path item declares for all its
    /// operations, when it declares some: the operation's own parameter of the same name and
    /// place, and its own servers, win. `None` when the path item declares none.
    fn with_path_item(
        &self,
        item: &openapiv3::PathItem,
        operation: &openapiv3::Operation,
    ) -> Option<openapiv3::Operation> {
        if item.parameters.is_empty() && item.servers.is_empty() {
            return None;
        }
        let key = |parameter: &ReferenceOr<Parameter>| {
            resolve(
                self.spec,
                parameter,
                String::new(),
                "parameters",
                |components| &components.parameters,
            )
            .ok()
            .map(|(parameter, _)| {
                let data = parameter.parameter_data_ref();
                (data.name.clone(), std::mem::discriminant(parameter))
            })
        };
        let own: Vec<_> = operation.parameters.iter().filter_map(key).collect();
        let mut merged = operation.clone();
        merged.parameters = item
            .parameters
            .iter()
            .filter(|parameter| key(parameter).is_none_or(|key| !own.contains(&key)))
            .cloned()
            .chain(operation.parameters.iter().cloned())
            .collect();
        if merged.servers.is_empty() {
            merged.servers = item.servers.clone();
        }
        Some(merged)
    }

    fn lower_operation(
        &mut self,
        path: &str,
        method: &str,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<Operation> {
        let Some(operation_id) = &operation.operation_id else {
            return reject(
                location,
                "an operation needs an operationId (it names the method)",
            );
        };
        let name = rust_field_name(operation_id);
        let server = self.server_variant(&operation.servers, &format!("{location}/servers"))?;
        let params = self.params(path, operation, location)?;
        let body = match &operation.request_body {
            None => None,
            Some(body) => Some(self.body(body, &format!("{location}/requestBody"))?),
        };
        let security = self.security(operation, location)?;
        let (success, errors) = self.responses(operation, location)?;
        let idempotent = match operation.extensions.get("x-retry-safe") {
            None => matches!(method, "get" | "head" | "put" | "delete" | "options"),
            Some(serde_json::Value::Bool(safe)) => *safe,
            Some(_) => {
                return reject(
                    &format!("{location}/x-retry-safe"),
                    "x-retry-safe must be true or false",
                );
            }
        };
        Ok(Operation {
            idempotent,
            operation_id: operation_id.clone(),
            error_type: format!("{}Error", pascal(operation_id)),
            name,
            summary: operation.summary.clone(),
            description: operation.description.clone(),
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            server,
            params,
            body,
            security,
            success,
            errors,
        })
    }

    fn params(
        &mut self,
        path: &str,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<Vec<Param>> {
        let mut params = Vec::new();
        for (index, parameter) in operation.parameters.iter().enumerate() {
            let (parameter, param_location) = resolve(
                self.spec,
                parameter,
                format!("{location}/parameters/{index}"),
                "parameters",
                |components| &components.parameters,
            )?;
            let location_kind = match parameter {
                Parameter::Path { .. } => ParamLocation::Path,
                Parameter::Query { .. } => ParamLocation::Query,
                Parameter::Header { .. } => ParamLocation::Header,
                Parameter::Cookie { .. } => {
                    return reject(&param_location, "cookie parameters are not supported");
                }
            };
            let data = parameter.parameter_data_ref();
            if location_kind == ParamLocation::Header
                && self
                    .client_headers
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(&data.name))
            {
                continue;
            }
            let ParameterSchemaOrContent::Schema(schema) = &data.format else {
                return reject(
                    &param_location,
                    "parameters need a schema (content is not supported)",
                );
            };
            let (ty, _) = self.lower_type(schema, &format!("{param_location}/schema"))?;
            if matches!(ty, Ty::Vec(_) | Ty::JsonObject) || self.is_struct_or_union(&ty) {
                return reject(
                    &param_location,
                    "parameters must be strings, numbers, booleans or enums",
                );
            }
            if location_kind == ParamLocation::Path && !data.required {
                return reject(&param_location, "path parameters must be required");
            }
            params.push(Param {
                wire: data.name.clone(),
                rust: rust_field_name(&data.name),
                location: location_kind,
                ty,
                required: data.required,
                description: data.description.clone(),
            });
        }
        let in_template: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split('}').next())
            .collect();
        let declared: Vec<&str> = params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
            .map(|p| p.wire.as_str())
            .collect();
        let mut sorted_template = in_template.clone();
        sorted_template.sort_unstable();
        let mut sorted_declared = declared.clone();
        sorted_declared.sort_unstable();
        if sorted_template != sorted_declared {
            return reject(
                location,
                format!(
                    "the path names {in_template:?} but the operation declares path parameters {declared:?}"
                ),
            );
        }
        // Path parameters go first, in the order of the template.
        params.sort_by_key(|p| match p.location {
            ParamLocation::Path => in_template.iter().position(|n| *n == p.wire).unwrap_or(0),
            ParamLocation::Query => in_template.len(),
            ParamLocation::Header => in_template.len() + 1,
        });
        unique(params.iter().map(|p| &p.rust), location)?;
        Ok(params)
    }

    /// Whether `ty` names an object or a union. Every component schema is lowered before the
    /// paths, which are the only callers, so `self.models` holds every named type by then.
    fn is_struct_or_union(&self, ty: &Ty) -> bool {
        let Ty::Named(name) = ty else { return false };
        self.models
            .iter()
            .find(|m| &m.name == name)
            .is_some_and(|m| matches!(m.kind, ModelKind::Struct(_) | ModelKind::Union { .. }))
    }

    fn body(&mut self, body: &ReferenceOr<openapiv3::RequestBody>, location: &str) -> Result<Body> {
        let ReferenceOr::Item(body) = body else {
            return reject(location, "request bodies must be written in place");
        };
        if !body.required {
            return reject(location, "optional request bodies are not supported");
        }
        if body.content.len() != 1 {
            return reject(location, "a request body needs exactly one media type");
        }
        let (media_type, content) = body.content.first().expect("one media type");
        let form = match media_type.as_str() {
            JSON => false,
            FORM => true,
            other => {
                return reject(
                    location,
                    format!("request media type {other} is not supported"),
                );
            }
        };
        let Some(schema) = &content.schema else {
            return reject(location, "a request body needs a schema");
        };
        let content_location = format!("{location}/content/{}/schema", pointer(media_type));
        let (ty, _) = self.lower_type(schema, &content_location)?;
        if form && !self.is_struct_or_union(&ty) {
            return reject(&content_location, "a form body must be an object");
        }
        Ok(Body { ty, form })
    }

    fn security(&self, operation: &openapiv3::Operation, location: &str) -> Result<Vec<Security>> {
        let requirements = operation
            .security
            .as_ref()
            .or(self.spec.security.as_ref())
            .map(Vec::as_slice)
            .unwrap_or_default();
        let mut schemes = Vec::new();
        for requirement in requirements {
            if requirement.len() != 1 {
                return reject(
                    location,
                    "each security requirement must name exactly one scheme (optional and combined schemes are not supported)",
                );
            }
            let (name, _) = requirement.first().expect("one scheme");
            let scheme = self
                .spec
                .components
                .as_ref()
                .and_then(|c| c.security_schemes.get(name))
                .and_then(ReferenceOr::as_item);
            let scheme_location = format!("#/components/securitySchemes/{}", pointer(name));
            schemes.push(match scheme {
                Some(SecurityScheme::HTTP { scheme, .. })
                    if scheme.eq_ignore_ascii_case("bearer") =>
                {
                    Security::Bearer
                }
                Some(SecurityScheme::HTTP { scheme, .. })
                    if scheme.eq_ignore_ascii_case("basic") =>
                {
                    Security::Basic
                }
                Some(SecurityScheme::APIKey {
                    location: APIKeyLocation::Header,
                    name,
                    ..
                }) => Security::ApiKeyHeader(name.clone()),
                Some(_) => {
                    return reject(
                        &scheme_location,
                        "only HTTP bearer, HTTP basic and header API keys are supported",
                    );
                }
                None => return reject(location, format!("unknown security scheme {name}")),
            });
        }
        Ok(schemes)
    }

    fn responses(
        &mut self,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<(Outcome, Vec<Outcome>)> {
        if operation.responses.default.is_some() {
            return reject(
                &format!("{location}/responses/default"),
                "default responses are not supported; list the statuses",
            );
        }
        let mut success = Vec::new();
        let mut errors = Vec::new();
        for (status, response) in &operation.responses.responses {
            let response_location = format!("{location}/responses/{status}");
            let StatusCode::Code(code) = *status else {
                return reject(
                    &response_location,
                    "status ranges are not supported; list the statuses",
                );
            };
            let (response, response_location) = resolve(
                self.spec,
                response,
                response_location,
                "responses",
                |components| &components.responses,
            )?;
            let ty = if response.content.is_empty() {
                None
            } else {
                let Some(content) = response.content.get(JSON) else {
                    return reject(&response_location, "responses must be application/json");
                };
                if response.content.len() > 1 {
                    return reject(&response_location, "responses must have one media type");
                }
                let Some(schema) = &content.schema else {
                    return reject(&response_location, "a response body needs a schema");
                };
                let (ty, _) = self.lower_type(
                    schema,
                    &format!("{response_location}/content/application~1json/schema"),
                )?;
                Some(ty)
            };
            let outcome = Outcome {
                status: code,
                variant: status_variant(code),
                description: response.description.clone(),
                ty,
            };
            if (200..300).contains(&code) {
                success.push(outcome);
            } else if code == 429 || (500..600).contains(&code) {
                // Kinds of `ApiError` common to every operation (`TooManyRequests`,
                // `ServerError`): the operation's own errors leave them out.
            } else if (400..500).contains(&code) {
                errors.push(outcome);
            } else {
                return reject(
                    &response_location,
                    "only 2xx, 4xx and 5xx statuses are supported",
                );
            }
        }
        if success.len() != 1 {
            return reject(
                &format!("{location}/responses"),
                "an operation needs exactly one success (2xx) response",
            );
        }
        Ok((success.remove(0), errors))
    }
}

fn unique<'s>(names: impl Iterator<Item = &'s String>, location: &str) -> Result<()> {
    let mut seen = BTreeSet::new();
    for name in names {
        if !seen.insert(name) {
            return reject(location, format!("{name} would be defined twice"));
        }
    }
    Ok(())
}

/// A Rust field, parameter or method name for a spec name.
fn rust_field_name(name: &str) -> String {
    let snake = snake(name);
    match snake.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("_{snake}"),
        _ => snake,
    }
}

/// The variant of a union for a member: the member's name less the union's name where it ends
/// with it (`UserAuthentication` in `Authentication` → `User`), or less the union's first word
/// where it starts with it (`AuthenticationTokens` in `AuthenticationResponse` → `Tokens`).
fn variant_name(union: &str, member: &str) -> String {
    if let Some(rest) = member.strip_suffix(union).filter(|rest| !rest.is_empty()) {
        return rest.to_owned();
    }
    let union_words = words(union);
    let member_words = words(member);
    if member_words.len() > 1 && member_words.first() == union_words.first() {
        return pascal(&member_words[1..].join("_"));
    }
    member.to_owned()
}

/// The error variant for a status.
fn status_variant(code: u16) -> String {
    let name = match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        402 => "PaymentRequired",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        408 => "RequestTimeout",
        409 => "Conflict",
        410 => "Gone",
        412 => "PreconditionFailed",
        413 => "PayloadTooLarge",
        415 => "UnsupportedMediaType",
        422 => "UnprocessableEntity",
        423 => "Locked",
        429 => "TooManyRequests",
        500 => "InternalServerError",
        501 => "NotImplemented",
        502 => "BadGateway",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => return format!("Status{code}"),
    };
    name.to_owned()
}

/// Marks the models a request can hold: they get constructors.
fn mark_request_side(models: &mut [Model], groups: &[Group]) {
    let mut pending: Vec<String> = Vec::new();
    let push = |ty: &Ty, pending: &mut Vec<String>| {
        let mut ty = ty;
        while let Ty::Vec(inner) = ty {
            ty = inner;
        }
        if let Ty::Named(name) = ty {
            pending.push(name.clone());
        }
    };
    for operation in groups.iter().flat_map(|g| &g.operations) {
        if let Some(body) = &operation.body {
            push(&body.ty, &mut pending);
        }
        for param in &operation.params {
            push(&param.ty, &mut pending);
        }
    }
    while let Some(name) = pending.pop() {
        let Some(model) = models.iter_mut().find(|m| m.name == name) else {
            continue;
        };
        if std::mem::replace(&mut model.request_side, true) {
            continue;
        }
        match &model.kind {
            ModelKind::Struct(fields) => fields.iter().for_each(|f| push(&f.ty, &mut pending)),
            ModelKind::Union { variants, .. } => {
                variants.iter().for_each(|v| pending.push(v.model.clone()))
            }
            ModelKind::StringEnum(_) | ModelKind::IntEnum(_) => {}
        }
    }
}

/// A server's `x-rust-name`: the name of its `Server` variant.
fn rust_name(server: &openapiv3::Server) -> Option<String> {
    server
        .extensions
        .get("x-rust-name")
        .and_then(|name| name.as_str())
        .map(str::to_owned)
}
