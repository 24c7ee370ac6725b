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
        Some(default) => {
            let variant = rust_name(default).unwrap_or_else(|| "Default".into());
            let variables = lowerer.server_variables(&variant, default);
            lowerer.servers.push(Server {
                variant,
                url: default.url.clone(),
                description: text(&default.description),
                variables,
            })
        }
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
        description: text(&spec.info.description),
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
        let canonical = canonical(schema);
        let schema = canonical.as_ref().unwrap_or(schema);
        let kind = match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object))
                if !object.properties.is_empty()
                    || !matches!(
                        object.additional_properties,
                        Some(openapiv3::AdditionalProperties::Schema(_))
                    ) =>
            {
                let skip = key.and_then(|key| self.strip.get(key)).cloned();
                ModelKind::Struct(self.fields(
                    &object.properties,
                    &object.required,
                    skip.as_deref(),
                    location,
                )?)
            }
            SchemaKind::Type(Type::String(string)) if !string.enumeration.is_empty() => {
                let values: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
                let names = enum_names(schema, &values, |value| value.clone());
                ModelKind::StringEnum(names.into_iter().zip(values).collect())
            }
            SchemaKind::Type(Type::Integer(integer)) if !integer.enumeration.is_empty() => {
                let values: Vec<i64> = integer.enumeration.iter().flatten().copied().collect();
                let names = enum_names(schema, &values, |value| match value {
                    value if *value < 0 => format!("value minus {}", value.unsigned_abs()),
                    value => format!("value {value}"),
                });
                ModelKind::IntEnum(names.into_iter().zip(values).collect())
            }
            SchemaKind::AllOf { all_of } if self.all_of_one(all_of).is_none() => {
                let mut fields: Vec<Field> = Vec::new();
                let mut required = Vec::new();
                for (index, member) in all_of.iter().enumerate() {
                    let member_location = format!("{location}/allOf/{index}");
                    if is_empty(member) {
                        continue;
                    }
                    let (member_fields, member_required) =
                        self.all_of_member(member, &member_location)?;
                    required.extend(member_required);
                    // A property two members define is one field: the later member's.
                    for field in member_fields {
                        match fields.iter_mut().find(|f| f.wire == field.wire) {
                            Some(earlier) => *earlier = field,
                            None => fields.push(field),
                        }
                    }
                }
                // A member may require what another defines.
                for field in &mut fields {
                    field.required |= required.contains(&field.wire);
                }
                distinct_rust_names(&mut fields);
                ModelKind::Struct(fields)
            }
            SchemaKind::OneOf { one_of }
                if !(one_of.iter().any(is_null)
                    && one_of.iter().filter(|member| !is_null(member)).count() == 1) =>
            {
                self.union(&name, schema, one_of, location)?
            }
            // A plain type, an array, a map, any JSON value, an allOf of one schema, or a oneOf
            // of one schema and null: a name for that type.
            _ => {
                let (ty, _) = self.lower_type(&ReferenceOr::Item(schema.clone()), location)?;
                ModelKind::Alias(ty)
            }
        };
        self.models.push(Model {
            name,
            description: text(&schema.schema_data.description),
            kind,
            request_side: false,
        });
        Ok(())
    }

    /// The member an allOf amounts to, when it is not a merge of objects: its only member that
    /// says something, or, when no member is an object, the one with an `enum` (the narrowest),
    /// else the first.
    fn all_of_one(&self, all_of: &[ReferenceOr<Schema>]) -> Option<usize> {
        let members: Vec<usize> = (0..all_of.len())
            .filter(|&i| !is_empty(&all_of[i]))
            .collect();
        if members.len() == 1 {
            return members.first().copied();
        }
        let resolved = |member: &ReferenceOr<Schema>| -> Option<Schema> {
            let schema = match member {
                ReferenceOr::Item(schema) => schema,
                ReferenceOr::Reference { reference } => {
                    self.component_schema(reference.strip_prefix(SCHEMAS)?)?
                }
            };
            Some(canonical(schema).unwrap_or_else(|| schema.clone()))
        };
        let schemas: Vec<(usize, Schema)> = members
            .iter()
            .filter_map(|&i| Some((i, resolved(&all_of[i])?)))
            .collect();
        let is_object = |schema: &Schema| {
            matches!(
                schema.schema_kind,
                SchemaKind::Type(Type::Object(_))
                    | SchemaKind::AllOf { .. }
                    | SchemaKind::OneOf { .. }
            )
        };
        if schemas.is_empty() || schemas.iter().any(|(_, schema)| is_object(schema)) {
            return None;
        }
        let has_enum = |schema: &Schema| match &schema.schema_kind {
            SchemaKind::Type(Type::String(string)) => !string.enumeration.is_empty(),
            SchemaKind::Type(Type::Integer(integer)) => !integer.enumeration.is_empty(),
            _ => false,
        };
        schemas
            .iter()
            .find(|(_, schema)| has_enum(schema))
            .or(schemas.first())
            .map(|(index, _)| *index)
    }

    /// The fields an allOf member adds, and the properties it requires (which another member
    /// may define).
    fn all_of_member(
        &mut self,
        member: &ReferenceOr<Schema>,
        location: &str,
    ) -> Result<(Vec<Field>, Vec<String>)> {
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
        let canonical = canonical(schema);
        let schema = canonical.as_ref().unwrap_or(schema);
        match &schema.schema_kind {
            SchemaKind::Type(Type::Object(object)) => Ok((
                self.fields(&object.properties, &object.required, None, &location)?,
                object.required.clone(),
            )),
            SchemaKind::AllOf { all_of } => {
                let mut fields = Vec::new();
                let mut required = Vec::new();
                for (index, member) in all_of.iter().enumerate() {
                    if is_empty(member) {
                        continue;
                    }
                    let (member_fields, member_required) =
                        self.all_of_member(member, &format!("{location}/allOf/{index}"))?;
                    fields.extend(member_fields);
                    required.extend(member_required);
                }
                Ok((fields, required))
            }
            _ => reject(
                &location,
                "allOf members must be objects (or allOfs of objects) when there are several; this one is not, so the allOf cannot be one struct",
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
        let mut variants: Vec<UnionVariant> = Vec::new();
        for (index, member) in one_of.iter().enumerate() {
            let member_location = format!("{location}/oneOf/{index}");
            if is_null(member) {
                continue;
            }
            let tag_value = match (discriminator, member) {
                (None, _) => None,
                (Some(_), ReferenceOr::Item(_)) => {
                    return reject(
                        &member_location,
                        "a oneOf with a discriminator needs $refs to named schemas as members",
                    );
                }
                (Some(discriminator), ReferenceOr::Reference { reference }) => {
                    let key = self.schema_key(reference, &member_location)?;
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
            let (ty, _) = self.lower_type(member, &member_location)?;
            let variant = match &ty {
                Ty::Named(model) => variant_name(name, model),
                other => plain_variant(other),
            };
            let taken = |candidate: &String| variants.iter().any(|v| &v.name == candidate);
            let variant = if taken(&variant) {
                (2..)
                    .map(|n| format!("{variant}{n}"))
                    .find(|candidate| !taken(candidate))
                    .unwrap_or_default()
            } else {
                variant
            };
            variants.push(UnionVariant {
                name: variant,
                ty,
                tag_value,
            });
        }
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
        // A required property the object does not define is another allOf member's; the merge
        // applies it.
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
                description: data.and_then(|d| text(&d.description)),
                deprecated: data.is_some_and(|d| d.deprecated),
            });
        }
        distinct_rust_names(&mut fields);
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
        let canonical = canonical(schema);
        let schema = canonical.as_ref().unwrap_or(schema);
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
            SchemaKind::Type(Type::Array(array)) => match &array.items {
                None => Ty::Vec(Box::new(Ty::Json)),
                Some(items) => {
                    let (item, item_nullable) =
                        self.lower_type(items, &format!("{location}/items"))?;
                    // `null` among the items is a value of its own: keep every item as JSON.
                    Ty::Vec(Box::new(if item_nullable { Ty::Json } else { item }))
                }
            },
            SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => match &object
                .additional_properties
            {
                Some(openapiv3::AdditionalProperties::Schema(values)) => {
                    let (value, value_nullable) = self
                        .lower_type(values.as_ref(), &format!("{location}/additionalProperties"))?;
                    Ty::Map(Box::new(if value_nullable { Ty::Json } else { value }))
                }
                _ => Ty::JsonObject,
            },
            // A oneOf of one type and `null` is that type, nullable.
            SchemaKind::OneOf { one_of }
                if one_of.iter().any(is_null)
                    && one_of.iter().filter(|member| !is_null(member)).count() == 1 =>
            {
                let (index, member) = one_of
                    .iter()
                    .enumerate()
                    .find(|(_, member)| !is_null(member))
                    .expect("one member is not null");
                let (ty, _) = self.lower_type(member, &format!("{location}/oneOf/{index}"))?;
                return Ok((ty, true));
            }
            // An allOf of one schema (beside empty ones that only describe), or of plain
            // schemas that narrow one another, is one of them.
            SchemaKind::AllOf { all_of } if self.all_of_one(all_of).is_some() => {
                let index = self.all_of_one(all_of).expect("checked");
                let (ty, member_nullable) =
                    self.lower_type(&all_of[index], &format!("{location}/allOf/{index}"))?;
                return Ok((ty, nullable || member_nullable));
            }
            SchemaKind::Type(_) | SchemaKind::AllOf { .. } | SchemaKind::OneOf { .. } => {
                named(self)?
            }
            SchemaKind::AnyOf { .. } => {
                return reject(location, "anyOf is not supported; use oneOf");
            }
            SchemaKind::Not { .. } => return reject(location, "not is not supported"),
            SchemaKind::Any(_) => Ty::Json,
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
        let taken = |name: &String| self.servers.iter().any(|s| &s.variant == name);
        let variant = candidates
            .iter()
            .find(|name| !taken(name))
            .cloned()
            .unwrap_or_else(|| {
                (2..)
                    .map(|n| format!("{}{n}", candidates[0]))
                    .find(|name| !taken(name))
                    .unwrap_or_default()
            });
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
    fn server_variables(
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
                            .and_then(|t| text(&t.description)),
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
        let (successes, errors) = self.responses(operation, location)?;
        let headers = self.response_headers(operation_id, operation);
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
            error_type: type_name(&format!("{operation_id} error")),
            name,
            summary: text(&operation.summary),
            description: text(&operation.description),
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            server,
            params,
            body,
            security,
            successes,
            errors,
            headers,
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
            let plain = |ty: &Ty| {
                !matches!(ty, Ty::Vec(_) | Ty::JsonObject | Ty::Json | Ty::Map(_))
                    && !self.is_struct_or_union(ty)
            };
            let object = |ty: &Ty| {
                matches!(ty, Ty::JsonObject | Ty::Json | Ty::Map(_)) || self.is_struct_or_union(ty)
            };
            let style = match (&ty, parameter) {
                (Ty::Vec(item), Parameter::Query { style, .. }) if plain(item) => {
                    let explode = data
                        .explode
                        .unwrap_or(matches!(style, openapiv3::QueryStyle::Form));
                    match style {
                        openapiv3::QueryStyle::Form if explode => ParamStyle::Repeat,
                        openapiv3::QueryStyle::SpaceDelimited => ParamStyle::Join(" "),
                        openapiv3::QueryStyle::PipeDelimited => ParamStyle::Join("|"),
                        _ => ParamStyle::Join(","),
                    }
                }
                (Ty::Vec(item), Parameter::Header { .. }) if plain(item) => ParamStyle::Join(","),
                (ty, Parameter::Query { style, .. }) if object(ty) => ParamStyle::Object {
                    deep: matches!(style, openapiv3::QueryStyle::DeepObject),
                },
                (ty, _) if plain(ty) => ParamStyle::Plain,
                _ => {
                    return reject(
                        &param_location,
                        "parameters must be plain values or arrays of them (objects only in the query)",
                    );
                }
            };
            if location_kind == ParamLocation::Path && !data.required {
                return reject(&param_location, "path parameters must be required");
            }
            params.push(Param {
                wire: data.name.clone(),
                rust: rust_field_name(&data.name),
                location: location_kind,
                ty,
                required: data.required,
                description: text(&data.description),
                style,
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
        let (body, location) = resolve(
            self.spec,
            body,
            location.to_owned(),
            "requestBodies",
            |components| &components.request_bodies,
        )?;
        let Some((media_type, content)) = preferred(&body.content) else {
            return reject(&location, "a request body needs a media type");
        };
        let encoding = encoding(media_type);
        let content_location = format!("{location}/content/{}/schema", pointer(media_type));
        let ty = match (encoding, &content.schema) {
            (Encoding::Json | Encoding::Form, Some(schema)) => {
                self.lower_type(schema, &content_location)?.0
            }
            (Encoding::Json, None) => Ty::Json,
            (Encoding::Form, None) => Ty::JsonObject,
            (Encoding::Text, _) => Ty::String,
            (Encoding::Binary, _) => Ty::Json,
        };
        if encoding == Encoding::Form && !self.is_struct_or_union(&ty) && ty != Ty::JsonObject {
            return reject(&content_location, "a form body must be an object");
        }
        Ok(Body {
            ty,
            encoding,
            media_type: media_type.to_owned(),
            required: body.required,
        })
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

    /// The model of the headers the operation's 2xx responses document (each once, the first
    /// spelling of its name), or `None` when they document none. A header is read as the plain
    /// type its schema gives (text otherwise), and as a `Secret` when its name says it carries one.
    fn response_headers(
        &mut self,
        operation_id: &str,
        operation: &openapiv3::Operation,
    ) -> Option<String> {
        let mut fields: Vec<Field> = Vec::new();
        for (status, response) in &operation.responses.responses {
            if !matches!(status, StatusCode::Code(200..=299)) {
                continue;
            }
            let Ok((response, _)) = resolve(self.spec, response, String::new(), "responses", |c| {
                &c.responses
            }) else {
                continue;
            };
            for (wire, header) in &response.headers {
                let Some(header) = header.as_item() else {
                    continue;
                };
                if fields.iter().any(|f| f.wire.eq_ignore_ascii_case(wire)) {
                    continue;
                }
                let schema_kind = match &header.format {
                    ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) => {
                        Some(&schema.schema_kind)
                    }
                    _ => None,
                };
                let lower = wire.to_ascii_lowercase();
                let secret = ["token", "secret", "cookie", "authorization", "password"]
                    .iter()
                    .any(|word| lower.contains(word));
                let ty = match schema_kind {
                    _ if secret => Ty::Secret,
                    Some(SchemaKind::Type(Type::Integer(integer))) => match integer.format {
                        VariantOrUnknownOrEmpty::Item(IntegerFormat::Int32) => Ty::I32,
                        _ => Ty::I64,
                    },
                    Some(SchemaKind::Type(Type::Number(_))) => Ty::F64,
                    Some(SchemaKind::Type(Type::Boolean(_))) => Ty::Bool,
                    _ => Ty::String,
                };
                fields.push(Field {
                    wire: wire.clone(),
                    rust: rust_field_name(wire),
                    ty,
                    required: false,
                    nullable: false,
                    description: text(&header.description),
                    deprecated: header.deprecated.unwrap_or(false),
                });
            }
        }
        if fields.is_empty() {
            return None;
        }
        distinct_rust_names(&mut fields);
        let name = self.free_name(&type_name(&format!("{operation_id} headers")));
        self.models.push(Model {
            name: name.clone(),
            description: Some(format!(
                "The response headers `{operation_id}` documents; each `None` when absent or malformed."
            )),
            kind: ModelKind::Headers(fields),
            request_side: false,
        });
        Some(name)
    }

    fn responses(
        &mut self,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<(Vec<Outcome>, Vec<Outcome>)> {
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
            let (ty, raw) = match preferred(&response.content) {
                None => (None, None),
                Some((media_type, content)) => match encoding(media_type) {
                    Encoding::Json | Encoding::Form => {
                        let ty = match &content.schema {
                            Some(schema) => {
                                let schema_location = format!(
                                    "{response_location}/content/{}/schema",
                                    pointer(media_type)
                                );
                                self.lower_type(schema, &schema_location)?.0
                            }
                            None => Ty::Json,
                        };
                        (Some(ty), None)
                    }
                    raw => (None, Some((raw, media_type.to_owned()))),
                },
            };
            let outcome = Outcome {
                status: code,
                variant: status_variant(code),
                description: response.description.clone(),
                ty,
                raw,
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
        if success.is_empty() {
            return reject(
                &format!("{location}/responses"),
                "an operation needs a success (2xx) response",
            );
        }
        // One Rust type for every 2xx: the same body (or none) in each.
        let bodies: Vec<_> = success
            .iter()
            .filter(|outcome| outcome.ty.is_some() || outcome.raw.is_some())
            .map(|outcome| {
                (
                    &outcome.ty,
                    outcome.raw.as_ref().map(|(encoding, _)| encoding),
                )
            })
            .collect();
        if bodies.windows(2).any(|pair| pair[0] != pair[1]) {
            return reject(
                &format!("{location}/responses"),
                "the 2xx responses have bodies of different types; the operation can return only one",
            );
        }
        Ok((success, errors))
    }
}

/// How a body of `media_type` is written and read.
fn encoding(media_type: &str) -> Encoding {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if essence == "application/json" || essence.ends_with("+json") || essence == "*/*" {
        Encoding::Json
    } else if essence == FORM {
        Encoding::Form
    } else if essence.starts_with("text/") || essence.ends_with("/xml") || essence.ends_with("+xml")
    {
        Encoding::Text
    } else {
        Encoding::Binary
    }
}

/// The media type the client uses among those a body offers: JSON, then a form, then text, then
/// the first.
fn preferred(
    content: &IndexMap<String, openapiv3::MediaType>,
) -> Option<(&str, &openapiv3::MediaType)> {
    [
        Encoding::Json,
        Encoding::Form,
        Encoding::Text,
        Encoding::Binary,
    ]
    .iter()
    .find_map(|wanted| {
        content
            .iter()
            .find(|(media_type, _)| encoding(media_type) == *wanted)
    })
    .map(|(media_type, content)| (media_type.as_str(), content))
}

/// A schema that only says "null" (3.1's `type: "null"`, read as a bare `nullable: true`).
fn is_null(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(Schema { schema_data, schema_kind: SchemaKind::Any(any) })
        if schema_data.nullable && *any == openapiv3::AnySchema::default())
}

/// A schema that constrains nothing (`{}`, or only a description): an allOf member that adds
/// nothing to the others.
fn is_empty(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(Schema { schema_kind: SchemaKind::Any(any), .. })
        if *any == openapiv3::AnySchema::default())
}

/// The variant of an untagged union for a member of a plain type.
fn plain_variant(ty: &Ty) -> String {
    match ty {
        Ty::String | Ty::Secret => "String".into(),
        Ty::Bool => "Bool".into(),
        Ty::I32 | Ty::I64 => "Integer".into(),
        Ty::F64 => "Number".into(),
        Ty::Vec(_) => "List".into(),
        Ty::Map(_) | Ty::JsonObject => "Object".into(),
        Ty::Json => "Value".into(),
        Ty::Named(name) => name.clone(),
    }
}

/// A schema `openapiv3` could not type, rewritten as the one its keywords mean, or `None` when it
/// is typed already or says too little (it is then any JSON value):
/// - properties (or `additionalProperties`) without `type` → an object;
/// - `enum` without `type` → a string, integer or boolean enum when the values agree;
/// - `items` without `type` → an array;
/// - `type` beside `allOf`/`oneOf` → the allOf or oneOf, the schema's own properties as one
///   more allOf member.
fn canonical(schema: &Schema) -> Option<Schema> {
    let SchemaKind::Any(any) = &schema.schema_kind else {
        return None;
    };
    let mut value = serde_json::to_value(schema).ok()?;
    let map = value.as_object_mut()?;
    if !any.all_of.is_empty() {
        map.remove("type");
        let own: serde_json::Map<String, serde_json::Value> =
            ["properties", "required", "additionalProperties"]
                .iter()
                .filter_map(|key| map.remove(*key).map(|value| ((*key).to_owned(), value)))
                .collect();
        if !own.is_empty() {
            let mut member = own;
            member.insert("type".into(), "object".into());
            map.get_mut("allOf")?.as_array_mut()?.push(member.into());
        }
    } else if !any.one_of.is_empty() || !any.any_of.is_empty() {
        map.remove("type");
    } else if !any.properties.is_empty() || any.additional_properties.is_some() {
        map.insert("type".into(), "object".into());
    } else if !any.enumeration.is_empty() {
        let kind = |value: &serde_json::Value| match value {
            serde_json::Value::String(_) => Some("string"),
            serde_json::Value::Number(number) if number.is_i64() => Some("integer"),
            serde_json::Value::Bool(_) => Some("boolean"),
            _ => None,
        };
        let first = kind(&any.enumeration[0])?;
        if any
            .enumeration
            .iter()
            .any(|value| kind(value) != Some(first))
        {
            return None;
        }
        map.insert("type".into(), first.into());
    } else if any.items.is_some() {
        map.insert("type".into(), "array".into());
    } else {
        return None;
    }
    let schema: Schema = serde_json::from_value(value).ok()?;
    (!matches!(schema.schema_kind, SchemaKind::Any(_))).then_some(schema)
}

/// The variant names of an enum with `values`: from `x-enum-varnames` or `x-speakeasy-enums`
/// (a list in the values' order, or a map from value to name) when the spec gives them, else from
/// each value (`named_by`). Every name is a usable, distinct variant other than `Unknown` (which
/// every enum has for values it does not know): an empty or clashing one is numbered.
fn enum_names<V: ToString>(
    schema: &Schema,
    values: &[V],
    named_by: impl Fn(&V) -> String,
) -> Vec<String> {
    let extensions = &schema.schema_data.extensions;
    let given = |index: usize, value: &V| -> Option<String> {
        ["x-enum-varnames", "x-speakeasy-enums"]
            .iter()
            .filter_map(|key| extensions.get(*key))
            .find_map(|names| match names {
                serde_json::Value::Array(names) if names.len() == values.len() => {
                    names[index].as_str().map(str::to_owned)
                }
                serde_json::Value::Object(names) => names
                    .get(&value.to_string())
                    .and_then(|name| name.as_str())
                    .map(str::to_owned),
                _ => None,
            })
    };
    let mut taken = BTreeSet::from(["Unknown".to_owned()]);
    let mut names = Vec::with_capacity(values.len());
    for (index, value) in values.iter().enumerate() {
        let name = given(index, value).unwrap_or_else(|| named_by(value));
        let mut name = pascal(&name);
        if name.is_empty() {
            name = format!("Value{index}");
        } else if !name.starts_with(|c: char| c.is_ascii_alphabetic()) || name == "Self" {
            name = format!("Value{name}");
        }
        if taken.contains(&name) {
            name = (2..)
                .map(|n| format!("{name}{n}"))
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or_default();
        }
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// Numbers the Rust names of fields that would clash (`guid` and `Guid` → `guid`, `guid_2`).
fn distinct_rust_names(fields: &mut [Field]) {
    let mut taken = BTreeSet::new();
    for field in fields {
        if !taken.insert(field.rust.clone()) {
            let name = (2..)
                .map(|n| format!("{}_{n}", field.rust))
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or_default();
            taken.insert(name.clone());
            field.rust = name;
        }
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
/// where it starts with it (`AuthenticationTokens` in `AuthenticationResponse` → `Tokens`), or
/// less the union's whole name where it starts with that (a member written in place:
/// `ThingOwnerVariant0` in `ThingOwner` → `Variant0`).
fn variant_name(union: &str, member: &str) -> String {
    if let Some(rest) = member.strip_suffix(union).filter(|rest| !rest.is_empty()) {
        return rest.to_owned();
    }
    // A member written in place is named after the union (`ThingOwner` → `ThingOwnerVariant0`).
    if let Some(rest) = member
        .strip_prefix(union)
        .filter(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    {
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
                variants.iter().for_each(|v| push(&v.ty, &mut pending))
            }
            ModelKind::Alias(ty) => push(ty, &mut pending),
            ModelKind::Headers(_) => {}
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
