//! "Accepted" means "compiles": small specs made at random from hostile names (keywords, the
//! generated code's own locals and methods, prelude types, names that differ only in case,
//! acronyms, digits first) and every construct the generator reads, each generated, all of them
//! compiled together as one crate under `cargo clippy -- -D warnings`.
//!
//! Slow (a crate build), so ignored by `cargo test`; `.ci/corpus` runs it:
//! `cargo test -p xtask --test accepted_compiles -- --ignored`. `ACCEPTED_SPECS` sets how many
//! specs (40), `ACCEPTED_SEED` the first seed.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// A small deterministic generator (xorshift64*): the same seed, the same specs.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Names that have broken generated code, or could.
const NAMES: &[&str] = &[
    "request",
    "response",
    "result",
    "value",
    "item",
    "body",
    "path",
    "self",
    "super",
    "crate",
    "type",
    "Self",
    "Result",
    "Option",
    "String",
    "Vec",
    "Default",
    "Serialize",
    "Fields",
    "Unknown",
    "Core",
    "core",
    "new",
    "default",
    "builder",
    "fmt",
    "clone",
    "from",
    "OAuth2",
    "oauth2",
    "IPv6Addr",
    "userIDs",
    "user_ids",
    "40x",
    "1st",
    "a-b",
    "A_B",
    "ab",
    "Ab",
    "AB",
    "x-id",
    "X-Id",
    "name",
    "Name",
    "NAME",
    "id",
    "Id",
    "async",
    "await",
    "match",
    "Inline",
    "Error",
    "Client",
    "Server",
    "models",
    "errors",
    "operations",
    "client",
    "OPERATION",
    "segment",
    "id_segment",
    "é",
];

const TYPES: &[&str] = &[
    "{type: string}",
    "{type: string, format: password}",
    "{type: integer}",
    "{type: integer, format: int32}",
    "{type: number}",
    "{type: boolean}",
    "{type: array, items: {type: string}}",
    "{type: object}",
    "{type: object, additionalProperties: {type: integer}}",
    "{}",
    "{type: string, enum: [a, A, a-b, a_b, '', '1', Unknown, Self]}",
    "{type: integer, enum: [-1, 0, 1, 1]}",
    // One value: a constant the constructor sets (a struct of only constants has a `Default`).
    "{type: string, enum: [only]}",
    "{type: string, enum: [only], nullable: true}",
    "{type: string, nullable: true}",
];

fn quoted(name: &str) -> String {
    format!("'{}'", name.replace('\'', "''"))
}

/// An inline schema: a plain type, a reference, or (at depth) an object, union or merge.
fn schema(dice: &mut Dice, components: &[String], depth: u32) -> String {
    match dice.below(if depth > 2 { 3 } else { 8 }) {
        0 | 1 => dice.pick(TYPES).to_owned(),
        2 if !components.is_empty() => format!(
            "{{$ref: '#/components/schemas/{}'}}",
            components[dice.below(components.len())]
        ),
        2 => "{type: string}".to_owned(),
        3 => object(dice, components, depth + 1),
        4 => format!(
            "{{oneOf: [{}, {}]}}",
            schema(dice, components, depth + 1),
            schema(dice, components, depth + 1)
        ),
        5 => format!(
            "{{anyOf: [{}, {}]}}",
            schema(dice, components, depth + 1),
            schema(dice, components, depth + 1)
        ),
        6 => format!(
            "{{allOf: [{}, {}]}}",
            object(dice, components, depth + 1),
            object(dice, components, depth + 1)
        ),
        _ => format!(
            "{{type: array, items: {}}}",
            schema(dice, components, depth + 1)
        ),
    }
}

fn object(dice: &mut Dice, components: &[String], depth: u32) -> String {
    let mut properties = Vec::new();
    let mut required = Vec::new();
    let mut seen = Vec::new();
    for _ in 0..dice.below(5) {
        let name = dice.pick(NAMES);
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        if dice.chance(40) {
            required.push(quoted(name));
        }
        properties.push(format!(
            "{}: {}",
            quoted(name),
            schema(dice, components, depth)
        ));
    }
    let title = if dice.chance(20) {
        format!(", title: {}", quoted(dice.pick(NAMES)))
    } else {
        String::new()
    };
    format!(
        "{{type: object{title}, required: [{}], properties: {{{}}}}}",
        required.join(", "),
        properties.join(", ")
    )
}

