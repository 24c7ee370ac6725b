//! Paths to operations: parameters (with their styles), request bodies, security, responses
//! and their headers, grouped by tag.

use super::*;

/// The locals of a generated operation's method, which no parameter may be named.
const LOCALS: &[&str] = &[
    "request", "response", "result", "value", "item", "body", "path",
];

/// The accessor of the operation group of `tag` on the client: its snake case, unless that is
/// one of the client's own methods (then with `_api`: a tag `Core` gives `core_api()`).
fn group_accessor(tag: &str) -> String {
    const CLIENT_METHODS: &[&str] = &[
        "builder",
        "new",
        "core",
        "with_credentials",
        "with_token",
        "with_token_provider",
        "bearer_token",
        "token",
        "request",
        "request_to",
        "token_middleware",
        "with_retry",
        "with_timeouts",
        "from",
        "clone",
        "fmt",
        "default",
    ];
    let name = rust_field_name(tag);
    if CLIENT_METHODS.contains(&name.as_str()) {
        format!("{name}_api")
    } else {
        name
    }
}

/// The name of an operation without an operationId: its method and path, each parameter as
/// `by_<name>` (`GET /users/{id}/keys` → `get users by id keys`).
pub(super) fn operation_name(method: &str, path: &str) -> String {
    let mut words = vec![method.to_owned()];
    for segment in path.split('/').filter(|segment| !segment.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => words.push(format!("by {param}")),
            None => words.push(segment.to_owned()),
        }
    }
    words.join(" ")
}

/// How a body of `media_type` is written and read.
pub(super) fn encoding(media_type: &str) -> Encoding {
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
pub(super) fn preferred(
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

/// Marks the models a request can hold: they get constructors.
pub(super) fn mark_request_side(models: &mut [Model], groups: &[Group]) {
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
            ModelKind::Union { variants, .. } | ModelKind::AnyOf(variants) => {
                variants.iter().for_each(|v| push(&v.ty, &mut pending))
            }
            ModelKind::Alias(ty) => push(ty, &mut pending),
            ModelKind::Headers(_) => {}
            ModelKind::StringEnum(_) | ModelKind::IntEnum(_) => {}
        }
    }
}

