//! The JSON Schema (draft 2020-12) of `report.json`, generated from the types that write it
//! (`sigaudit schema report`; checked in as `docs/report.schema.json`).
//!
//! It describes exactly what serde writes: custom serialisers (RFC 3339 times, digests, result
//! codes) declare their string form, and every field is required, because the model always
//! writes every field (an absent value is `null`). Objects are left open (`additionalProperties`
//! unset) so that a report from a later version, with fields added, still validates; the test
//! suite validates reports against the closed form ([`closed`]) to prove no field is missing
//! from the schema.

use serde_json::Value;

/// The published schema of `report.json`.
pub fn report_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<super::json::Document<'static>>();
    let mut value = schema.to_value();
    require_all(&mut value);
    if let Value::Object(o) = &mut value {
        o.insert(
            "title".into(),
            Value::from(format!(
                "sigaudit report.json, schema version {}",
                sigaudit_model::report::SCHEMA_VERSION
            )),
        );
    }
    value
}

/// The schema's text as checked in: pretty-printed, with a final newline.
pub fn report_schema_text() -> String {
    let mut text = serde_json::to_string_pretty(&report_schema()).unwrap_or_default();
    text.push('\n');
    text
}

/// Every object schema with `properties` requires all of them (the model writes every field);
/// schemars' integer formats (`uint`, `uint32`, ...), which no JSON Schema vocabulary defines
/// and strict validators refuse, are dropped (`minimum: 0` says the same).
fn require_all(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| f.starts_with("uint") || f.starts_with("int"))
            {
                o.remove("format");
            }
            if let Some(Value::Object(props)) = o.get("properties") {
                let names: Vec<Value> = props.keys().cloned().map(Value::from).collect();
                o.insert("required".into(), Value::Array(names));
            }
            for child in o.values_mut() {
                require_all(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(require_all),
        _ => {}
    }
}

/// `schema` with `additionalProperties: false` on every object schema that lists properties
/// (and none set otherwise): a report validates against it only if the schema names every field
/// the report has.
pub fn closed(schema: &Value) -> Value {
    let mut v = schema.clone();
    close(&mut v);
    v
}

fn close(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if o.contains_key("properties") && !o.contains_key("additionalProperties") {
                o.insert("additionalProperties".into(), Value::Bool(false));
            }
            for child in o.values_mut() {
                close(child);
            }
        }
        Value::Array(a) => a.iter_mut().for_each(close),
        _ => {}
    }
}
