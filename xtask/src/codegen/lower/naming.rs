//! Rust names for what a spec names, or leaves unnamed: types, fields, enum variants, union
//! members and error variants, each usable, distinct and the same on every run.

use super::*;

/// The type names the generated `models.rs` uses itself (the prelude's, serde's and the derives'):
/// no model may shadow them.
pub(super) const RESERVED_TYPES: &[&str] = &[
    // A model `New` would have a constructor named like itself (clippy says so).
    "New",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "String",
    "Vec",
    "Box",
    "Default",
    "Debug",
    "Clone",
    "Copy",
    "PartialEq",
    "Eq",
    "Hash",
    "PartialOrd",
    "Ord",
    "Serialize",
    "Deserialize",
    "From",
    "Into",
    "ToString",
    "Send",
    "Sync",
    "Sized",
    "Fields",
    "Self",
];

/// A type name for a spec name: `PascalCase`, starting with a letter (`40x Response` →
/// `Schema40xResponse`), never `Self`.
pub(super) fn type_name(raw: &str) -> String {
    let name = pascal(raw);
    if name.starts_with(|c: char| c.is_ascii_alphabetic()) && name != "Self" {
        name
    } else {
        format!("Schema{name}")
    }
}

/// The variant names of an enum with `values`: from `x-enum-varnames` or `x-speakeasy-enums`
/// (a list in the values' order, or a map from value to name) when the spec gives them, else from
/// each value (`named_by`). Every name is a usable, distinct variant other than `Unknown` (which
/// every enum has for values it does not know): an empty or clashing one is numbered.
pub(super) fn enum_names<V: ToString>(
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
        let name = unused(&name, "", |candidate| taken.contains(candidate));
        taken.insert(name.clone());
        names.push(name);
    }
    names
}

/// Numbers the Rust names of fields that would clash (`guid` and `Guid` → `guid`, `guid_2`).
pub(super) fn distinct_rust_names(fields: &mut [Field]) {
    number_clashes(fields.iter_mut().map(|field| &mut field.rust), "_");
}

/// Numbers each name that an earlier one has already (`name`, `name{separator}2`, ...).
pub(super) fn number_clashes<'n>(names: impl Iterator<Item = &'n mut String>, separator: &str) {
    let mut taken = BTreeSet::new();
    for name in names {
        *name = unused(name, separator, |candidate| taken.contains(candidate));
        taken.insert(name.clone());
    }
}

/// `name` when `taken` says it is free, else the first free of `name{separator}2`,
/// `name{separator}3`, ...: the one way every clash of names is settled.
pub(super) fn unused(name: &str, separator: &str, taken: impl Fn(&str) -> bool) -> String {
    if !taken(name) {
        return name.to_owned();
    }
    // `self_` numbers as `self_2`, not `self__2` (snake case has no double underscore).
    let separator = if name.ends_with(separator) {
        ""
    } else {
        separator
    };
    (2..)
        .map(|n| format!("{name}{separator}{n}"))
        .find(|candidate| !taken(candidate))
        .unwrap_or_default()
}

/// A Rust field, parameter or method name for a spec name.
pub(super) fn rust_field_name(name: &str) -> String {
    let snake = snake(name);
    match snake.chars().next() {
        Some(c) if c.is_ascii_digit() => format!("_{snake}"),
        // Keywords that cannot be raw identifiers; a name without a letter or digit.
        _ if matches!(snake.as_str(), "self" | "super" | "crate") => format!("{snake}_"),
        None => "value_".to_owned(),
        _ => snake,
    }
}

