//! Reading a spec: OpenAPI 3.0 as it is, OpenAPI 3.1 rewritten first into the 3.0 form the
//! lowering reads, so that both reach the same intermediate form; `$ref`s to sibling files
//! resolved; and what real specs get wrong that the parser would refuse whole, repaired with a
//! note saying where.
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
//!
//! Repairs (each a [`Note`]): an integer too large for 64 bits (in an example, say) is read as
//! text; a schema's `required: true` (JSON Schema draft 3) becomes its object's `required`
//! list, and `required: false` goes; and a schema the parser still refuses loses the keywords
//! that only describe or constrain values (`example`, `default`, `format`, bounds, ...), one
//! schema at a time, until the document reads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_yaml_ng::{Mapping, Value};

/// Where (a JSON pointer, or `line L column C`) and what, for a spec that cannot be read.
pub type ReadError = (String, String);

/// Something the reader changed to read a spec: where (a JSON pointer) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub location: String,
    pub message: String,
}

/// A spec as read: the document, and what was repaired to read it.
pub struct Read {
    pub spec: openapiv3::OpenAPI,
    pub notes: Vec<Note>,
}

/// Reads `text` (YAML or JSON) as an OpenAPI 3.0 or 3.1 document. `$ref`s to other files are
/// resolved relative to `base` (the spec's folder), and each target becomes a component of the
/// document. (The document is kept as YAML values, whose maps keep their order: the generated
/// code follows the spec's order.)
pub fn read(text: &str, base: Option<&Path>) -> Result<Read, ReadError> {
    let mut notes = Vec::new();
    let mut value = yaml(text, &mut notes)?;
    let version = match value.get("openapi") {
        Some(Value::String(version)) => version.clone(),
        Some(Value::Number(version)) => version.to_string(),
        _ => String::new(),
    };
    let is_3_1 = version.starts_with("3.1.");
    if !is_3_1 && !version.starts_with("3.0.") {
        return Err((
            "#/openapi".into(),
            format!("OpenAPI {version:?} is not supported; write 3.0.x or 3.1.x"),
        ));
    }
    External::resolve(&mut value, base)?;
    if is_3_1 {
        value = to_3_0(value);
    }
    required_lists(&mut value, "#", &mut notes);
    let spec = typed(value, &mut notes)?;
    Ok(Read { spec, notes })
}

/// `text` as a YAML value; an integer too large for 64 bits (which the YAML reader refuses) is
/// read as text, with a note.
fn yaml(text: &str, notes: &mut Vec<Note>) -> Result<Value, ReadError> {
    let mut text = std::borrow::Cow::Borrowed(text);
    for _ in 0..10_000 {
        let error = match serde_yaml_ng::from_str::<Value>(&text) {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        let place = error
            .location()
            .map(|at| format!("line {} column {}", at.line(), at.column()))
            .unwrap_or_default();
        let message = error.to_string();
        let too_large = message.contains("as u128") || message.contains("as i128");
        let Some(at) = error.location().filter(|_| too_large) else {
            return Err((place, format!("not a YAML or JSON document: {message}")));
        };
        let start = at.index();
        let end = text[start..]
            .find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+'))
            .map_or(text.len(), |n| start + n);
        if end == start {
            return Err((place, format!("not a YAML or JSON document: {message}")));
        }
        let number = text[start..end].to_owned();
        notes.push(Note {
            location: place,
            message: format!("the integer {number} is too large for 64 bits; read as text"),
        });
        text = std::borrow::Cow::Owned(format!("{}\"{number}\"{}", &text[..start], &text[end..]));
    }
    Err((
        String::new(),
        "too many integers too large for 64 bits".into(),
    ))
}

/// The typed document of `value`. A part the parser refuses is repaired where it can be: the
/// schema at (or above) the refused place loses the keywords that only describe or constrain
/// values, with a note, and the document is read again.
fn typed(mut value: Value, notes: &mut Vec<Note>) -> Result<openapiv3::OpenAPI, ReadError> {
    /// Keywords a schema can lose and still say what type it is.
    const DECORATIONS: &[&str] = &[
        "example",
        "examples",
        "default",
        "format",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
        "readOnly",
        "writeOnly",
        "deprecated",
        "xml",
        "externalDocs",
        "title",
        "description",
        "nullable",
        "discriminator",
        "enum",
        "required",
    ];
    for _ in 0..1_000 {
        let error = match serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(value.clone()) {
            Ok(spec) => return Ok(spec),
            Err(error) => error,
        };
        let segments: Vec<String> = error
            .path()
            .iter()
            .filter_map(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                serde_path_to_error::Segment::Seq { index } => Some(index.to_string()),
                _ => None,
            })
            .collect();
        let message = error.inner().to_string();
        // The nearest map on the way to the refused place that has decorations to lose.
        let mut repaired = None;
        for depth in (0..=segments.len()).rev() {
            let Some(Value::Mapping(map)) = at_path(&mut value, &segments[..depth]) else {
                continue;
            };
            let lost: Vec<&str> = DECORATIONS
                .iter()
                .copied()
                .filter(|key| map.contains_key(*key))
                .collect();
            if lost.is_empty() {
                continue;
            }
            for key in &lost {
                map.remove(*key);
            }
            repaired = Some((pointer_of(&segments[..depth]), lost.join(", ")));
            break;
        }
        let Some((location, lost)) = repaired else {
            return Err((
                pointer_of(&segments),
                format!("not an OpenAPI document: {message}"),
            ));
        };
        notes.push(Note {
            location,
            message: format!("the parser refused it ({message}); read without {lost}"),
        });
    }
    Err((String::new(), "too many parts the parser refuses".into()))
}