const STATUSES: &[&str] = &[
    "'200'", "'201'", "'204'", "'2XX'", "'301'", "'302'", "'304'", "'3XX'", "'400'", "'404'",
    "'4XX'", "'429'", "'500'", "'5XX'", "default", "'101'",
];

/// A spec of a few components, operations and security schemes, all picked by `dice`.
fn spec(dice: &mut Dice) -> String {
    let mut text = String::from("openapi: 3.0.3\ninfo: {title: Random, version: '1'}\n");
    if dice.chance(70) {
        text.push_str("servers: [{url: 'https://api.example.com/v1'}]\n");
    }
    // Component keys differ (YAML keys must), though they may differ only in case.
    let mut components: Vec<String> = Vec::new();
    for _ in 0..dice.below(5) {
        let name = dice.pick(NAMES).to_owned();
        if !components.contains(&name) {
            components.push(name);
        }
    }
    let schemes = [
        "bearer: {type: http, scheme: bearer}",
        "basic: {type: http, scheme: basic}",
        "token: {type: http, scheme: Token}",
        "header: {type: apiKey, in: header, name: X-Key}",
        "query: {type: apiKey, in: query, name: key}",
        "cookie: {type: apiKey, in: cookie, name: key}",
        "oauth: {type: oauth2, flows: {implicit: {authorizationUrl: 'https://a.example/auth', scopes: {}}}}",
        "oidc: {type: openIdConnect, openIdConnectUrl: 'https://a.example/.well-known/openid-configuration'}",
    ];
    let scheme_names = [
        "bearer", "basic", "token", "header", "query", "cookie", "oauth", "oidc",
    ];
    text.push_str("paths:\n");
    let mut paths = std::collections::BTreeSet::new();
    for index in 0..1 + dice.below(6) {
        let mut path = format!("/p{index}");
        let mut path_params = Vec::new();
        for _ in 0..dice.below(3) {
            let name = dice.pick(NAMES);
            if path_params.contains(&name) {
                continue;
            }
            path_params.push(name);
            write!(path, "/{{{name}}}").unwrap();
        }
        if !paths.insert(path.clone()) {
            continue;
        }
        writeln!(text, "  {}:", quoted(&path)).unwrap();
        for method in ["get", "post", "put", "delete"] {
            if !dice.chance(45) && method != "get" {
                continue;
            }
            writeln!(text, "    {method}:").unwrap();
            if dice.chance(70) {
                writeln!(text, "      operationId: {}", quoted(dice.pick(NAMES))).unwrap();
            }
            if dice.chance(70) {
                writeln!(text, "      tags: [{}]", quoted(dice.pick(NAMES))).unwrap();
            }
            if dice.chance(50) {
                let mut requirement = Vec::new();
                for _ in 0..1 + dice.below(2) {
                    let scheme = scheme_names[dice.below(scheme_names.len())];
                    if !requirement.contains(&format!("{scheme}: []")) {
                        requirement.push(format!("{scheme}: []"));
                    }
                }
                let optional = if dice.chance(20) { "{}, " } else { "" };
                writeln!(
                    text,
                    "      security: [{optional}{{{}}}]",
                    requirement.join(", ")
                )
                .unwrap();
            }
            writeln!(text, "      parameters:").unwrap();
            for name in &path_params {
                writeln!(
                    text,
                    "        - {{name: {}, in: path, required: true, schema: {}}}",
                    quoted(name),
                    dice.pick(&[
                        "{type: string}",
                        "{type: integer}",
                        "{type: object, properties: {a: {type: string}}}"
                    ])
                )
                .unwrap();
            }
            for _ in 0..dice.below(4) {
                let place = dice.pick(&["query", "header", "cookie"]);
                writeln!(
                    text,
                    "        - {{name: {}, in: {place}, required: {}, schema: {}}}",
                    quoted(dice.pick(NAMES)),
                    dice.chance(50),
                    schema(dice, &components, 2)
                )
                .unwrap();
            }
            if method != "get" && dice.chance(60) {
                let media = dice.pick(&[
                    "application/json",
                    "application/x-www-form-urlencoded",
                    "text/plain",
                    "application/octet-stream",
                ]);
                writeln!(
                    text,
                    "      requestBody: {{required: {}, content: {{{media}: {{schema: {}}}}}}}",
                    dice.chance(50),
                    object(dice, &components, 1)
                )
                .unwrap();
            }
            writeln!(text, "      responses:").unwrap();
            let mut listed = Vec::new();
            for _ in 0..1 + dice.below(4) {
                let status = dice.pick(STATUSES);
                if listed.contains(&status) {
                    continue;
                }
                listed.push(status);
                let content = if dice.chance(60) {
                    format!(
                        ", content: {{application/json: {{schema: {}}}}}",
                        schema(dice, &components, 1)
                    )
                } else {
                    String::new()
                };
                writeln!(text, "        {status}: {{description: d{content}}}").unwrap();
            }
        }
    }
    text.push_str("components:\n  schemas:\n");
    for name in &components {
        writeln!(
            text,
            "    {}: {}",
            quoted(name),
            object(dice, &components, 1)
        )
        .unwrap();
    }
    text.push_str(
        "  responses:\n    Shared:\n      description: a response written as a component\n",
    );
    writeln!(
        text,
        "      content: {{application/json: {{schema: {}}}}}",
        object(dice, &components, 0)
    )
    .unwrap();
    text.push_str("  securitySchemes:\n");
    for scheme in schemes {
        writeln!(text, "    {scheme}").unwrap();
    }
    text
}