impl<'a> Lowerer<'a> {
    /// The operations grouped by tag; a path item or operation that is refused is recorded and
    /// left out.
    pub(super) fn lower_paths(&mut self) -> Vec<Group> {
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
                let lowered = self
                    .lower_operation(path, method, operation, &location)
                    .map_err(|mut problem| {
                        problem.message.push_str("; the operation is left out");
                        problem
                    });
                let Some(lowered) = self.record(lowered) else {
                    continue;
                };
                // Operations without a tag are one group of their own.
                let tag = operation.tags.first().map_or("default", String::as_str);
                let struct_name = format!("{}Api", type_name(tag));
                match groups.iter_mut().find(|g| g.struct_name == struct_name) {
                    Some(group) => group.operations.push(lowered),
                    None => groups.push(Group {
                        struct_name,
                        accessor: group_accessor(tag),
                        tag: tag.to_owned(),
                        description: self
                            .spec
                            .tags
                            .iter()
                            .find(|t| t.name == tag)
                            .and_then(|t| text(&t.description)),
                        operations: vec![lowered],
                    }),
                }
            }
        }
        // operationIds that become one Rust name (`getThing`, `get_thing`) are numbered: the
        // methods within their group, the error types across the API (one `errors` module), and
        // the groups' accessors (tags `Core` and `core`).
        number_clashes(groups.iter_mut().map(|g| &mut g.accessor), "_");
        for group in &mut groups {
            // `new` is the group's own constructor.
            let mut taken: BTreeSet<String> = BTreeSet::from(["new".to_owned()]);
            for operation in &mut group.operations {
                operation.name = unused(&operation.name, "_", |name| taken.contains(name));
                taken.insert(operation.name.clone());
            }
        }
        number_clashes(
            groups
                .iter_mut()
                .flat_map(|group| &mut group.operations)
                .map(|o| &mut o.error_type),
            "",
        );
        groups
    }

    /// `operation` with the parameters and servers its path item declares for all its
    /// operations, when it declares some: the operation's own parameter of the same name and
    /// place, and its own servers, win. `None` when the path item declares none.
    pub(super) fn with_path_item(
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

    pub(super) fn lower_operation(
        &mut self,
        path: &str,
        method: &str,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<Operation> {
        // Without an operationId, the method and the path name it (`GET /users/{id}/keys` →
        // `get_users_by_id_keys`).
        let has_operation_id = operation.operation_id.is_some();
        let operation_id = match &operation.operation_id {
            Some(id) => id.clone(),
            None => rust_field_name(&operation_name(method, path)),
        };
        let operation_id = &operation_id;
        let name = rust_field_name(operation_id);
        let server = self.server_variant(&operation.servers, &format!("{location}/servers"))?;
        let params = self.params(path, operation, location)?;
        let body = match &operation.request_body {
            None => None,
            Some(body) => Some(self.body(body, &format!("{location}/requestBody"))?),
        };
        let security = self.security(operation, location)?;
        let (successes, redirects, errors) = self.responses(operation, location)?;
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
            has_operation_id,
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
            redirects,
            errors,
            headers,
        })
    }

    pub(super) fn params(
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
                Parameter::Cookie { .. } => ParamLocation::Cookie,
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
            // A parameter with `content` is its media type's schema, sent as JSON text.
            let (ty, content) = match &data.format {
                ParameterSchemaOrContent::Schema(schema) => (
                    self.type_or_json(schema, &format!("{param_location}/schema"))
                        .0,
                    false,
                ),
                ParameterSchemaOrContent::Content(content) => {
                    let schema = content.iter().find_map(|(media_type, content)| {
                        Some((media_type, content.schema.as_ref()?))
                    });
                    let ty = match schema {
                        Some((media_type, schema)) => {
                            self.type_or_json(
                                schema,
                                &format!("{param_location}/content/{}/schema", pointer(media_type)),
                            )
                            .0
                        }
                        None => Ty::Json,
                    };
                    (ty, true)
                }
            };
            let plain = |ty: &Ty| {
                !matches!(ty, Ty::Vec(_) | Ty::JsonObject | Ty::Json | Ty::Map(_))
                    && !self.is_struct_or_union(ty)
            };
            let object = |ty: &Ty| {
                matches!(ty, Ty::JsonObject | Ty::Json | Ty::Map(_)) || self.is_struct_or_union(ty)
            };
            let style = match (&ty, parameter) {
                _ if content => ParamStyle::Json,
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
                (Ty::Vec(item), Parameter::Header { .. } | Parameter::Path { .. })
                    if plain(item) =>
                {
                    ParamStyle::Join(",")
                }
                (ty, Parameter::Query { style, .. }) if object(ty) => ParamStyle::Object {
                    deep: matches!(style, openapiv3::QueryStyle::DeepObject),
                },
                (ty, _) if plain(ty) => ParamStyle::Plain,
                // An object or a list of them anywhere else: its JSON text.
                _ => ParamStyle::Json,
            };
            params.push(Param {
                wire: data.name.clone(),
                rust: rust_field_name(&data.name),
                location: location_kind,
                ty,
                // A path parameter is always required (a spec that says otherwise is wrong).
                required: data.required || location_kind == ParamLocation::Path,
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
            ParamLocation::Cookie => in_template.len() + 2,
        });
        // Names the generated method uses for itself are not the parameters'.
        let mut taken: BTreeSet<String> = LOCALS.iter().map(|local| (*local).to_owned()).collect();
        for param in &mut params {
            let name = unused(&param.rust, "_", |candidate| taken.contains(candidate));
            taken.insert(name.clone());
            param.rust = name;
        }
        Ok(params)
    }

    pub(super) fn body(
        &mut self,
        body: &ReferenceOr<openapiv3::RequestBody>,
        location: &str,
    ) -> Result<Body> {
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
        let mut ty = match (encoding, &content.schema) {
            (Encoding::Json | Encoding::Form, Some(schema)) => {
                self.type_or_json(schema, &content_location).0
            }
            (Encoding::Json, None) => Ty::Json,
            (Encoding::Form, None) => Ty::JsonObject,
            (Encoding::Text, _) => Ty::String,
            (Encoding::Binary, _) => Ty::Json,
        };
        if encoding == Encoding::Form && !self.is_struct_or_union(&ty) && ty != Ty::JsonObject {
            self.record::<()>(reject(
                &content_location,
                "a form body is an object of fields; this schema is none, so the body is a map of them",
            ));
            ty = Ty::JsonObject;
        }
        Ok(Body {
            ty,
            encoding,
            media_type: media_type.to_owned(),
            required: body.required,
        })
    }

    /// The schemes an operation accepts, one per requirement (several schemes of one
    /// requirement go together, an empty one allows no credentials). A requirement that names a
    /// scheme the spec does not define is left out, with a problem.
    pub(super) fn security(
        &mut self,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<Vec<Security>> {
        let (requirements, requirements_location) = match &operation.security {
            Some(own) => (own.as_slice(), format!("{location}/security")),
            None => (
                self.spec.security.as_deref().unwrap_or_default(),
                "#/security".to_owned(),
            ),
        };
        let mut schemes = Vec::new();
        'requirements: for (index, requirement) in requirements.iter().enumerate() {
            if requirement.is_empty() {
                if !schemes.contains(&Security::Anonymous) {
                    schemes.push(Security::Anonymous);
                }
                continue;
            }
            let mut all = Vec::new();
            for name in requirement.keys() {
                match self.scheme(name) {
                    Some(scheme) => all.push(scheme),
                    None => {
                        self.record::<()>(reject(
                            &format!("{requirements_location}/{index}"),
                            format!(
                                "the security scheme {name:?} is not in #/components/securitySchemes; this requirement is left out"
                            ),
                        ));
                        continue 'requirements;
                    }
                }
            }
            let scheme = if all.len() == 1 {
                all.remove(0)
            } else {
                Security::All(all)
            };
            if !schemes.contains(&scheme) {
                schemes.push(scheme);
            }
        }
        // Anonymous access is the last resort: the credentials that fit go first.
        if let Some(index) = schemes.iter().position(|s| *s == Security::Anonymous) {
            let anonymous = schemes.remove(index);
            schemes.push(anonymous);
        }
        Ok(schemes)
    }

    /// The scheme the spec defines as `name`: OAuth 2 and OpenID Connect send the token source's
    /// bearer token; an HTTP scheme other than bearer and basic sends an API key after its name.
    fn scheme(&self, name: &str) -> Option<Security> {
        let scheme = self
            .spec
            .components
            .as_ref()?
            .security_schemes
            .get(name)?
            .as_item()?;
        Some(match scheme {
            SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("bearer") => {
                Security::Bearer
            }
            SecurityScheme::HTTP { scheme, .. } if scheme.eq_ignore_ascii_case("basic") => {
                Security::Basic
            }
            SecurityScheme::HTTP { scheme, .. } => Security::HttpScheme(scheme.clone()),
            SecurityScheme::APIKey { location, name, .. } => match location {
                APIKeyLocation::Header => Security::ApiKeyHeader(name.clone()),
                APIKeyLocation::Query => Security::ApiKeyQuery(name.clone()),
                APIKeyLocation::Cookie => Security::ApiKeyCookie(name.clone()),
            },
            SecurityScheme::OAuth2 { .. } | SecurityScheme::OpenIDConnect { .. } => {
                Security::Bearer
            }
        })
    }

    /// The model of the headers the operation's 2xx responses document (each once, the first
    /// spelling of its name), or `None` when they document none. A header is read as the plain
    /// type its schema gives (text otherwise), and as a `Secret` when its name says it carries one.
    pub(super) fn response_headers(
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
                    constant: None,
                    tolerant: false,
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

    /// The documented responses: the successes, the redirects and the errors. A 1xx never
    /// reaches the caller, and 429 and 5xx are kinds of `ApiError` common to every operation:
    /// they are left out. `default` is the error of every 4xx not listed, and also the success
    /// when the operation lists no 2xx or 3xx.
    pub(super) fn responses(
        &mut self,
        operation: &openapiv3::Operation,
        location: &str,
    ) -> Result<(Vec<Outcome>, Vec<Status>, Vec<Outcome>)> {
        let listed = operation
            .responses
            .responses
            .iter()
            .map(|(status, response)| {
                let status = match *status {
                    StatusCode::Code(code) => Status::Code(code),
                    StatusCode::Range(hundreds) => Status::Range(hundreds),
                };
                (
                    status,
                    response,
                    format!(
                        "{location}/responses/{status_key}",
                        status_key = status_key(status)
                    ),
                )
            });
        let default = operation.responses.default.iter().map(|response| {
            (
                Status::Default,
                response,
                format!("{location}/responses/default"),
            )
        });
        let mut successes = Vec::new();
        let mut redirects = Vec::new();
        let mut errors = Vec::new();
        let mut fallback = None;
        for (status, response, response_location) in listed.chain(default) {
            let class = match status {
                Status::Code(code) => code / 100,
                Status::Range(hundreds) => hundreds,
                Status::Default => 0,
            };
            match (class, status) {
                (3, _) => {
                    redirects.push(status);
                    continue;
                }
                (0 | 2 | 4, _) if status != Status::Code(429) => {}
                _ => continue,
            }
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
                                self.type_or_json(schema, &schema_location).0
                            }
                            None => Ty::Json,
                        };
                        (Some(ty), None)
                    }
                    raw => (None, Some((raw, media_type.to_owned()))),
                },
            };
            let outcome = Outcome {
                status,
                variant: match status {
                    Status::Code(code) => status_variant(code),
                    Status::Range(_) => "ClientError".into(),
                    Status::Default => "Default".into(),
                },
                description: response.description.clone(),
                ty,
                raw,
            };
            match class {
                2 => successes.push(outcome),
                4 => errors.push(outcome),
                _ => fallback = Some(outcome),
            }
        }
        if let Some(fallback) = fallback {
            if successes.is_empty() && redirects.is_empty() {
                successes.push(fallback.clone());
            }
            errors.push(fallback);
        }
        // One Rust type for every 2xx: the same body (or none) in each; when they differ, any
        // JSON value.
        let bodies: Vec<_> = successes
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
            self.record::<()>(reject(
                &format!("{location}/responses"),
                "the 2xx responses have bodies of different types; the success is read as any JSON value",
            ));
            for outcome in &mut successes {
                if outcome.ty.is_some() || outcome.raw.is_some() {
                    outcome.ty = Some(Ty::Json);
                    outcome.raw = None;
                }
            }
        }
        Ok((successes, redirects, errors))
    }
}

/// How a status is written as a key of `responses`.
fn status_key(status: Status) -> String {
    match status {
        Status::Code(code) => code.to_string(),
        Status::Range(hundreds) => format!("{hundreds}XX"),
        Status::Default => "default".into(),
    }
}
