//! Reads the conformance files' JSON into BSON, decoding only the wrappers FORMAT.md names ($oid, $date,
//! $regularExpression, $binary).

use bson::{Bson, Document};
use serde_json::Value;

/// Converts case-file JSON to BSON. `{"$regex": ..}` stays a query operator; integers become Int32 when they fit, else Int64.
pub fn to_bson(value: &Value) -> Result<Bson, String> {
    Ok(match value {
        Value::Null => Bson::Null,
        Value::Bool(b) => Bson::Boolean(*b),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                match i32::try_from(i) {
                    Ok(small) => Bson::Int32(small),
                    Err(_) => Bson::Int64(i),
                }
            } else {
                Bson::Double(n.as_f64().ok_or_else(|| format!("number out of range: {n}"))?)
            }
        }
        Value::String(s) => Bson::String(s.clone()),
        Value::Array(items) => Bson::Array(items.iter().map(to_bson).collect::<Result<_, _>>()?),
        Value::Object(map) => {
            if map.len() == 1 {
                if let Some(Value::String(hex)) = map.get("$oid") {
                    let oid = bson::oid::ObjectId::parse_str(hex).map_err(|e| format!("bad $oid {hex:?}: {e}"))?;
                    return Ok(Bson::ObjectId(oid));
                }
                if let Some(Value::String(iso)) = map.get("$date") {
                    let date = bson::DateTime::parse_rfc3339_str(iso).map_err(|e| format!("bad $date {iso:?}: {e}"))?;
                    return Ok(Bson::DateTime(date));
                }
                if let Some(Value::Object(binary)) = map.get("$binary") {
                    use base64::Engine;
                    let text = binary.get("base64").and_then(Value::as_str).unwrap_or_default();
                    let bytes = base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .map_err(|e| format!("bad $binary {text:?}: {e}"))?;
                    let subtype = binary.get("subType").and_then(Value::as_str).unwrap_or("00");
                    let subtype =
                        u8::from_str_radix(subtype, 16).map_err(|e| format!("bad subType {subtype:?}: {e}"))?;
                    return Ok(Bson::Binary(bson::Binary { subtype: subtype.into(), bytes }));
                }
                if let Some(Value::Object(re)) = map.get("$regularExpression") {
                    let pattern = re.get("pattern").and_then(Value::as_str).unwrap_or_default();
                    let options = re.get("options").and_then(Value::as_str).unwrap_or_default();
                    return regex_value(pattern, options);
                }
            }
            Bson::Document(to_document_map(map)?)
        }
    })
}

/// Converts a JSON object to a BSON document (see [`to_bson`]).
pub fn to_document(value: &Value) -> Result<Document, String> {
    match value {
        Value::Object(map) => to_document_map(map),
        other => Err(format!("expected an object, found {other}")),
    }
}

fn to_document_map(map: &serde_json::Map<String, Value>) -> Result<Document, String> {
    let mut doc = Document::new();
    for (key, item) in map {
        doc.insert(key.clone(), to_bson(item)?);
    }
    Ok(doc)
}

/// Builds a BSON regex value; options are stored sorted, as BSON requires.
pub fn regex_value(pattern: &str, options: &str) -> Result<Bson, String> {
    let mut opts: Vec<char> = options.chars().collect();
    opts.sort_unstable();
    let options: String = opts.into_iter().collect();
    Ok(Bson::RegularExpression(bson::Regex {
        pattern: pattern.to_string().try_into().map_err(|e| format!("bad regex pattern: {e}"))?,
        options: options.try_into().map_err(|e| format!("bad regex options: {e}"))?,
    }))
}
