//! Prints BSON values the way mongosh does (Node's `util.inspect` style): `{ _id: ObjectId('…'), name: 'ada' }`,
//! on one line when it fits in 72 columns, else one field per line indented by two spaces.

use bson::{Bson, Document};

/// mongosh breaks a value over several lines when its one-line form is longer than this.
const LINE_WIDTH: usize = 72;

/// Nesting beyond this prints as `[Object]` / `[Array]`, keeping output bounded like Node's inspect depth.
const MAX_DEPTH: usize = 20;

/// A value as mongosh prints it.
pub fn format_value(value: &Bson) -> String {
    render(value, 0, 0)
}

/// A document as mongosh prints it.
pub fn format_document(doc: &Document) -> String {
    render_document(doc, 0, 0)
}

/// A list of documents (a cursor's result) as mongosh prints it: `[ {...}, {...} ]`.
pub fn format_documents(docs: &[Document]) -> String {
    let items: Vec<Bson> = docs.iter().cloned().map(Bson::Document).collect();
    render(&Bson::Array(items), 0, 0)
}

/// The value on one line, however long (for call texts such as `db.users.insertOne({ … })`).
pub fn format_inline(value: &Bson) -> String {
    inline(value, 0)
}

fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

fn key_text(key: &str) -> String {
    if is_identifier(key) {
        key.to_string()
    } else {
        quote(key)
    }
}

/// Single-quoted like Node, switching to double quotes when the text holds a single quote and no double quote.
fn quote(text: &str) -> String {
    let (q, other) = if text.contains('\'') && !text.contains('"') { ('"', '\'') } else { ('\'', '"') };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(q);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            c if c == other => out.push(c),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(q);
    out
}

fn number(d: f64) -> String {
    super::inspect::js_number(d)
}

fn scalar(value: &Bson) -> Option<String> {
    Some(match value {
        Bson::String(s) => quote(s),
        // The interpreter shows functions, errors and other non-data values inside printed objects as
        // `Symbol`s holding their printed form (`[Function: f]`): BSON's Symbol type is deprecated and never
        // stored by the lecture's code.
        Bson::Symbol(s) => s.clone(),
        Bson::Int32(i) => i.to_string(),
        Bson::Int64(i) => format!("Long('{i}')"),
        Bson::Double(d) => number(*d),
        Bson::Decimal128(d) => format!("Decimal128('{d}')"),
        Bson::Boolean(b) => b.to_string(),
        Bson::Null => "null".into(),
        Bson::Undefined => "undefined".into(),
        Bson::ObjectId(oid) => format!("ObjectId('{}')", oid.to_hex()),
        Bson::DateTime(dt) => match dt.try_to_rfc3339_string() {
            Ok(_) => format!("ISODate('{}')", iso_millis(dt.timestamp_millis())),
            Err(_) => format!("new Date({})", dt.timestamp_millis()),
        },
        Bson::RegularExpression(re) => {
            let flags: String = re.options.as_str().chars().filter(|c| "imsux".contains(*c)).collect();
            format!("/{}/{}", re.pattern.as_str(), flags)
        }
        Bson::Timestamp(ts) => format!("Timestamp({{ t: {}, i: {} }})", ts.time, ts.increment),
        Bson::Binary(bin) => {
            use base64_engine::encode;
            format!("Binary.createFromBase64('{}', {})", encode(&bin.bytes), u8::from(bin.subtype))
        }
        Bson::MinKey => "MinKey()".into(),
        Bson::MaxKey => "MaxKey()".into(),
        Bson::JavaScriptCode(code) => format!("Code('{code}')"),
        Bson::JavaScriptCodeWithScope(code) => format!("Code('{}')", code.code),
        Bson::DbPointer(_) => "DBPointer()".into(),
        Bson::Document(_) | Bson::Array(_) => return None,
    })
}

