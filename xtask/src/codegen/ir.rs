//! The intermediate form between a spec and the Rust written from it.

/// One vendor's API, ready to emit.
#[derive(Debug)]
pub struct Api {
    /// The vendor's short name (the spec's file stem), such as `emnify`.
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub servers: Vec<Server>,
    /// The `Server` variant `Client::request()` sends to: the spec's one server, or the one its
    /// `x-rust: {request-server: <variant>}` names. `None` (several servers, none named): the
    /// client has only `request_to(server, ..)`.
    pub request_server: Option<String>,
    /// Headers the client sets once (`x-client-headers`); a client is then built with them.
    pub client_headers: Vec<String>,
    pub models: Vec<Model>,
    pub groups: Vec<Group>,
}

/// A server URL operations are sent to.
#[derive(Debug)]
pub struct Server {
    /// The variant of the generated `Server` enum: the server's `x-rust-name`, or a name made
    /// from its host (`Default` for the spec's first server without one).
    pub variant: String,
    pub url: String,
    pub description: Option<String>,
    /// The variables of a templated URL (`{protocol}://{ip}:{port}`), in the template's order.
    pub variables: Vec<ServerVariable>,
}

/// A variable of a templated server URL.
#[derive(Debug)]
pub struct ServerVariable {
    pub wire: String,
    pub rust: String,
    /// `Ty::String`, or the string enum of its listed values.
    pub ty: Ty,
    pub default: String,
    pub description: Option<String>,
}

/// The operations of one tag.
#[derive(Debug)]
pub struct Group {
    pub struct_name: String,
    /// The client's accessor for the group (snake case of the tag).
    pub accessor: String,
    pub tag: String,
    pub description: Option<String>,
    pub operations: Vec<Operation>,
}

#[derive(Debug)]
pub struct Operation {
    /// The spec's operationId, or (without one) the method's name.
    pub operation_id: String,
    /// Whether the spec gave the operationId.
    pub has_operation_id: bool,
    /// The method's name (snake case of the operationId).
    pub name: String,
    pub error_type: String,
    pub summary: Option<String>,
    pub description: Option<String>,
    /// Upper case: `GET`, `POST`, ...
    pub method: String,
    pub path: String,
    /// The variant of the `Server` enum the operation is sent to.
    pub server: String,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    pub security: Vec<Security>,
    /// Safe to send twice: GET, HEAD, PUT, DELETE, or marked `x-retry-safe: true`.
    pub idempotent: bool,
    /// The 2xx responses (codes, the `2XX` range, or `default` when it is the only success);
    /// their bodies are of one type (`Option` of it when some have none). None: any 2xx is a
    /// success without a body.
    pub successes: Vec<Outcome>,
    /// The documented 3xx statuses (codes, or the `3XX` range): the operation returns them as
    /// `auth_core::Redirect`.
    pub redirects: Vec<Status>,
    /// The documented 4xx statuses (codes, the `4XX` range, `default` for the rest).
    pub errors: Vec<Outcome>,
    /// The model of the headers the 2xx responses document (`ModelKind::Headers`), if any:
    /// the operation then returns `auth_core::WithHeaders` of its body and them.
    pub headers: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
    Cookie,
}

#[derive(Debug)]
pub struct Param {
    pub wire: String,
    pub rust: String,
    pub location: ParamLocation,
    pub ty: Ty,
    pub required: bool,
    pub description: Option<String>,
    pub style: ParamStyle,
}

/// How a parameter's value is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamStyle {
    /// One value, displayed.
    Plain,
    /// An array, the parameter repeated per item (`form`, exploded: the query's default).
    Repeat,
    /// An array, its items joined by the separator (`,` `form` unexploded or `simple`, ` `
    /// `spaceDelimited`, `|` `pipeDelimited`).
    Join(&'static str),
    /// An object in the query: a parameter per member (`form`), or `name[member]`
    /// (`deepObject`).
    Object { deep: bool },
    /// Any other value (an object in a path or header, a parameter with `content`): its JSON
    /// text.
    Json,
}

/// How a body is written (a request's) or read (a response's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
    /// Text of the media type (`text/*`, XML): a `String`.
    Text,
    /// Any other media type: bytes.
    Binary,
}