/// The value at `segments` (map keys and sequence indexes) under `value`.
fn at_path<'v>(value: &'v mut Value, segments: &[String]) -> Option<&'v mut Value> {
    let mut value = value;
    for segment in segments {
        value = match value {
            Value::Mapping(map) => map.get_mut(segment.as_str())?,
            Value::Sequence(items) => items.get_mut(segment.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(value)
}

/// A JSON pointer of `segments`.
fn pointer_of(segments: &[String]) -> String {
    let mut pointer = String::from("#");
    for segment in segments {
        pointer.push('/');
        pointer.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    }
    pointer
}

/// A schema's `required: true` or `false` (draft 3's form, found in real 3.0 specs, which the
/// parser refuses): `true` moves to the `required` list of the object holding the property,
/// and both go. (And a key set to nothing is left out: the parser refuses that too.) Maps with `in`, `content` or `schema` are parameters, bodies and headers,
/// whose `required` is a boolean as it should be.
fn required_lists(value: &mut Value, location: &str, notes: &mut Vec<Note>) {
    match value {
        Value::Sequence(items) => {
            for (index, item) in items.iter_mut().enumerate() {
                required_lists(item, &format!("{location}/{index}"), notes);
            }
        }
        Value::Mapping(map) => {
            // A key set to nothing (`parameters:` with no list after it) is read as absent.
            map.retain(|_, value| !value.is_null());
            let schema_like = !["in", "content", "schema"]
                .iter()
                .any(|key| map.contains_key(*key));
            if schema_like && let Some(Value::Mapping(properties)) = map.get_mut("properties") {
                let mut required = Vec::new();
                for (name, property) in properties.iter_mut() {
                    if let Value::Mapping(property) = property
                        && let Some(Value::Bool(flag)) = property.get("required").cloned()
                    {
                        property.remove("required");
                        if flag && let Some(name) = name.as_str() {
                            required.push(Value::String(name.to_owned()));
                        }
                        notes.push(Note {
                            location: format!(
                                "{location}/properties/{}",
                                name.as_str().unwrap_or_default().replace('/', "~1")
                            ),
                            message: format!(
                                "`required: {flag}` on a schema (JSON Schema draft 3) read as {}",
                                if flag {
                                    "its object's `required` list"
                                } else {
                                    "nothing"
                                }
                            ),
                        });
                    }
                }
                if !required.is_empty() {
                    match map.get_mut("required") {
                        Some(Value::Sequence(list)) => list.extend(required),
                        _ => {
                            map.insert(key("required"), Value::Sequence(required));
                        }
                    }
                }
            }
            if schema_like && matches!(map.get("required"), Some(Value::Bool(_))) {
                map.remove("required");
                notes.push(Note {
                    location: location.to_owned(),
                    message: "a schema's `required` must be a list; the boolean is left out".into(),
                });
            }
            for (name, item) in map.iter_mut() {
                let name = name.as_str().unwrap_or_default();
                // Example values and extensions are not schemas.
                if matches!(name, "example" | "examples" | "default" | "enum")
                    || name.starts_with("x-")
                {
                    continue;
                }
                let name = name.replace('~', "~0").replace('/', "~1");
                required_lists(item, &format!("{location}/{name}"), notes);
            }
        }
        _ => {}
    }
}

/// The `$ref`s of a document to other files, each target made a component of the document.
struct External {
    /// The folder of the spec.
    base: PathBuf,
    /// Files read so far.
    files: HashMap<PathBuf, Value>,
    /// `(file, pointer)` → the local `$ref` it became.
    done: HashMap<(PathBuf, String), String>,
    /// Components to add: section, name, value.
    added: Vec<(&'static str, String, Value)>,
    /// The components the document has: section and name.
    existing: Vec<(String, String)>,
}

impl External {
    /// Resolves every `$ref` of `document` to another file; without `base`, such a `$ref` is
    /// an error naming it.
    fn resolve(document: &mut Value, base: Option<&Path>) -> Result<(), ReadError> {
        let existing = match document.get("components") {
            Some(Value::Mapping(components)) => components
                .iter()
                .filter_map(|(section, items)| Some((section.as_str()?, items.as_mapping()?)))
                .flat_map(|(section, items)| {
                    items
                        .keys()
                        .filter_map(|name| Some((section.to_owned(), name.as_str()?.to_owned())))
                })
                .collect(),
            _ => Vec::new(),
        };
        let mut external = External {
            base: base.map(Path::to_path_buf).unwrap_or_default(),
            files: HashMap::new(),
            done: HashMap::new(),
            added: Vec::new(),
            existing,
        };
        let has_base = base.is_some();
        external.walk(document, None, "#", &[], has_base)?;
        // Targets may refer to further files: resolve what was added until nothing is new.
        let mut index = 0;
        while index < external.added.len() {
            let (section, name, mut value) = external.added[index].clone();
            let file = external
                .done
                .iter()
                .find(|(_, local)| **local == format!("#/components/{section}/{name}"))
                .map(|((file, _), _)| file.clone());
            let location = format!("#/components/{section}/{name}");
            let kind_path = [section];
            external.walk(&mut value, file.as_deref(), &location, &kind_path, has_base)?;
            external.added[index].2 = value;
            index += 1;
        }
        if external.added.is_empty() {
            return Ok(());
        }
        let Value::Mapping(root) = document else {
            return Ok(());
        };
        let components = root
            .entry(key("components"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        for (section, name, value) in external.added {
            if let Value::Mapping(components) = components {
                let section = components
                    .entry(key(section))
                    .or_insert_with(|| Value::Mapping(Mapping::new()));
                if let Value::Mapping(section) = section {
                    section.insert(key(&name), value);
                }
            }
        }
        Ok(())
    }

    /// Rewrites the external `$ref`s under `value` (which is in `file`, or the spec itself when
    /// `None`); `parents` are the keys above it, to tell which kind of component a target is.
    fn walk(
        &mut self,
        value: &mut Value,
        file: Option<&Path>,
        location: &str,
        parents: &[&str],
        has_base: bool,
    ) -> Result<(), ReadError> {
        match value {
            Value::Sequence(items) => {
                for (index, item) in items.iter_mut().enumerate() {
                    self.walk(
                        item,
                        file,
                        &format!("{location}/{index}"),
                        parents,
                        has_base,
                    )?;
                }
            }
            Value::Mapping(map) => {
                if let Some(Value::String(reference)) = map.get("$ref").cloned() {
                    let local = if reference.starts_with('#') {
                        // Local to the file it is written in: for a file of its own, a place in
                        // that file.
                        match file {
                            None => return Ok(()),
                            Some(file) => self.component(file, &reference, parents, location)?,
                        }
                    } else {
                        if !has_base {
                            return Err((
                                location.to_owned(),
                                format!(
                                    "the $ref {reference:?} names another file; read the spec from its file"
                                ),
                            ));
                        }
                        let (path, pointer) = reference.split_once('#').unwrap_or((&reference, ""));
                        let folder = file
                            .and_then(Path::parent)
                            .map_or_else(|| self.base.clone(), Path::to_path_buf);
                        let target = folder.join(path);
                        self.component(&target, &format!("#{pointer}"), parents, location)?
                    };
                    map.insert(key("$ref"), Value::String(local));
                    return Ok(());
                }
                let keys: Vec<String> = map
                    .keys()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect();
                for name in keys {
                    let mut path: Vec<&str> = parents.to_vec();
                    path.push(&name);
                    if let Some(item) = map.get_mut(name.as_str()) {
                        self.walk(
                            item,
                            file,
                            &format!("{location}/{}", name.replace('/', "~1")),
                            &path,
                            has_base,
                        )?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The local `$ref` of the value at `pointer` in `file`, made a component the first time.
    fn component(
        &mut self,
        file: &Path,
        pointer: &str,
        parents: &[&str],
        location: &str,
    ) -> Result<String, ReadError> {
        let done_key = (file.to_path_buf(), pointer.to_owned());
        if let Some(local) = self.done.get(&done_key) {
            return Ok(local.clone());
        }
        if !self.files.contains_key(file) {
            let text = std::fs::read_to_string(file).map_err(|err| {
                (
                    location.to_owned(),
                    format!("cannot read the $ref'd file {}: {err}", file.display()),
                )
            })?;
            let mut notes = Vec::new();
            let value = yaml(&text, &mut notes).map_err(|(at, message)| {
                (
                    location.to_owned(),
                    format!("{}: {at}: {message}", file.display()),
                )
            })?;
            self.files.insert(file.to_path_buf(), value);
        }
        let segments: Vec<String> = pointer
            .trim_start_matches('#')
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| s.replace("~1", "/").replace("~0", "~"))
            .collect();
        let mut target = self.files.get(file).cloned().unwrap_or(Value::Null);
        let Some(found) = at_path(&mut target, &segments).cloned() else {
            return Err((
                location.to_owned(),
                format!("the $ref'd place {pointer} is not in {}", file.display()),
            ));
        };
        // Which kind of component it is, from where the `$ref` stands.
        let last = parents.last().copied().unwrap_or_default();
        let above = parents
            .len()
            .checked_sub(2)
            .map(|i| parents[i])
            .unwrap_or_default();
        let section: &'static str = match (above, last) {
            ("properties", _) => "schemas",
            (_, "parameters") | ("parameters", _) => "parameters",
            (_, "requestBody") | ("requestBodies", _) => "requestBodies",
            ("responses", _) => "responses",
            ("headers", _) => "headers",
            _ => "schemas",
        };
        let stem = segments
            .last()
            .cloned()
            .or_else(|| file.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "External".into());
        let name = (1..)
            .map(|n| {
                if n == 1 {
                    stem.clone()
                } else {
                    format!("{stem}{n}")
                }
            })
            .find(|name| {
                !self
                    .added
                    .iter()
                    .any(|(s, n, _)| *s == section && n == name)
                    && !self.existing.iter().any(|(s, n)| s == section && n == name)
            })
            .unwrap_or_default();
        let local = format!("#/components/{section}/{}", name.replace('/', "~1"));
        self.done.insert(done_key, local.clone());
        self.added.push((section, name, found));
        Ok(local)
    }
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
        assert!(
            read(
                "openapi: 2.0\ninfo: {title: t, version: '1'}\npaths: {}",
                None
            )
            .is_err()
        );
        let spec = read(
            "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nwebhooks: {}",
            None,
        )
        .unwrap()
        .spec;
        assert_eq!(spec.openapi, "3.0.3");
        assert!(spec.paths.paths.is_empty());
    }
}