/// `2020-01-05T00:00:00.000Z`: always with milliseconds, as mongosh prints ISODate.
pub fn iso_millis(millis: i64) -> String {
    let days = millis.div_euclid(86_400_000);
    let in_day = millis.rem_euclid(86_400_000);
    let (y, m, d) = super::dates::civil_from_days(days);
    let (h, rest) = (in_day / 3_600_000, in_day % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    if (0..=9999).contains(&y) {
        format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z")
    } else {
        let sign = if y < 0 { '-' } else { '+' };
        format!("{sign}{:06}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}.{ms:03}Z", y.abs())
    }
}

fn inline(value: &Bson, depth: usize) -> String {
    if let Some(text) = scalar(value) {
        return text;
    }
    if depth >= MAX_DEPTH {
        return if matches!(value, Bson::Array(_)) { "[Array]".into() } else { "[Object]".into() };
    }
    match value {
        Bson::Document(doc) if doc.is_empty() => "{}".into(),
        Bson::Document(doc) => {
            let fields: Vec<String> =
                doc.iter().map(|(k, v)| format!("{}: {}", key_text(k), inline(v, depth + 1))).collect();
            format!("{{ {} }}", fields.join(", "))
        }
        Bson::Array(items) if items.is_empty() => "[]".into(),
        Bson::Array(items) => {
            let parts: Vec<String> = items.iter().map(|v| inline(v, depth + 1)).collect();
            format!("[ {} ]", parts.join(", "))
        }
        _ => String::new(),
    }
}

fn render(value: &Bson, indent: usize, depth: usize) -> String {
    match value {
        Bson::Document(doc) => render_document(doc, indent, depth),
        Bson::Array(items) => {
            let one_line = inline(value, depth);
            if one_line.len() + indent <= LINE_WIDTH || items.is_empty() || depth >= MAX_DEPTH {
                return one_line;
            }
            let pad = " ".repeat(indent + 2);
            let parts: Vec<String> =
                items.iter().map(|v| format!("{pad}{}", render(v, indent + 2, depth + 1))).collect();
            format!("[\n{}\n{}]", parts.join(",\n"), " ".repeat(indent))
        }
        other => inline(other, depth),
    }
}

fn render_document(doc: &Document, indent: usize, depth: usize) -> String {
    let one_line = inline(&Bson::Document(doc.clone()), depth);
    if one_line.len() + indent <= LINE_WIDTH || doc.is_empty() || depth >= MAX_DEPTH {
        return one_line;
    }
    let pad = " ".repeat(indent + 2);
    let fields: Vec<String> =
        doc.iter().map(|(k, v)| format!("{pad}{}: {}", key_text(k), render(v, indent + 2, depth + 1))).collect();
    format!("{{\n{}\n{}}}", fields.join(",\n"), " ".repeat(indent))
}

mod base64_engine {
    //! Standard base64 for Binary values (what `Binary.createFromBase64` takes).
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn encode(bytes: &[u8]) -> String {
        let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
        for chunk in bytes.chunks(3) {
            let b = [chunk[0], chunk.get(1).copied().unwrap_or(0), chunk.get(2).copied().unwrap_or(0)];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::{doc, oid::ObjectId};
    use expect_test::expect;

    #[test]
    fn short_documents_stay_on_one_line() {
        let oid = ObjectId::parse_str("64b7f0c2a1b2c3d4e5f60718").unwrap();
        let doc = doc! {"_id": oid, "username": "ada", "age": 42, "score": 1.5, "tags": ["a", "b"]};
        expect![[r#"
            {
              _id: ObjectId('64b7f0c2a1b2c3d4e5f60718'),
              username: 'ada',
              age: 42,
              score: 1.5,
              tags: [ 'a', 'b' ]
            }"#]]
        .assert_eq(&format_document(&doc));
        expect![["{ acknowledged: true, deletedCount: 1 }"]]
            .assert_eq(&format_document(&doc! {"acknowledged": true, "deletedCount": 1}));
    }

    #[test]
    fn special_values_print_like_mongosh() {
        let date = bson::DateTime::from_millis(1_578_182_400_000);
        let doc = doc! {"d": date, "l": 5_i64, "n": null, "r": bson::Regex { pattern: "^a".to_string().try_into().unwrap(), options: "i".to_string().try_into().unwrap() }, "first name": "it's"};
        expect![[
            r#"{ d: ISODate('2020-01-05T00:00:00.000Z'), l: Long('5'), n: null, r: /^a/i, 'first name': "it's" }"#
        ]]
        .assert_eq(&format_inline(&Bson::Document(doc)));
        assert_eq!(format_value(&Bson::Double(42.0)), "42");
        assert_eq!(base64_engine::encode(b"hello"), "aGVsbG8=");
    }

    #[test]
    fn deep_values_are_bounded() {
        let mut value = Bson::Int32(1);
        for _ in 0..50 {
            value = Bson::Array(vec![value]);
        }
        assert!(format_value(&value).contains("[Array]"));
    }
}