#[test]
#[ignore = "builds a crate: run by .ci/corpus"]
fn every_accepted_spec_compiles_clippy_clean() {
    let count: u64 = std::env::var("ACCEPTED_SPECS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40);
    let seed: u64 = std::env::var("ACCEPTED_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1);
    let root = xtask::workspace_root();
    let dir = std::env::temp_dir().join(format!("accepted-compiles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let mut lib = String::from("//! Random specs, generated.\n");
    for index in 0..count {
        let mut dice = Dice(0x9e37_79b9_7f4a_7c15 ^ (seed + index).wrapping_mul(0x1000_0001));
        let text = spec(&mut dice);
        let name = format!("spec_{index}");
        std::fs::write(dir.join(format!("{name}.yaml")), &text).unwrap();
        let generated = xtask::codegen::generate_api(&format!("{name}.yaml"), &name, &text, None)
            .unwrap_or_else(|error| panic!("{name} is not accepted: {error}\n{text}"));
        let out = dir.join("src").join(&name);
        std::fs::create_dir_all(&out).unwrap();
        for (file, contents) in generated.files {
            std::fs::write(out.join(file), contents).unwrap();
        }
        writeln!(
            lib,
            "/// `{name}.yaml`.\n#[path = \"{name}/mod.rs\"]\npub mod {name};"
        )
        .unwrap();
    }
    std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
    let auth_core = root.join("crates/auth-core");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"accepted\"\nversion = \"0.0.0\"\nedition = \"2024\"\n\n[workspace]\n\n\
             [dependencies]\nauth-core = {{ path = {:?} }}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\n\
             [features]\nmiddleware = [\"auth-core/middleware\"]\n\n\
             [lints.rust]\nmissing_docs = \"deny\"\n",
            auth_core.display().to_string()
        ),
    )
    .unwrap();
    std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let status = Command::new(env!("CARGO"))
        .args([
            "clippy",
            "--quiet",
            "--all-features",
            "--",
            "-D",
            "warnings",
        ])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", target.join("accepted"))
        .status()
        .expect("cargo runs");
    assert!(
        status.success(),
        "the generated crates did not compile clippy-clean; the specs are in {}",
        dir.display()
    );
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}
