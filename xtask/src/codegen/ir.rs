//! The intermediate form between a spec and the Rust written from it.

/// One vendor's API, ready to emit.
#[derive(Debug)]
pub struct Api {
    /// The vendor's short name (the spec's file stem), such as `emnify`.
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    pub servers: Vec<Server>,
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
    pub operation_id: String,
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
    pub success: Outcome,
    pub errors: Vec<Outcome>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamLocation {
    Path,
    Query,
    Header,
}

#[derive(Debug)]
pub struct Param {
    pub wire: String,
    pub rust: String,
    pub location: ParamLocation,
    pub ty: Ty,
    pub required: bool,
    pub description: Option<String>,
}

#[derive(Debug)]
pub struct Body {
    pub ty: Ty,
    pub form: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Security {
    Bearer,
    Basic,
    ApiKeyHeader(String),
}

/// A documented response: its status, the error variant's name (for errors) and its body type.
#[derive(Debug)]
pub struct Outcome {
    pub status: u16,
    pub variant: String,
    pub description: String,
    pub ty: Option<Ty>,
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
    Union {
        variants: Vec<UnionVariant>,
        /// The discriminator property, for a tagged union.
        tag: Option<String>,
    },
}

#[derive(Debug)]
pub struct UnionVariant {
    pub name: String,
    pub model: String,
    pub tag_value: Option<String>,
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
}

impl Field {
    /// Whether the Rust field is an `Option`.
    pub fn optional(&self) -> bool {
        !self.required || self.nullable
    }
}