/// The variant of a union for a member: the member's name less the union's name where it ends
/// with it (`UserAuthentication` in `Authentication` → `User`), or less the union's first word
/// where it starts with it (`AuthenticationTokens` in `AuthenticationResponse` → `Tokens`), or
/// less the union's whole name where it starts with that (a member written in place:
/// `ThingOwnerVariant0` in `ThingOwner` → `Variant0`).
pub(super) fn variant_name(union: &str, member: &str) -> String {
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
pub(super) fn status_variant(code: u16) -> String {
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

impl<'a> Lowerer<'a> {
    pub(super) fn name_components(&mut self) {
        let Some(components) = &self.spec.components else {
            return;
        };
        let mut taken = BTreeSet::new();
        for (key, schema) in &components.schemas {
            let title = schema
                .as_item()
                .and_then(|s| s.schema_data.title.as_deref());
            // The title names it; a title another schema has, its key; then a number.
            let mut name = type_name(title.unwrap_or(key));
            if taken.contains(&name) || RESERVED_TYPES.contains(&name.as_str()) {
                name = type_name(key);
            }
            let name = unused(&name, "", |candidate| {
                taken.contains(candidate) || RESERVED_TYPES.contains(&candidate)
            });
            taken.insert(name.clone());
            self.names.insert(key, name);
            if let Some(Schema {
                schema_data,
                schema_kind: SchemaKind::OneOf { one_of },
            }) = schema.as_item()
                && let Some(discriminator) = &schema_data.discriminator
                && self.tags_members(one_of, &discriminator.property_name)
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
    }

    /// Whether a model already has `name`, one being lowered holds it, or the generated models'
    /// own code needs it (`Option`, `Serialize`, ...).
    pub(super) fn is_taken(&self, name: &str) -> bool {
        RESERVED_TYPES.contains(&name)
            || self.reserved.contains(name)
            || self.models.iter().any(|m| m.name == name)
            || self.names.values().any(|n| n == name)
    }

    /// `name`, or the first of `name2`, `name3`, ... no model has.
    pub(super) fn free_name(&self, name: &str) -> String {
        unused(name, "", |candidate| self.is_taken(candidate))
    }

    /// A name for the schema written in place at `location`, made of where it stands: the
    /// component or the operation it belongs to, then the way down to it (property names,
    /// `Item` for array items, `Request`, `Response` and the error status, `Variant`/`Part`
    /// and the index for oneOf/allOf members). The same spec gives the same names.
    pub(super) fn name_from_location(&self, location: &str) -> String {
        let segments: Vec<String> = location
            .trim_start_matches("#/")
            .split('/')
            .map(|segment| segment.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut parts: Vec<String> = Vec::new();
        let mut rest: &[String] = &[];
        // The operation the location is in, to name a parameter's schema after the parameter.
        let mut in_operation: Option<&openapiv3::Operation> = None;
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
            [components, section, key, tail @ ..] if components == "components" => {
                // A response, request body, parameter or header written as a component: its
                // key and what it is.
                let what = match section.as_str() {
                    "responses" => "Response",
                    "requestBodies" => "Request",
                    "parameters" => "Param",
                    "headers" => "Header",
                    _ => "",
                };
                parts.push(format!("{} {what}", pascal(key)));
                rest = tail;
            }
            [paths, path, method, tail @ ..] if paths == "paths" => {
                in_operation = self
                    .spec
                    .paths
                    .paths
                    .get(path.as_str())
                    .and_then(ReferenceOr::as_item)
                    .and_then(|item| item.iter().find(|(m, _)| m == method))
                    .map(|(_, operation)| operation);
                let operation_id =
                    in_operation.and_then(|operation| operation.operation_id.clone());
                parts.push(pascal(&operation_id.unwrap_or_else(|| {
                    super::operations::operation_name(method, path)
                })));
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
                    let name = in_operation
                        .and_then(|operation| operation.parameters.get(n.parse::<usize>().ok()?))
                        .and_then(|parameter| {
                            resolve(self.spec, parameter, String::new(), "parameters", |c| {
                                &c.parameters
                            })
                            .ok()
                        })
                        .map(|(parameter, _)| pascal(&parameter.parameter_data_ref().name));
                    parts.push(name.unwrap_or_else(|| format!("Param{n}")));
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
}
