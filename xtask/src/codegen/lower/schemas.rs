//! Schemas to models and types: objects, enums, unions, allOf merges, maps, aliases, and the
//! untyped schemas real specs hold, read as what their keywords mean.

use super::*;

/// What makes two schemas written in place the same type: the schema without its prose
/// (`description`, `example`, `examples`, and vendor extensions other than the enum names), as
/// JSON text. Only schema keywords are dropped: a property named `description` stays.
fn shape_key(schema: &Schema) -> Option<String> {
    fn strip(schema: &mut serde_json::Value) {
        let serde_json::Value::Object(map) = schema else {
            return;
        };
        map.retain(|key, _| match key.as_str() {
            "description" | "example" | "examples" => false,
            "x-enum-varnames" | "x-speakeasy-enums" => true,
            key => !key.starts_with("x-"),
        });
        for (key, value) in map.iter_mut() {
            match (key.as_str(), value) {
                ("properties", serde_json::Value::Object(properties)) => {
                    properties.values_mut().for_each(strip);
                }
                ("items" | "additionalProperties" | "not", value) => strip(value),
                ("allOf" | "oneOf" | "anyOf", serde_json::Value::Array(members)) => {
                    members.iter_mut().for_each(strip);
                }
                _ => {}
            }
        }
    }
    let mut value = serde_json::to_value(schema).ok()?;
    strip(&mut value);
    serde_json::to_string(&value).ok()
}

/// A schema that only says "null" (3.1's `type: "null"`, read as a bare `nullable: true`).
pub(super) fn is_null(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(Schema { schema_data, schema_kind: SchemaKind::Any(any) })
        if schema_data.nullable && *any == openapiv3::AnySchema::default())
}

/// A schema that constrains nothing (`{}`, or only a description): an allOf member that adds
/// nothing to the others.
pub(super) fn is_empty(schema: &ReferenceOr<Schema>) -> bool {
    matches!(schema, ReferenceOr::Item(Schema { schema_kind: SchemaKind::Any(any), .. })
        if *any == openapiv3::AnySchema::default())
}

/// The variant of an untagged union for a member of a plain type.
pub(super) fn plain_variant(ty: &Ty) -> String {
    match ty {
        Ty::String | Ty::Secret => "String".into(),
        Ty::Bool => "Bool".into(),
        Ty::I32 | Ty::I64 => "Integer".into(),
        Ty::F64 => "Number".into(),
        Ty::Vec(_) => "List".into(),
        Ty::Map(_) | Ty::JsonObject => "Object".into(),
        Ty::Json => "Value".into(),
        Ty::Named(name) => name.clone(),
        Ty::Boxed(inner) => plain_variant(inner),
    }
}