#[derive(Debug)]
pub struct Body {
    /// The body's type, for JSON and form bodies; `Ty::String` for text, unused for bytes.
    pub ty: Ty,
    pub encoding: Encoding,
    pub media_type: String,
    /// Whether the operation needs one; otherwise the method takes an `Option`.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    /// HTTP bearer, OAuth 2 and OpenID Connect.
    Bearer,
    Basic,
    ApiKeyHeader(String),
    ApiKeyQuery(String),
    ApiKeyCookie(String),
    /// Another HTTP scheme (`Authorization: <scheme> <key>`).
    HttpScheme(String),
    /// A requirement naming several schemes: all of them.
    All(Vec<Security>),
    /// An empty requirement: no credentials needed.
    Anonymous,
}

/// Which statuses a documented response stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Code(u16),
    /// `2XX`, `3XX`, `4XX`: the hundreds digit.
    Range(u16),
    /// `default`: every status not listed.
    Default,
}

/// A documented response: its status, the error variant's name (for errors) and its body.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Status,
    pub variant: String,
    pub description: String,
    /// The JSON body's type; `None` for no body or one that is not JSON.
    pub ty: Option<Ty>,
    /// A body that is not JSON: its encoding (`Text` or `Binary`) and media type.
    pub raw: Option<(Encoding, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    String,
    Secret,
    Bool,
    I32,
    I64,
    F64,
    Vec(Box<Ty>),
    Named(String),
    /// A free-form JSON object.
    JsonObject,
    /// Any JSON value: a schema without a type the generator can tell.
    Json,
    /// A JSON object of named values of one type (`additionalProperties: T`).
    Map(Box<Ty>),
    /// A model held by a `Box`: a reference back to the type that holds it (a tree, a linked
    /// list), which Rust cannot hold in place.
    Boxed(Box<Ty>),
}

#[derive(Debug)]
pub struct Model {
    pub name: String,
    pub description: Option<String>,
    pub kind: ModelKind,
    /// Whether users build it (it is reachable from a request), and so gets constructors.
    pub request_side: bool,
}

#[derive(Debug)]
pub enum ModelKind {
    Struct(Vec<Field>),
    StringEnum(Vec<(String, String)>),
    IntEnum(Vec<(String, i64)>),
    /// The response headers an operation documents: each field read from the header of its
    /// `wire` name, `None` when absent or malformed.
    Headers(Vec<Field>),
    /// Another name for a type (a component schema that is a plain type, an array or a map).
    Alias(Ty),
    Union {
        variants: Vec<UnionVariant>,
        /// The discriminator property, for a tagged union.
        tag: Option<String>,
    },
    /// An `anyOf`: every member the value is, each an `Option`.
    AnyOf(Vec<UnionVariant>),
}

#[derive(Debug)]
pub struct UnionVariant {
    pub name: String,
    /// The member's type: a model, or a plain type for an untagged union's plain members.
    pub ty: Ty,
    pub tag_value: Option<String>,
}

impl UnionVariant {
    /// The model of a member that is one.
    pub fn model(&self) -> Option<&str> {
        match &self.ty {
            Ty::Named(name) => Some(name),
            _ => None,
        }
    }
}

#[derive(Debug)]
pub struct Field {
    pub wire: String,
    pub rust: String,
    pub ty: Ty,
    pub required: bool,
    pub nullable: bool,
    pub description: Option<String>,
    pub deprecated: bool,
    /// The one variant of the field's type, a string enum of a single value (OAuth's
    /// `grant_type: [client_credentials]`): constructors set it instead of taking it.
    pub constant: Option<String>,
    /// Its type is a descriptive object (`x-tolerant: true` on the component), or an array of
    /// them: a value that does not decode reads as absent (an array keeps the items that do),
    /// and never fails the answer.
    pub tolerant: bool,
}

impl Field {
    /// Whether the Rust field is an `Option`.
    pub fn optional(&self) -> bool {
        !self.required || self.nullable || self.tolerant
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Code(code) => write!(f, "HTTP {code}"),
            Status::Range(hundreds) => write!(f, "HTTP {hundreds}XX"),
            Status::Default => f.write_str("Any other status (`default`)"),
        }
    }
}
