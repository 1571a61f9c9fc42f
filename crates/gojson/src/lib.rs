//! JSON as Go reads it: the one parser for every signed or trust-deciding JSON document.
//!
//! cosign, notation-go, zot and containers/image are Go programs. Go's `encoding/json` matches an
//! object key to a struct field **case-insensitively under Unicode simple case folding** (so
//! `Critical`, `IMAGE`, `TargetArtifact`, `docker-manifeſt-digest` with U+017F LATIN SMALL LETTER
//! LONG S, and `doc\u212Aer-manifest-digest` with U+212A KELVIN SIGN all name the field they fold
//! to), and when several keys name one field **the last one wins**. `protojson` (sigstore bundles,
//! in-toto statements, trusted roots as cosign v3 reads them) accepts a field under its JSON name
//! and under its proto name (`mediaType` and `media_type`, `_type` and `type`). A parser that
//! picks a different one of two such keys reads a different document from the same signed bytes:
//! a payload signed for image C under a folded key and for image T under the plain one would be
//! trusted for T by sigaudit and read as C by every Go verifier.
//!
//! **The rule.** A document is refused as ambiguous when any object in it, at any depth (maps
//! included), has two keys equal under Go's key folding ([`fold_name`]: ASCII letters
//! upper-cased, every other rune replaced by the smallest rune of its simple case folding
//! orbit; exact duplicates are equal too). [`parse_proto`] also equates keys that differ only by
//! underscores, which covers protojson's two names of a field. Nothing else is refused here:
//! unknown keys, `null`s and types are the callers' business. Refusing more than Go is safe;
//! reading differently from Go is not, so the folding is a superset of Go's (see
//! [`UNICODE_VERSION`]: Go 1.19 has Unicode 13 tables, newer Go Unicode 15; case folding of
//! assigned characters never changes between versions, so a later table only adds pairs).
//!
//! Accepted documents are read the way Go reads them: [`get`] and [`from_slice`] match a field
//! name by the same folding (exact match first, as Go does), so a struct reads `Critical` or
//! `targetArtifact` wherever Go would; maps keep their keys exactly, as Go's maps do.
//!
//! Also refused, where Go would substitute U+FFFD: invalid UTF-8 and unpaired surrogate escapes.
//!
//! This module uses nothing else from the crate, so that `notation` (to become a crate of its
//! own) and the rest share one rule. `tests/it/go_differential.rs` checks it against Go itself.

mod de;
mod fold;
mod fold_table;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
pub use serde_json::{Map, Value};

pub use fold::{fold_name, fold_rune, same_field};
pub use fold_table::UNICODE_VERSION;

/// Why a document was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Not one well-formed JSON value in UTF-8 (trailing data, invalid UTF-8 and unpaired
    /// surrogate escapes included).
    #[error("not valid JSON: {0}")]
    Syntax(String),
    /// Two keys of one object name the same field for a Go reader.
    #[error(
        "ambiguous JSON: the object at {path} has keys {first} and {second}, which {how}; a document where Go and sigaudit could read different values is refused"
    )]
    Ambiguous {
        /// Where the object is, as `$`, `$.critical.image`, `$.subject[0]`, `$["a.b"]`.
        path: String,
        /// The first key, quoted, non-ASCII characters escaped (`"docker-manife\u{17f}t-digest"`).
        first: String,
        /// The second key, quoted likewise.
        second: String,
        /// How they collide (for the message).
        how: &'static str,
    },
    /// Well-formed and unambiguous, but not of the shape the caller asked [`from_slice`] for.
    #[error("{0}")]
    Shape(String),
}

impl Error {
    /// Whether this is the ambiguity refusal (callers report it with its own code).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, Error::Ambiguous { .. })
    }
}

/// Parses a document read by Go's `encoding/json`, refusing it when two keys of one object fold
/// to the same field (see the module docs).
pub fn parse(bytes: &[u8]) -> Result<Value, Error> {
    parse_with(bytes, Mode::EncodingJson)
}

/// Parses a document that Go also reads with `protojson` (sigstore bundles, in-toto statements,
/// trusted roots): as [`parse`], and keys that differ only by underscores (a field's JSON and
/// proto names) are ambiguous too.
pub fn parse_proto(bytes: &[u8]) -> Result<Value, Error> {
    parse_with(bytes, Mode::Protojson)
}

/// Decodes a document into `T` as Go would into the mirror struct: [`parse`]'s rule, then each
/// key matched to a struct field by Go's folding; `null` for a struct field is "absent" (Go
/// leaves the zero value); map keys stay exact. `T` must not use `#[serde(flatten)]` (that
/// decodes as a map, so its fields would match exactly).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let v = parse(bytes)?;
    from_value(&v)
}

/// Decodes an already parsed value into `T` (see [`from_slice`]).
pub fn from_value<T: DeserializeOwned>(v: &Value) -> Result<T, Error> {
    T::deserialize(de::GoValue(v)).map_err(|e| Error::Shape(e.to_string()))
}

