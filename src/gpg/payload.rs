//! The "atomic container signature" JSON inside a GPG simple-signing message, parsed as strictly
//! as containers/image does (`untrustedSignature.UnmarshalJSON`): exact member sets, no
//! duplicate keys, the right type.

use serde_json::{Map, Value};

use super::GpgError;
use sigaudit_gojson as gojson;

/// The only `critical.type` a GPG simple-signing payload may carry.
pub const ATOMIC_PAYLOAD_TYPE: &str = "atomic container signature";

/// The claims of a simple-signing payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleSigningPayload {
    /// `critical.identity.docker-reference`: the reference the signer meant, e.g.
    /// `registry.example.com/team/app:1.0`. Not validated here: matching it is the caller's job
    /// (policy.json `signedIdentity`, or the audit's repository check).
    pub docker_reference: String,
    /// `critical.image.docker-manifest-digest`, e.g. `sha256:<hex>`.
    pub manifest_digest: String,
    /// `critical.type`, always [`ATOMIC_PAYLOAD_TYPE`] once parsed.
    pub payload_type: String,
    /// `optional`: unknown members are kept, not interpreted.
    pub optional: Map<String, Value>,
    /// `optional.creator`, when a string.
    pub creator: Option<String>,
    /// `optional.timestamp` (seconds since the epoch).
    pub timestamp: Option<i64>,
}

/// The one member of an object that must have exactly `names`.
fn exact<'a>(v: &'a Value, what: &str, names: &[&str]) -> Result<&'a Map<String, Value>, GpgError> {
    let obj = v
        .as_object()
        .ok_or_else(|| GpgError::InvalidPayload(format!("{what} is not an object")))?;
    for k in obj.keys() {
        if !names.contains(&k.as_str()) {
            return Err(GpgError::InvalidPayload(format!(
                "{what} has an unknown member {k:?}"
            )));
        }
    }
    for n in names {
        if !obj.contains_key(*n) {
            return Err(GpgError::InvalidPayload(format!("{what} has no {n:?}")));
        }
    }
    Ok(obj)
}

fn string(obj: &Map<String, Value>, what: &str, key: &str) -> Result<String, GpgError> {
    obj.get(key)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| GpgError::InvalidPayload(format!("{what}.{key} is not a string")))
}

/// Parse the signed content.
pub(crate) fn parse(content: &[u8]) -> Result<SimpleSigningPayload, GpgError> {
    // c/image matches keys exactly and refuses unknown ones, so a folded spelling is refused
    // below anyway; the shared rule refuses it first, with the reason.
    let v = gojson::parse(content).map_err(|e| match e {
        gojson::Error::Ambiguous { .. } => GpgError::AmbiguousPayload(e.to_string()),
        other => GpgError::InvalidPayload(other.to_string()),
    })?;
    let top = exact(&v, "the payload", &["critical", "optional"])?;
    let critical = exact(&top["critical"], "critical", &["type", "image", "identity"])?;
    let payload_type = string(critical, "critical", "type")?;
    if payload_type != ATOMIC_PAYLOAD_TYPE {
        return Err(GpgError::WrongPayloadType {
            found: payload_type,
        });
    }
    let image = exact(
        &critical["image"],
        "critical.image",
        &["docker-manifest-digest"],
    )?;
    let manifest_digest = string(image, "critical.image", "docker-manifest-digest")?;
    let identity = exact(
        &critical["identity"],
        "critical.identity",
        &["docker-reference"],
    )?;
    let docker_reference = string(identity, "critical.identity", "docker-reference")?;
    let optional = top["optional"]
        .as_object()
        .ok_or_else(|| GpgError::InvalidPayload("optional is not an object".into()))?
        .clone();
    let creator = match optional.get("creator") {
        None => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => {
            return Err(GpgError::InvalidPayload(
                "optional.creator is not a string".into(),
            ));
        }
    };
    let timestamp = match optional.get("timestamp") {
        None => None,
        Some(t) => Some(t.as_i64().ok_or_else(|| {
            GpgError::InvalidPayload("optional.timestamp is not an integer".into())
        })?),
    };
    Ok(SimpleSigningPayload {
        docker_reference,
        manifest_digest,
        payload_type,
        optional,
        creator,
        timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:aa"},"identity":{"docker-reference":"example.com/a:1"}},"optional":{"creator":"me","timestamp":5,"extra":true}}"#;

    #[test]
    fn parses_a_good_payload() {
        let p = parse(GOOD.as_bytes()).expect("good payload");
        assert_eq!(p.docker_reference, "example.com/a:1");
        assert_eq!(p.manifest_digest, "sha256:aa");
        assert_eq!(p.creator.as_deref(), Some("me"));
        assert_eq!(p.timestamp, Some(5));
        assert_eq!(p.optional.len(), 3);
    }

    #[test]
    fn refuses_what_containers_image_refuses() {
        let cases = [
            GOOD.replace(
                r#","optional":{"creator":"me","timestamp":5,"extra":true}"#,
                "",
            ),
            GOOD.replace(
                "atomic container signature",
                "cosign container image signature",
            ),
            GOOD.replace(r#""timestamp":5"#, r#""timestamp":5.5"#),
            GOOD.replace(r#""identity""#, r#""identity2""#),
            GOOD.replace(r#"{"docker-reference""#, r#"{"x":1,"docker-reference""#),
            GOOD.replace(r#""critical":{"#, r#""critical":{"type":"x","#),
            GOOD.replace(r#","extra":true}"#, r#"},"more":1"#),
            "This is not JSON\n".to_string(),
        ];
        for c in cases {
            assert!(parse(c.as_bytes()).is_err(), "accepted {c}");
        }
        assert!(matches!(
            parse(GOOD.replace("atomic container", "other").as_bytes()),
            Err(GpgError::WrongPayloadType { .. })
        ));
    }
}
