//! Reading a spec: OpenAPI 3.0 as it is, OpenAPI 3.1 rewritten first into the 3.0 form the
//! lowering reads, so that both reach the same intermediate form.
//!
//! `openapiv3` (the parser the generator is built on) reads 3.0 only, and the maintained 3.1
//! parsers model JSON Schema 2020-12 in full, far past what the generator lowers. The
//! differences that matter here are few and local, so one pass over the document rewrites them:
//!
//! - `type: [T, "null"]` → `type: T` with `nullable: true`; `type: "null"` alone → `nullable`;
//!   several non-null types → no `type` (an untyped schema);
//! - `const: v` → `enum: [v]`;
//! - a schema's `examples: [..]` → `example` (its first);
//! - a numeric `exclusiveMinimum` / `exclusiveMaximum` → `minimum` / `maximum` with the 3.0
//!   boolean;
//! - `$ref` with sibling keys → the `$ref` alone (3.0 ignores siblings, and so does the parser);
//! - the 3.1-only top-level `webhooks`, `jsonSchemaDialect` and `info.license.identifier` are
//!   dropped, and a missing `paths` becomes empty.

use serde_yaml_ng::{Mapping, Value};

/// Where (a JSON pointer) and what, for a spec that cannot be read.
pub type ReadError = (String, String);

/// Parses `text` (YAML or JSON) as an OpenAPI 3.0 or 3.1 document. (The document is kept as
/// YAML values, whose maps keep their order: the generated code follows the spec's order.)
pub fn parse(text: &str) -> Result<openapiv3::OpenAPI, ReadError> {
    let value: Value = serde_yaml_ng::from_str(text)
        .map_err(|err| (String::new(), format!("not a YAML or JSON document: {err}")))?;
    let version = match value.get("openapi") {
        Some(Value::String(version)) => version.clone(),
        Some(Value::Number(version)) => version.to_string(),
        _ => String::new(),
    };
    let value = if version.starts_with("3.1.") {
        to_3_0(value)
    } else if version.starts_with("3.0.") {
        value
    } else {
        return Err((
            "#/openapi".into(),
            format!("OpenAPI {version:?} is not supported; write 3.0.x or 3.1.x"),
        ));
    };
    serde_yaml_ng::from_value(value)
        .map_err(|err| (String::new(), format!("not an OpenAPI document: {err}")))
}

fn key(name: &str) -> Value {
    Value::String(name.to_owned())
}

/// The 3.0 form of a 3.1 document.
fn to_3_0(mut document: Value) -> Value {
    if let Value::Mapping(root) = &mut document {
        root.insert(key("openapi"), key("3.0.3"));
        root.remove("webhooks");
        root.remove("jsonSchemaDialect");
        if let Some(Value::Mapping(license)) = root
            .get_mut("info")
            .and_then(|info| info.get_mut("license"))
        {
            license.remove("identifier");
        }
        if !root.contains_key("paths") {
            root.insert(key("paths"), Value::Mapping(Mapping::new()));
        }
    }
    rewrite(&mut document);
    document
}

/// Rewrites every map of the document, depth first.
fn rewrite(value: &mut Value) {
    match value {
        Value::Sequence(items) => items.iter_mut().for_each(rewrite),
        Value::Mapping(map) => {
            for (_, item) in map.iter_mut() {
                rewrite(item);
            }
            rewrite_map(map);
        }
        Value::Tagged(tagged) => rewrite(&mut tagged.value),
        _ => {}
    }
}

fn rewrite_map(map: &mut Mapping) {
    if map.contains_key("$ref") {
        map.retain(|name, _| name.as_str() == Some("$ref"));
        return;
    }
    if let Some(Value::Sequence(types)) = map.get("type").cloned() {
        let nullable = types.iter().any(|t| t.as_str() == Some("null"));
        let others: Vec<Value> = types
            .into_iter()
            .filter(|t| t.as_str() != Some("null"))
            .collect();
        match others.as_slice() {
            [one] => {
                map.insert(key("type"), one.clone());
            }
            _ => {
                map.remove("type");
            }
        }
        if nullable {
            map.insert(key("nullable"), Value::Bool(true));
        }
    } else if map.get("type").and_then(Value::as_str) == Some("null") {
        map.remove("type");
        map.insert(key("nullable"), Value::Bool(true));
    }
    if let Some(constant) = map.remove("const") {
        // A `const` without `type` says its type by its value.
        let inferred = match &constant {
            Value::String(_) => Some("string"),
            Value::Bool(_) => Some("boolean"),
            Value::Number(number) if number.is_i64() || number.is_u64() => Some("integer"),
            Value::Number(_) => Some("number"),
            _ => None,
        };
        if let Some(inferred) = inferred
            && !map.contains_key("type")
        {
            map.insert(key("type"), key(inferred));
        }
        map.insert(key("enum"), Value::Sequence(vec![constant]));
    }
    // A schema's `examples` is an array in 3.1; elsewhere `examples` is a map of Example
    // objects, valid in 3.0 as well.
    if let Some(Value::Sequence(examples)) = map.get("examples").cloned() {
        map.remove("examples");
        if let Some(first) = examples.into_iter().next()
            && !map.contains_key("example")
        {
            map.insert(key("example"), first);
        }
    }
    for (exclusive, bound) in [
        ("exclusiveMinimum", "minimum"),
        ("exclusiveMaximum", "maximum"),
    ] {
        if let Some(limit @ Value::Number(_)) = map.get(exclusive).cloned() {
            map.insert(key(bound), limit);
            map.insert(key(exclusive), Value::Bool(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml_ng::from_str(text).unwrap()
    }

    #[test]
    fn rewrites_the_3_1_forms() {
        let mut schema = yaml(
            r##"
type: [string, "null"]
properties:
  kind: {const: movie}
  count: {type: integer, exclusiveMinimum: 0, examples: [3, 4]}
  either: {type: [string, integer]}
  nothing: {type: "null"}
  linked: {$ref: "#/components/schemas/X", description: ignored}
  responses: {examples: {a: {value: 1}}}
"##,
        );
        rewrite(&mut schema);
        let expected = yaml(
            r##"
type: string
nullable: true
properties:
  kind: {type: string, enum: [movie]}
  count: {type: integer, exclusiveMinimum: true, minimum: 0, example: 3}
  either: {}
  nothing: {nullable: true}
  linked: {$ref: "#/components/schemas/X"}
  responses: {examples: {a: {value: 1}}}
"##,
        );
        assert_eq!(schema, expected);
    }

    #[test]
    fn refuses_other_versions_and_reads_3_1() {
        assert!(parse("openapi: 2.0\ninfo: {title: t, version: '1'}\npaths: {}").is_err());
        let spec = parse("openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks: {}").unwrap();
        assert_eq!(spec.openapi, "3.0.3");
        assert!(spec.paths.paths.is_empty());
    }
}