/// The member of object `v` that Go's `encoding/json` decodes into a struct field named
/// `field`: the exact key, else the key that folds to it. `None` when `v` is not an object or
/// has no such member. In a document from [`parse`] at most one key folds to `field`.
pub fn get<'a>(v: &'a Value, field: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    get_in(obj, field)
}

/// [`get`] on a map.
pub fn get_in<'a>(obj: &'a Map<String, Value>, field: &str) -> Option<&'a Value> {
    obj.get(field).or_else(|| {
        obj.iter()
            .find(|(k, _)| same_field(k, field))
            .map(|(_, v)| v)
    })
}

/// Whether `obj` has a member Go decodes into field `field`.
pub fn has(obj: &Map<String, Value>, field: &str) -> bool {
    get_in(obj, field).is_some()
}

/// For a document that Go reads both with `encoding/json` (keys folded) and with `protojson`
/// (exact JSON or proto names): refuses a key of `obj` that either reader takes for one of
/// `fields` but that is not exactly that field's name (`Subject`, `sub_ject`), since the two
/// readers, and sigaudit's exact reading, would then disagree. `path` names `obj` in the message.
pub fn exact_fields(obj: &Map<String, Value>, path: &str, fields: &[&str]) -> Result<(), Error> {
    for key in obj.keys() {
        let class = Mode::Protojson.class(key);
        if let Some(field) = fields
            .iter()
            .find(|f| **f != key && Mode::Protojson.class(f) == class)
        {
            return Err(Error::Ambiguous {
                path: path.to_string(),
                first: quote_key(field),
                second: quote_key(key),
                how: "Go's encoding/json or protojson may read as one field while the other reader does not",
            });
        }
    }
    Ok(())
}

/// A key quoted for messages: printable ASCII as is, everything else as `\u{…}`, so that
/// `docker-manifeſt-digest` does not look like `docker-manifest-digest` in a log.
pub fn quote_key(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 2);
    out.push('"');
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            ' '..='~' => out.push(c),
            _ => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Which Go reader the ambiguity rule protects.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    EncodingJson,
    Protojson,
}

impl Mode {
    /// The class under which two keys of one object are ambiguous.
    fn class(self, key: &str) -> String {
        match self {
            Mode::EncodingJson => fold_name(key),
            Mode::Protojson => fold_name(&key.replace('_', "")),
        }
    }

    fn how(self, a: &str, b: &str) -> &'static str {
        if a == b {
            "are the same key (Go keeps the last)"
        } else if fold_name(a) == fold_name(b) {
            "Go's encoding/json reads as one field (keys match fields under Unicode case folding; the last wins)"
        } else {
            "protojson reads as one field (a field's JSON and proto names differ by underscores)"
        }
    }
}

/// One step of the path to the object being read.
enum Segment {
    Key(String),
    Index(usize),
}

/// `$`, then `.key` for plain keys, `["k e y"]` for others, `[i]` for array elements.
fn render_path(path: &[Segment]) -> String {
    let mut out = String::from("$");
    for s in path {
        match s {
            Segment::Index(i) => out.push_str(&format!("[{i}]")),
            Segment::Key(k)
                if !k.is_empty()
                    && k.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
            {
                out.push('.');
                out.push_str(k);
            }
            Segment::Key(k) => out.push_str(&format!("[{}]", quote_key(k))),
        }
    }
    out
}

/// State shared by the visitors of one parse.
struct Ctx {
    mode: Mode,
    path: RefCell<Vec<Segment>>,
    ambiguity: RefCell<Option<Error>>,
}

