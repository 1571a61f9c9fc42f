//! The trust policy as `trust add-cert` writes it: zot's default document when there is none,
//! and `--update-policy`'s one edit (a store added to `trustStores`) that keeps everything else
//! of the document: member order, unknown members, every other value.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use sigaudit_notation::policy::{PolicyError, TrustPolicyDocument};

/// zot's `_notation/trustpolicy.json`, byte for byte (zot-reference.md §3.3): tab-indented,
/// no trailing newline (zot writes a Go raw string literal), naming `ca:default`,
/// `signingAuthority:default` and `tsa:default`.
pub const ZOT_DEFAULT_TRUST_POLICY: &str = "{\n\t\"version\": \"1.0\",\n\t\"trustPolicies\": [\n\t\t{\n\t\t\t\"name\": \"default-config\",\n\t\t\t\"registryScopes\": [ \"*\" ],\n\t\t\t\"signatureVerification\": {\n\t\t\t\t\"level\": \"strict\",\n\t\t\t\t\"verifyTimestamp\": \"afterCertExpiry\"\n\t\t\t},\n\t\t\t\"trustStores\": [\"ca:default\",\"signingAuthority:default\",\"tsa:default\"],\n\t\t\t\"trustedIdentities\": [\n\t\t\t\t\"*\"\n\t\t\t]\n\t\t}\n\t]\n}";

/// The result of adding a store to a policy.
#[derive(Debug)]
pub struct Edited {
    /// The new document (pretty JSON, two-space indent, trailing newline); `None` when every
    /// statement already names the store.
    pub bytes: Option<Vec<u8>>,
    /// Names of the statements the store was added to.
    pub statements: Vec<String>,
}

/// Adds `store` (`type:name`) to the `trustStores` of every statement of `bytes` that is not
/// level `skip` and does not list it yet. `bytes` must be a valid policy: the document is
/// parsed and validated first (the error names the broken rule), and the result is validated
/// again before it is returned.
pub fn add_store(bytes: &[u8], store: &str) -> Result<Edited, PolicyError> {
    let doc = TrustPolicyDocument::from_json(bytes)?;
    doc.validate()?;
    let mut raw: Ordered = serde_json::from_slice(bytes).map_err(|e| PolicyError::Malformed {
        detail: e.to_string(),
    })?;
    let mut statements = Vec::new();
    let policies = raw
        .member_mut("trustPolicies")
        .and_then(Ordered::as_array_mut)
        .ok_or_else(|| PolicyError::Invalid("trust policy has no statements".into()))?;
    for (raw_st, st) in policies.iter_mut().zip(&doc.trust_policies) {
        if st.verification_level()?.is_skip() || st.trust_stores.iter().any(|s| s == store) {
            continue;
        }
        let value = Ordered::Str(store.to_string());
        match raw_st.member_mut("trustStores") {
            Some(Ordered::Arr(items)) => items.push(value),
            Some(other) => *other = Ordered::Arr(vec![value]),
            None => {
                if let Ordered::Obj(members) = raw_st {
                    members.push(("trustStores".into(), Ordered::Arr(vec![value])));
                }
            }
        }
        statements.push(st.name.clone());
    }
    if statements.is_empty() {
        return Ok(Edited {
            bytes: None,
            statements,
        });
    }
    let mut out = serde_json::to_vec_pretty(&raw).map_err(|e| PolicyError::Malformed {
        detail: e.to_string(),
    })?;
    out.push(b'\n');
    TrustPolicyDocument::from_json(&out)?.validate()?;
    Ok(Edited {
        bytes: Some(out),
        statements,
    })
}

/// A JSON value that keeps member order (serde_json's map sorts keys without its
/// `preserve_order` feature, which the rest of sigaudit does not want).
#[derive(Debug, Clone, PartialEq)]
enum Ordered {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    Arr(Vec<Ordered>),
    Obj(Vec<(String, Ordered)>),
}

impl Ordered {
    /// The member `key` of an object, matched like Go's `encoding/json` (ASCII case-insensitive;
    /// duplicates were refused by the policy parser).
    fn member_mut(&mut self, key: &str) -> Option<&mut Ordered> {
        match self {
            Ordered::Obj(members) => members
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    fn as_array_mut(&mut self) -> Option<&mut Vec<Ordered>> {
        match self {
            Ordered::Arr(items) => Some(items),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Ordered {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(OrderedVisitor)
    }
}

struct OrderedVisitor;

impl<'de> Visitor<'de> for OrderedVisitor {
    type Value = Ordered;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Ordered, E> {
        Ok(Ordered::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Ordered, E> {
        Ok(Ordered::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Ordered, E> {
        Ok(Ordered::Num(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Ordered, E> {
        Ok(Ordered::Num(v.into()))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Ordered, E> {
        serde_json::Number::from_f64(v)
            .map(Ordered::Num)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Ordered, E> {
        Ok(Ordered::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Ordered, E> {
        Ok(Ordered::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Ordered, A::Error> {
        let mut items = Vec::new();
        while let Some(v) = seq.next_element()? {
            items.push(v);
        }
        Ok(Ordered::Arr(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Ordered, A::Error> {
        let mut members = Vec::new();
        while let Some(kv) = map.next_entry()? {
            members.push(kv);
        }
        Ok(Ordered::Obj(members))
    }
}

impl Serialize for Ordered {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Null => s.serialize_unit(),
            Ordered::Bool(b) => s.serialize_bool(*b),
            Ordered::Num(n) => n.serialize(s),
            Ordered::Str(v) => s.serialize_str(v),
            Ordered::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for i in items {
                    seq.serialize_element(i)?;
                }
                seq.end()
            }
            Ordered::Obj(members) => {
                let mut map = s.serialize_map(Some(members.len()))?;
                for (k, v) in members {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_policy_is_valid_and_names_the_default_stores() {
        let doc =
            TrustPolicyDocument::from_json(ZOT_DEFAULT_TRUST_POLICY.as_bytes()).expect("parse");
        doc.validate().expect("valid");
        assert_eq!(
            doc.trust_policies[0].trust_stores,
            ["ca:default", "signingAuthority:default", "tsa:default"]
        );
    }

    #[test]
    fn adds_to_non_skip_statements_and_keeps_the_rest() {
        let src = br#"{"version":"1.0","x-note":{"b":1,"a":[true,null,2.5]},"trustPolicies":[
            {"name":"s","registryScopes":["reg.example/a"],"signatureVerification":{"level":"skip"}},
            {"name":"p","registryScopes":["*"],"signatureVerification":{"level":"strict"},
             "trustStores":["ca:default"],"trustedIdentities":["*"],"zzz":"kept"}]}"#;
        let e = add_store(src, "ca:release").expect("edit");
        assert_eq!(e.statements, ["p"]);
        let out = String::from_utf8(e.bytes.expect("changed")).expect("utf8");
        assert!(
            out.contains("\"ca:default\",\n        \"ca:release\""),
            "{out}"
        );
        assert!(out.find("x-note").expect("kept") < out.find("trustPolicies").expect("kept"));
        assert!(out.contains("\"zzz\": \"kept\""));
        assert!(out.contains("2.5"));
        // Already there: nothing to do.
        let again = add_store(out.as_bytes(), "ca:release").expect("edit");
        assert!(again.bytes.is_none());
    }

    #[test]
    fn refuses_an_invalid_policy() {
        let err = add_store(br#"{"version":"2.0","trustPolicies":[]}"#, "ca:x").expect_err("bad");
        assert!(err.to_string().contains("version"), "{err}");
    }
}
