//! Helpers the generated code calls (through `__private`): path joining, response headers,
//! parameters sent as JSON text, the string enums' reading, and the tolerant reading of
//! descriptive objects.

/// Joins the pieces of a path in one allocation of the exact size (cheaper than `format!`, which
/// the generated operations would otherwise call on every request).
pub fn concat(pieces: &[&str]) -> String {
    let mut joined = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for piece in pieces {
        joined.push_str(piece);
    }
    joined
}

/// The value of the response header `name`, parsed; `None` when it is absent, not text, or does
/// not parse as `T` (a documented header that is missing or malformed never fails the call).
pub fn header_value<T: std::str::FromStr>(
    headers: &reqwest::header::HeaderMap,
    name: &str,
) -> Option<T> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

/// `value` as JSON text: a parameter whose spec sends an object (or any value) as JSON.
pub fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, crate::Error> {
    serde_json::to_string(value)
        .map_err(|err| crate::Error::InvalidRequest(format!("cannot encode a parameter: {err}")))
}

/// Reads a string enum from a JSON string, borrowed where the input allows: every text is a
/// value (the generated enums map one they do not know to `Unknown`), anything else an error.
pub fn string_enum<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: for<'a> From<&'a str>,
{
    struct Text<T>(std::marker::PhantomData<T>);
    impl<T: for<'a> From<&'a str>> serde::de::Visitor<'_> for Text<T> {
        type Value = T;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a string")
        }
        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
            Ok(T::from(value))
        }
    }
    deserializer.deserialize_str(Text(std::marker::PhantomData))
}

/// Reads a descriptive object (a field whose component the spec marks `x-tolerant`): a value
/// that does not decode as `T` (a missing field, another type, an older shape) reads as `None`,
/// so that it never fails the answer that carries it; `null` and absence read as `None` too.
pub fn tolerant<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    // The value's text, as it stands in the answer (no tree of it is built), read again as `T`.
    let raw = <Box<serde_json::value::RawValue> as serde::Deserialize>::deserialize(deserializer)?;
    Ok(serde_json::from_str(raw.get()).ok())
}

/// Reads an array of descriptive objects: the items that decode as `T`, the others left out;
/// anything but an array reads as `None`.
pub fn tolerant_items<'de, D, T>(deserializer: D) -> Result<Option<Vec<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    let raw = <Box<serde_json::value::RawValue> as serde::Deserialize>::deserialize(deserializer)?;
    let Ok(items) = serde_json::from_str::<Vec<&serde_json::value::RawValue>>(raw.get()) else {
        return Ok(None);
    };
    Ok(Some(
        items
            .into_iter()
            .filter_map(|item| serde_json::from_str(item.get()).ok())
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    struct Profile {
        watched: u8,
    }

    #[derive(Debug, serde::Deserialize)]
    struct Account {
        id: u32,
        #[serde(default, deserialize_with = "tolerant")]
        profile: Option<Profile>,
        #[serde(default, deserialize_with = "tolerant_items")]
        services: Option<Vec<Profile>>,
    }

    #[test]
    fn a_descriptive_object_that_does_not_decode_is_absent_and_the_rest_decodes() {
        let read = |json: &str| serde_json::from_str::<Account>(json).unwrap();
        let account = read(r#"{"id": 1, "profile": {"watched": 1}, "services": [{"watched": 2}]}"#);
        assert_eq!(account.profile, Some(Profile { watched: 1 }));
        assert_eq!(account.services, Some(vec![Profile { watched: 2 }]));
        let odd = read(
            r#"{"id": 2, "profile": {"older": true}, "services": [{"watched": "x"}, {"watched": 3}]}"#,
        );
        assert_eq!((odd.id, odd.profile), (2, None));
        assert_eq!(odd.services, Some(vec![Profile { watched: 3 }]));
        let absent = read(r#"{"id": 3, "profile": null, "services": "none"}"#);
        assert_eq!((absent.profile, absent.services), (None, None));
        assert_eq!(read(r#"{"id": 4}"#).profile, None);
        // The strict fields stay strict.
        assert!(serde_json::from_str::<Account>(r#"{"id": "x"}"#).is_err());
    }

    #[test]
    fn a_string_enum_reads_any_text_borrowed_or_escaped_and_nothing_else() {
        #[derive(Debug, PartialEq)]
        enum Channel {
            Sms,
            Unknown(String),
        }
        impl From<&str> for Channel {
            fn from(value: &str) -> Self {
                match value {
                    "sms" => Channel::Sms,
                    other => Channel::Unknown(other.to_owned()),
                }
            }
        }
        let read = |json: &str| {
            let mut deserializer = serde_json::Deserializer::from_str(json);
            super::string_enum::<_, Channel>(&mut deserializer)
        };
        assert_eq!(read(r#""sms""#).unwrap(), Channel::Sms);
        assert_eq!(read(r#""s\u006ds""#).unwrap(), Channel::Sms);
        assert_eq!(read(r#""push""#).unwrap(), Channel::Unknown("push".into()));
        let error = read("7").unwrap_err().to_string();
        assert!(error.contains("expected a string"), "{error}");
    }
}