/// A schema `openapiv3` could not type, rewritten as the one its keywords mean, or `None` when it
/// is typed already or says too little (it is then any JSON value):
/// - properties (or `additionalProperties`) without `type` → an object;
/// - `enum` without `type` → a string, integer or boolean enum when the values agree;
/// - `items` without `type` → an array;
/// - `type` beside `allOf`/`oneOf` → the allOf or oneOf, the schema's own properties as one
///   more allOf member.
pub(super) fn canonical(schema: &Schema) -> Option<Schema> {
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

impl<'a> Lowerer<'a> {
    /// The component key a schema `$ref` points at.
    pub(super) fn schema_key(&self, reference: &str, location: &str) -> Result<&'a str> {
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

    /// The schema at a place inside a component schema (a `$ref` with a longer pointer), when
    /// there is one.
    pub(super) fn nested_schema(&self, reference: &str) -> Option<Schema> {
        let rest = reference.strip_prefix(SCHEMAS)?;
        let (key, inner) = rest.split_once('/')?;
        let key = key.replace("~1", "/").replace("~0", "~");
        let component = self.component_schema(&key)?;
        let value = serde_json::to_value(component).ok()?;
        let target = value.pointer(&format!("/{inner}"))?;
        serde_json::from_value(target.clone()).ok()
    }

    pub(super) fn component_schema(&self, key: &str) -> Option<&'a Schema> {
        self.spec.components.as_ref()?.schemas.get(key)?.as_item()
    }

    pub(super) fn lower_model(
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
                // Each value once (a spec that lists one twice means it once).
                let mut values: Vec<String> = Vec::new();
                for value in string.enumeration.iter().flatten() {
                    if !values.contains(value) {
                        values.push(value.clone());
                    }
                }
                let names = enum_names(schema, &values, |value| value.clone());
                ModelKind::StringEnum(names.into_iter().zip(values).collect())
            }
            SchemaKind::Type(Type::Integer(integer)) if !integer.enumeration.is_empty() => {
                let mut values: Vec<i64> = Vec::new();
                for value in integer.enumeration.iter().flatten() {
                    if !values.contains(value) {
                        values.push(*value);
                    }
                }
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
            SchemaKind::AnyOf { any_of }
                if !(any_of.iter().any(is_null)
                    && any_of.iter().filter(|member| !is_null(member)).count() == 1) =>
            {
                let mut members: Vec<UnionVariant> = Vec::new();
                for (index, member) in any_of.iter().enumerate() {
                    if is_null(member) {
                        continue;
                    }
                    let (ty, _) = self.type_or_json(member, &format!("{location}/anyOf/{index}"));
                    let variant = match &ty {
                        Ty::Named(model) => variant_name(&name, model),
                        other => plain_variant(other),
                    };
                    let variant = unused(&variant, "", |candidate| {
                        members.iter().any(|v| v.name == candidate)
                    });
                    members.push(UnionVariant {
                        name: variant,
                        ty,
                        tag_value: None,
                    });
                }
                ModelKind::AnyOf(members)
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
    pub(super) fn all_of_one(&self, all_of: &[ReferenceOr<Schema>]) -> Option<usize> {
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
    pub(super) fn all_of_member(
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
            // A member that only adds requirements (`{required: [id]}`), or properties without
            // saying `type: object`.
            SchemaKind::Any(any)
                if any.all_of.is_empty() && any.one_of.is_empty() && any.any_of.is_empty() =>
            {
                Ok((
                    self.fields(&any.properties, &any.required, None, &location)?,
                    any.required.clone(),
                ))
            }
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

    /// Whether every member of `one_of` (but `null`) is a `$ref` to an object component that
    /// requires `property`: then `property` tells the members apart.
    pub(super) fn tags_members(&self, one_of: &[ReferenceOr<Schema>], property: &str) -> bool {
        one_of
            .iter()
            .filter(|member| !is_null(member))
            .all(|member| {
                let ReferenceOr::Reference { reference } = member else {
                    return false;
                };
                let Some(schema) = reference
                    .strip_prefix(SCHEMAS)
                    .and_then(|key| self.component_schema(key))
                else {
                    return false;
                };
                matches!(&schema.schema_kind, SchemaKind::Type(Type::Object(object))
                if object.properties.contains_key(property)
                    && object.required.iter().any(|r| r == property))
            })
    }

    pub(super) fn union(
        &mut self,
        name: &str,
        schema: &Schema,
        one_of: &[ReferenceOr<Schema>],
        location: &str,
    ) -> Result<ModelKind> {
        // A discriminator its members do not bear out (a member written in place, or without
        // the property as a required field) is read as no discriminator: an untagged union.
        let discriminator = schema
            .schema_data
            .discriminator
            .as_ref()
            .filter(|d| self.tags_members(one_of, &d.property_name));
        let mut variants: Vec<UnionVariant> = Vec::new();
        for (index, member) in one_of.iter().enumerate() {
            let member_location = format!("{location}/oneOf/{index}");
            if is_null(member) {
                continue;
            }
            let tag_value = match (discriminator, member) {
                (Some(discriminator), ReferenceOr::Reference { reference }) => {
                    let key = self.schema_key(reference, &member_location)?;
                    let mapped = discriminator
                        .mapping
                        .iter()
                        .find(|(_, target)| *target == reference)
                        .map(|(value, _)| value.clone());
                    Some(mapped.unwrap_or_else(|| key.to_owned()))
                }
                _ => None,
            };
            let (ty, _) = self.type_or_json(member, &member_location);
            let variant = match &ty {
                Ty::Named(model) => variant_name(name, model),
                other => plain_variant(other),
            };
            let variant = unused(&variant, "", |candidate| {
                variants.iter().any(|v| v.name == candidate)
            });
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

    /// Whether a property's schema is a component marked `x-tolerant: true` (a descriptive
    /// object, such as an account's profile), or an array of such components.
    fn is_tolerant(&self, schema: &ReferenceOr<Box<Schema>>) -> bool {
        let marked = |reference: &str| {
            reference
                .strip_prefix(SCHEMAS)
                .and_then(|key| self.component_schema(key))
                .and_then(|target| target.schema_data.extensions.get("x-tolerant"))
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false)
        };
        match schema {
            ReferenceOr::Reference { reference } => marked(reference),
            ReferenceOr::Item(schema) => match &schema.schema_kind {
                SchemaKind::Type(Type::Array(array)) => matches!(
                    array.items.as_ref(),
                    Some(ReferenceOr::Reference { reference }) if marked(reference)
                ),
                _ => false,
            },
        }
    }

    pub(super) fn fields(
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
            let (ty, nullable) = self.type_or_json(schema, &field_location);
            let data = match schema {
                ReferenceOr::Item(schema) => Some(&schema.schema_data),
                ReferenceOr::Reference { .. } => None,
            };
            let tolerant = self.is_tolerant(schema);
            fields.push(Field {
                wire: wire.clone(),
                rust: rust_field_name(wire),
                ty,
                required: required.contains(wire),
                nullable,
                description: data.and_then(|d| text(&d.description)),
                deprecated: data.is_some_and(|d| d.deprecated),
                constant: None,
                tolerant,
            });
        }
        distinct_rust_names(&mut fields);
        Ok(fields)
    }

    /// The Rust type of a schema used in place, and whether it is nullable.
    pub(super) fn lower_type<S: std::borrow::Borrow<Schema>>(
        &mut self,
        schema: &ReferenceOr<S>,
        location: &str,
    ) -> Result<(Ty, bool)> {
        let schema = match schema {
            ReferenceOr::Reference { reference } => {
                if let Some(nested) = self.nested_schema(reference) {
                    // A place inside a component (`#/components/schemas/X/properties/y`): that
                    // schema, written in place, named after where it stands.
                    let target = reference.trim_start_matches('#').to_owned();
                    return self.lower_type(&ReferenceOr::Item(nested), &format!("#{target}"));
                }
                let key = self.schema_key(reference, location)?;
                return Ok((Ty::Named(self.names[key].clone()), false));
            }
            ReferenceOr::Item(schema) => schema.borrow(),
        };
        let canonical = canonical(schema);
        let schema = canonical.as_ref().unwrap_or(schema);
        let nullable = schema.schema_data.nullable;
        let named = |this: &mut Self| -> Result<Ty> {
            // The same shape written in place before is that model.
            let key = shape_key(schema);
            if let Some(name) = key.as_ref().and_then(|key| this.inline.get(key)) {
                return Ok(Ty::Named(name.clone()));
            }
            // Its title names it; without one, or when the title is taken, where it stands does.
            let name = schema
                .schema_data
                .title
                .as_deref()
                .map(type_name)
                .filter(|name| !this.is_taken(name))
                .unwrap_or_else(|| this.free_name(&this.name_from_location(location)));
            // Held while its members are lowered, so that none of them takes the name.
            this.reserved.insert(name.clone());
            let lowered = this.lower_model(None, name.clone(), schema, location);
            this.reserved.remove(&name);
            lowered?;
            if let Some(key) = key {
                this.inline.insert(key, name.clone());
            }
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
                        self.type_or_json(items, &format!("{location}/items"));
                    // `null` among the items is a value of its own: keep every item as JSON.
                    Ty::Vec(Box::new(if item_nullable { Ty::Json } else { item }))
                }
            },
            SchemaKind::Type(Type::Object(object)) if object.properties.is_empty() => match &object
                .additional_properties
            {
                Some(openapiv3::AdditionalProperties::Schema(values)) => {
                    let (value, value_nullable) = self
                        .type_or_json(values.as_ref(), &format!("{location}/additionalProperties"));
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
                let (ty, _) = self.type_or_json(member, &format!("{location}/oneOf/{index}"));
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
            // An anyOf of one type and `null` is that type, nullable.
            SchemaKind::AnyOf { any_of }
                if any_of.iter().any(is_null)
                    && any_of.iter().filter(|member| !is_null(member)).count() == 1 =>
            {
                let (index, member) = any_of
                    .iter()
                    .enumerate()
                    .find(|(_, member)| !is_null(member))
                    .expect("one member is not null");
                let (ty, _) = self.type_or_json(member, &format!("{location}/anyOf/{index}"));
                return Ok((ty, true));
            }
            SchemaKind::AnyOf { .. } => named(self)?,
            // "Anything but ..." is any JSON value to a Rust type.
            SchemaKind::Not { .. } | SchemaKind::Any(_) => Ty::Json,
        };
        Ok((ty, nullable))
    }

    /// Whether `ty` names an object or a union. Every component schema is lowered before the
    /// paths, which are the only callers, so `self.models` holds every named type by then.
    pub(super) fn is_struct_or_union(&self, ty: &Ty) -> bool {
        let Ty::Named(name) = ty else { return false };
        match self
            .models
            .iter()
            .find(|m| &m.name == name)
            .map(|m| &m.kind)
        {
            Some(ModelKind::Struct(_) | ModelKind::Union { .. } | ModelKind::AnyOf(_)) => true,
            Some(ModelKind::Alias(Ty::JsonObject | Ty::Map(_))) => true,
            Some(ModelKind::Alias(inner @ Ty::Named(_))) => self.is_struct_or_union(inner),
            _ => false,
        }
    }

    /// The type of `schema`, or any JSON value (with the problem recorded) when it cannot be
    /// lowered: one schema the generator cannot type never costs the rest of the spec.
    pub(super) fn type_or_json<S: std::borrow::Borrow<Schema>>(
        &mut self,
        schema: &ReferenceOr<S>,
        location: &str,
    ) -> (Ty, bool) {
        match self.lower_type(schema, location) {
            Ok(lowered) => lowered,
            Err(mut problem) => {
                problem.message.push_str("; read as any JSON value");
                self.problems.push(problem);
                (Ty::Json, false)
            }
        }
    }
}