fn parse_with(bytes: &[u8], mode: Mode) -> Result<Value, Error> {
    let ctx = Ctx {
        mode,
        path: RefCell::new(Vec::new()),
        ambiguity: RefCell::new(None),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = Seed(&ctx)
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match result {
        Ok(v) => Ok(v),
        Err(e) => Err(ctx
            .ambiguity
            .into_inner()
            .unwrap_or_else(|| Error::Syntax(e.to_string()))),
    }
}

#[derive(Clone, Copy)]
struct Seed<'c>(&'c Ctx);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut out = Vec::new();
        loop {
            self.0.path.borrow_mut().push(Segment::Index(out.len()));
            let next = seq.next_element_seed(self);
            self.0.path.borrow_mut().pop();
            match next? {
                Some(v) => out.push(v),
                None => break,
            }
        }
        Ok(Value::Array(out))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        let mut seen: HashMap<String, String> = HashMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let class = self.0.mode.class(&key);
            if let Some(first) = seen.get(&class) {
                let err = Error::Ambiguous {
                    path: render_path(&self.0.path.borrow()),
                    first: quote_key(first),
                    second: quote_key(&key),
                    how: self.0.mode.how(first, &key),
                };
                let text = err.to_string();
                *self.0.ambiguity.borrow_mut() = Some(err);
                return Err(serde::de::Error::custom(text));
            }
            self.0.path.borrow_mut().push(Segment::Key(key.clone()));
            let v = map.next_value_seed(self);
            self.0.path.borrow_mut().pop();
            seen.insert(class, key.clone());
            out.insert(key, v?);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ambiguous(doc: &str) -> (String, String, String) {
        match parse(doc.as_bytes()) {
            Err(Error::Ambiguous {
                path,
                first,
                second,
                ..
            }) => (path, first, second),
            other => panic!("{doc}: expected an ambiguity, got {other:?}"),
        }
    }

    #[test]
    fn folded_and_exact_duplicates_are_refused_at_every_depth_with_their_path() {
        let (path, a, b) = ambiguous(
            r#"{"critical":{"image":{"docker-manifest-digest":"sha256:aa","docker-manifeſt-digest":"sha256:bb"}}}"#,
        );
        assert_eq!(path, "$.critical.image");
        assert_eq!(a, r#""docker-manifest-digest""#);
        assert_eq!(b, r#""docker-manife\u{17f}t-digest""#);
        let (path, _, b) = ambiguous(
            r#"{"a":[{"x":1},{"k":1,"\u212a":2}],"b":{"k.1":{"Critical":1,"critical":2}}}"#,
        );
        assert_eq!((path.as_str(), b.as_str()), ("$.a[1]", r#""\u{212a}""#));
        let (path, ..) = ambiguous(r#"{"b":{"k.1":{"Critical":1,"critical":2}}}"#);
        assert_eq!(path, r#"$.b["k.1"]"#);
        let (path, a, b) = ambiguous(r#"{"a":1,"a":2}"#);
        assert_eq!(
            (path.as_str(), a.as_str(), b.as_str()),
            ("$", "\"a\"", "\"a\"")
        );
        // Controls: distinct fields, the same key in sibling objects, and non-folding look-alikes.
        for ok in [
            r#"{"critical":{"image":{"docker-manifest-digest":"x"}},"optional":null}"#,
            r#"[{"x":1},{"x":2}]"#,
            r#"{"s":1,"ß":2,"t":3}"#,
            r#"{"i":1,"ı":2,"İ":3}"#,
        ] {
            parse(ok.as_bytes()).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        // ß and ẞ share an orbit in simple folding.
        assert!(parse(r#"{"ß":1,"ẞ":2}"#.as_bytes()).is_err());
    }

    #[test]
    fn protojson_names_are_one_field_only_in_proto_mode() {
        let doc = br#"{"mediaType":"a","media_type":"b"}"#;
        assert!(parse(doc).is_ok());
        let e = parse_proto(doc).expect_err("protojson names");
        assert!(e.to_string().contains("protojson"), "{e}");
        assert!(parse_proto(br#"{"_type":"a","type":"b"}"#).is_err());
        assert!(parse_proto(br#"{"_type":"a","subject":[]}"#).is_ok());
    }

    #[test]
    fn syntax_errors_are_not_ambiguities() {
        for bad in [
            &b"{\"a\":1} trailing"[..],
            b"{\"a\":\"\xff\"}",
            br#"{"a":"\ud800"}"#,
            b"",
            br#"{"a":1,}"#,
        ] {
            let e = parse(bad).expect_err("syntax");
            assert!(matches!(e, Error::Syntax(_)), "{e:?}");
        }
    }

    #[test]
    fn get_matches_fields_as_go_does() {
        let v =
            parse(r#"{"Critical":{"TYPE":"t","ımage":1},"doc\u212Aer":2}"#.as_bytes()).expect("ok");
        let c = get(&v, "critical").expect("Critical names critical");
        assert_eq!(get(c, "type"), Some(&Value::from("t")));
        // U+0131 dotless i does not fold to i in Go.
        assert_eq!(get(c, "image"), None);
        assert_eq!(get(&v, "docker"), Some(&Value::from(2)));
        assert_eq!(get(&v, "missing"), None);
    }

    #[test]
    fn typed_decoding_matches_fields_by_fold_and_keeps_map_keys() {
        #[derive(serde::Deserialize, Debug)]
        struct Desc {
            #[serde(rename = "mediaType", default)]
            media_type: String,
            #[serde(default)]
            size: i64,
            #[serde(default)]
            annotations: std::collections::BTreeMap<String, String>,
            #[serde(default)]
            urls: Option<Vec<String>>,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Payload {
            #[serde(rename = "targetArtifact")]
            target: Desc,
        }
        let p: Payload = from_slice(
            r#"{"TargetArtifact":{"MEDIATYPE":"m","ſize":3,"annotations":{"Key":"v"},"urls":null,"x":1}}"#.as_bytes(),
        )
        .expect("decodes");
        assert_eq!(p.target.media_type, "m");
        assert_eq!(p.target.size, 3);
        assert_eq!(
            p.target.annotations.get("Key").map(String::as_str),
            Some("v")
        );
        assert_eq!(p.target.urls, None);
        let e = from_slice::<Payload>(br#"{"targetArtifact":{"size":1.5}}"#).expect_err("float");
        assert!(matches!(e, Error::Shape(_)), "{e:?}");
        let e = from_slice::<Payload>(br#"{"targetArtifact":{},"TargetArtifact":{}}"#)
            .expect_err("ambiguous");
        assert!(e.is_ambiguous());
    }
}
