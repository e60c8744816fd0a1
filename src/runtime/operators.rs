//! JavaScript's operators and conversions on the interpreter's values: `typeof`, `String(v)`, `Number(v)`, `+`,
//! arithmetic, `===`/`==`, `<`, and turning a value into the BSON a database call sends (or a display shows).

use super::error::RuntimeError;
use super::value::{Global, Value};
use crate::js::inspect::{js_number, js_number_value, js_string};
use crate::shell::ast::BinaryOp;
use crate::shell::span::Span;
use bson::{Bson, Document};

/// The longest string a program may build (JavaScript engines stop near 2³⁰; a page would freeze long before).
pub const MAX_STRING_LENGTH: usize = 10_000_000;
/// The most elements an array built by a program may hold.
pub const MAX_ARRAY_LENGTH: usize = 1_000_000;

/// How deeply a value may nest when it is converted to BSON (MongoDB refuses more than 100 levels anyway; this
/// also stops an object that contains itself).
const MAX_CONVERSION_DEPTH: usize = 150;

/// `typeof value`.
pub fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Data(data) => match data {
            Bson::String(_) => "string",
            Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => "number",
            Bson::Boolean(_) => "boolean",
            Bson::Undefined => "undefined",
            _ => "object",
        },
        Value::Function(_)
        | Value::Builtin(_)
        | Value::Model(_)
        | Value::SchemaClass
        | Value::Express
        | Value::ExpressApp(_)
        | Value::ExpressNext(_)
        | Value::ExpressMiddleware(_) => "function",
        Value::Global(global) if global.is_callable() => "function",
        _ => "object",
    }
}

/// A number as JavaScript reads it from data, if the data is a number.
pub fn number_of(value: &Value) -> Option<f64> {
    match value {
        Value::Data(data) => js_number_value(data),
        _ => None,
    }
}

/// JavaScript's ToNumber.
pub fn to_number(value: &Value) -> f64 {
    match value {
        Value::Data(data) => match data {
            Bson::Boolean(b) => f64::from(u8::from(*b)),
            Bson::Null => 0.0,
            Bson::Undefined => f64::NAN,
            Bson::String(text) => crate::js::coerce::string_to_number(text),
            Bson::DateTime(date) => date.timestamp_millis() as f64,
            Bson::Decimal128(d) => crate::js::coerce::string_to_number(&d.to_string()),
            Bson::Array(_) => crate::js::coerce::string_to_number(&js_string(data)),
            other => js_number_value(other).unwrap_or(f64::NAN),
        },
        Value::Array(_) => crate::js::coerce::string_to_number(&to_js_string(value)),
        _ => f64::NAN,
    }
}

/// JavaScript's `String(value)`.
pub fn to_js_string(value: &Value) -> String {
    to_js_string_at(value, 0)
}

fn to_js_string_at(value: &Value, depth: usize) -> String {
    match value {
        Value::Data(data) => js_string(data),
        Value::Object(object) => {
            let object = object.0.borrow();
            match &object.error_kind {
                Some(kind) => {
                    let message = object
                        .properties
                        .iter()
                        .find(|(k, _)| k == "message")
                        .map(|(_, v)| to_js_string_at(v, depth + 1))
                        .unwrap_or_default();
                    if message.is_empty() {
                        kind.clone()
                    } else {
                        format!("{kind}: {message}")
                    }
                }
                None => "[object Object]".to_string(),
            }
        }
        Value::Array(items) => {
            if depth > 32 {
                return String::new();
            }
            items
                .0
                .borrow()
                .iter()
                .map(|item| if item.is_nullish() { String::new() } else { to_js_string_at(item, depth + 1) })
                .collect::<Vec<_>>()
                .join(",")
        }
        Value::Function(function) => format!("function {}() {{ [code] }}", function.name().unwrap_or("")),
        Value::Builtin(_) => "function () { [native code] }".to_string(),
        Value::Global(global) if global.is_callable() => format!("function {}() {{ [native code] }}", global.name()),
        Value::Global(global) => format!("[object {}]", global.name()),
        Value::Promise(_) => "[object Promise]".to_string(),
        Value::RegExp(regex) => format!("/{}/{}", regex.pattern, regex.flags),
        Value::Model(name) => format!("function model(doc, fields, skipId) {{ [{name}] }}"),
        Value::Collection(name) => name.clone(),
        _ => "[object Object]".to_string(),
    }
}

/// JavaScript's truthiness; objects, arrays and functions are truthy.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Data(data) => crate::js::truthy(data),
        _ => true,
    }
}

fn is_primitive_number(value: &Value) -> bool {
    number_of(value).is_some()
}

/// `a === b`: numbers by value (across BSON's number types), strings and booleans by value, objects, arrays and
/// functions by identity. ObjectIds and dates compare by value, as lesson checks need them to (like Mongoose's
/// `equals`); documents and arrays that are still plain data compare by content.
pub fn strict_equals(left: &Value, right: &Value) -> bool {
    use crate::engine::value::{equal, type_rank};
    match (left, right) {
        (Value::Data(a), Value::Data(b)) => match (a, b) {
            (Bson::Undefined, Bson::Undefined) | (Bson::Null, Bson::Null) => true,
            (Bson::Null | Bson::Undefined, _) | (_, Bson::Null | Bson::Undefined) => false,
            _ if is_primitive_number(left) && is_primitive_number(right) => {
                number_of(left).zip(number_of(right)).is_some_and(|(a, b)| a == b)
            }
            _ => equal(a, b) && type_rank(a) == type_rank(b),
        },
        (Value::Global(a), Value::Global(b)) => a == b,
        (Value::Model(a), Value::Model(b)) => a == b,
        (Value::Collection(a), Value::Collection(b)) => a == b,
        _ => left == right,
    }
}

/// `a == b`: `null == undefined`, and a number, string or boolean against another primitive by number.
pub fn loose_equals(left: &Value, right: &Value) -> bool {
    if left.is_nullish() || right.is_nullish() {
        return left.is_nullish() && right.is_nullish();
    }
    if strict_equals(left, right) {
        return true;
    }
    let primitive = |v: &Value| matches!(v, Value::Data(Bson::String(_) | Bson::Boolean(_))) || is_primitive_number(v);
    match (primitive(left), primitive(right)) {
        (true, true) => {
            if let (Value::Data(Bson::String(a)), Value::Data(Bson::String(b))) = (left, right) {
                return a == b;
            }
            to_number(left) == to_number(right)
        }
        (true, false) => to_js_string(right) == to_js_string(left) || to_number(left) == to_number(right),
        (false, true) => to_js_string(left) == to_js_string(right) || to_number(left) == to_number(right),
        (false, false) => false,
    }
}

/// `<`, `<=`, `>`, `>=`: strings by their characters when both are strings, everything else as numbers
/// (dates by their milliseconds); `NaN` compares false.
pub fn compare(op: BinaryOp, left: &Value, right: &Value) -> bool {
    let order = match (left, right) {
        (Value::Data(Bson::String(a)), Value::Data(Bson::String(b))) => Some(a.encode_utf16().cmp(b.encode_utf16())),
        _ => {
            let (a, b) = (to_primitive_number(left), to_primitive_number(right));
            a.partial_cmp(&b)
        }
    };
    match op {
        BinaryOp::Less => order.is_some_and(|o| o.is_lt()),
        BinaryOp::LessEq => order.is_some_and(|o| o.is_le()),
        BinaryOp::Greater => order.is_some_and(|o| o.is_gt()),
        BinaryOp::GreaterEq => order.is_some_and(|o| o.is_ge()),
        _ => false,
    }
}

fn to_primitive_number(value: &Value) -> f64 {
    match value {
        Value::Object(_) => f64::NAN,
        other => to_number(other),
    }
}

/// Whether `+` joins text: either side is a string, or an object/array/date (whose primitive is text).
fn is_text_like(value: &Value) -> bool {
    matches!(
        value,
        Value::Data(
            Bson::String(_)
                | Bson::DateTime(_)
                | Bson::Document(_)
                | Bson::Array(_)
                | Bson::ObjectId(_)
                | Bson::RegularExpression(_)
        ) | Value::Object(_)
            | Value::Document(_)
            | Value::RegExp(_)
            | Value::Array(_)
            | Value::Function(_)
            | Value::Builtin(_)
            | Value::Promise(_)
    )
}

/// `a + b`.
pub fn add(left: &Value, right: &Value, span: Span) -> Result<Value, RuntimeError> {
    if is_text_like(left) || is_text_like(right) {
        let (a, b) = (to_js_string(left), to_js_string(right));
        if a.len() + b.len() > MAX_STRING_LENGTH {
            return Err(invalid_string_length(span));
        }
        return Ok(Value::string(a + &b));
    }
    Ok(Value::number(to_number(left) + to_number(right)))
}

/// `-`, `*`, `/`, `%`, `**` on numbers.
pub fn arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Value {
    let (a, b) = (to_number(left), to_number(right));
    Value::number(match op {
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Rem => {
            if b == 0.0 || a.is_infinite() || a.is_nan() || b.is_nan() {
                f64::NAN
            } else if b.is_infinite() {
                a
            } else {
                a % b
            }
        }
        BinaryOp::Pow => {
            if b.is_nan() || (a.abs() == 1.0 && b.is_infinite()) {
                f64::NAN
            } else {
                a.powf(b)
            }
        }
        _ => f64::NAN,
    })
}

/// JavaScript's error for a string that grew too long.
pub fn invalid_string_length(span: Span) -> RuntimeError {
    RuntimeError::script("RangeError", span, "Invalid string length").with_hint(format!(
        "crudlab stops strings at {MAX_STRING_LENGTH} characters so the page stays responsive; a loop may be adding text without end."
    ))
}

/// JavaScript's error for an array that grew too long.
pub fn invalid_array_length(span: Span) -> RuntimeError {
    RuntimeError::script("RangeError", span, "Invalid array length").with_hint(format!(
        "crudlab stops arrays at {MAX_ARRAY_LENGTH} elements so the page stays responsive; a loop may be pushing without end."
    ))
}

/// What a function becomes inside data: the database gets nothing for it (js-bson skips functions), and a
/// display shows `[Function: name]`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Functions {
    /// As the driver serialises: function-valued properties are left out.
    Skip,
    /// For display: functions shown as Node names them.
    Show,
}

/// The value as BSON, for a database call or a display; `what` names the value in the error when it cannot be
/// data (the database `db`, a model ...).
pub fn to_bson(value: &Value, functions: Functions, span: Span) -> Result<Bson, RuntimeError> {
    let mut path = Vec::new();
    convert(value, functions, span, 0, &mut path)
}

/// The value for display: as BSON, with functions shown and anything that is not data described.
pub fn to_display(value: &Value) -> Bson {
    let mut path = Vec::new();
    convert(value, Functions::Show, Span::default(), 0, &mut path)
        .unwrap_or_else(|_| Bson::Symbol("[Circular *1]".to_string()))
}

fn convert(
    value: &Value,
    functions: Functions,
    span: Span,
    depth: usize,
    path: &mut Vec<*const ()>,
) -> Result<Bson, RuntimeError> {
    if depth > MAX_CONVERSION_DEPTH {
        return Err(RuntimeError::type_error(
            span,
            "this value is nested too deeply to be stored (more than 150 levels)",
        ));
    }
    let circular = || {
        RuntimeError::type_error(span, "Converting circular structure to BSON")
            .with_hint("An object here contains itself (for example `a.self = a`); the database can only store trees.")
    };
    Ok(match value {
        Value::Data(data) => data.clone(),
        // A document is stored, sent and printed as its fields (`toObject()`).
        Value::Document(document) => {
            return convert(&Value::Object(document.fields()), functions, span, depth, path);
        }
        Value::RegExp(regex) => {
            crate::shell::literal::regex_to_bson(&regex.pattern, &regex.flags).ok_or_else(|| {
                RuntimeError::type_error(span, "a regular expression cannot contain the character U+0000")
            })?
        }
        Value::Object(object) => {
            let pointer = std::rc::Rc::as_ptr(&object.0).cast::<()>();
            if path.contains(&pointer) {
                return if functions == Functions::Show {
                    Ok(Bson::Symbol("[Circular *1]".to_string()))
                } else {
                    Err(circular())
                };
            }
            path.push(pointer);
            let borrowed = object.0.borrow();
            let mut document = Document::new();
            if let (Some(kind), Functions::Show) = (&borrowed.error_kind, functions) {
                let message = borrowed.properties.iter().find(|(k, _)| k == "message").map(|(_, v)| to_js_string(v));
                let text = match message {
                    Some(message) if !message.is_empty() => format!("{kind}: {message}"),
                    _ => kind.clone(),
                };
                path.pop();
                return Ok(Bson::Symbol(text));
            }
            for (key, item) in &borrowed.properties {
                if functions == Functions::Skip && is_function(item) {
                    continue;
                }
                document.insert(key.clone(), convert(item, functions, span, depth + 1, path)?);
            }
            drop(borrowed);
            path.pop();
            Bson::Document(document)
        }
        Value::Array(items) => {
            let pointer = std::rc::Rc::as_ptr(&items.0).cast::<()>();
            if path.contains(&pointer) {
                return if functions == Functions::Show {
                    Ok(Bson::Symbol("[Circular *1]".to_string()))
                } else {
                    Err(circular())
                };
            }
            path.push(pointer);
            let borrowed = items.0.borrow();
            let mut out = Vec::with_capacity(borrowed.len());
            for item in borrowed.iter() {
                if functions == Functions::Skip && is_function(item) {
                    out.push(Bson::Null);
                    continue;
                }
                out.push(convert(item, functions, span, depth + 1, path)?);
            }
            drop(borrowed);
            path.pop();
            Bson::Array(out)
        }
        Value::Global(Global::Math | Global::Json) if functions != Functions::Show => Bson::Document(Document::new()),
        // `{ type: String }` in a schema definition names the type.
        Value::Global(global) if functions != Functions::Show => Bson::String(global.name().to_string()),
        Value::Promise(inner) if functions == Functions::Show => {
            let shown = convert(inner, functions, span, depth + 1, path)?;
            Bson::Symbol(format!("Promise {{ {} }}", crate::js::mongosh_format::format_inline(&shown)))
        }
        Value::Promise(_) => Bson::Document(Document::new()),
        other if functions == Functions::Show => Bson::Symbol(display_name(other)),
        Value::Function(_) | Value::Builtin(_) => {
            return Err(RuntimeError::type_error(span, "a function cannot be used as a value here")
                .with_hint("Call the function and use its result, or pass data (a document, a string, a number)."))
        }
        Value::Model(name) => {
            return Err(RuntimeError::type_error(span, format!("the model {name} is not a value to store"))
                .with_hint("Pass a document or an id here, not the model itself."))
        }
        other => {
            return Err(RuntimeError::type_error(span, format!("{} cannot be used as a value here", other.describe())))
        }
    })
}

fn is_function(value: &Value) -> bool {
    matches!(value, Value::Function(_) | Value::Builtin(_))
}

/// How mongosh and Node name a non-data value when they print it.
pub fn display_name(value: &Value) -> String {
    match value {
        Value::Function(function) => match function.name() {
            Some(name) => format!("[Function: {name}]"),
            None => "[Function (anonymous)]".to_string(),
        },
        Value::Builtin(builtin) => match builtin.as_ref() {
            super::value::Builtin::Console(name) | super::value::Builtin::Global(name) => format!("[Function: {name}]"),
            super::value::Builtin::Static(_, name) | super::value::Builtin::Method(_, name) => {
                format!("[Function: {name}]")
            }
        },
        Value::Global(global) if global.is_callable() => format!("[Function: {}]", global.name()),
        Value::Global(global) => format!("Object [{}]", global.name()),
        Value::Model(name) => format!("Model {{ {name} }}"),
        Value::Document(document) => {
            crate::js::mongosh_format::format_inline(&to_display(&Value::Object(document.fields())))
        }
        Value::Schema(_) => "Schema {}".to_string(),
        Value::VirtualType(_, name) => format!("VirtualType {{ path: '{name}' }}"),
        Value::Query(query) => format!("Query {{ op: '{}' }}", query.0.borrow().op),
        Value::Express => "[Function: createApplication]".to_string(),
        Value::Jwt => "{ sign: [Function: sign], verify: [Function: verify], decode: [Function: decode] }".to_string(),
        Value::ExpressApp(_) => "[Function: app]".to_string(),
        Value::ExpressResponse(_) => "ServerResponse {}".to_string(),
        Value::ExpressNext(_) => "[Function: next]".to_string(),
        Value::ExpressMiddleware(_) => "[Function: jsonParser]".to_string(),
        Value::FetchResponse(response) => {
            format!("Response {{ status: {}, ok: {} }}", response.status, (200..300).contains(&response.status))
        }
        Value::FetchHeaders(_) => "Headers {}".to_string(),
        Value::Db => "test".to_string(),
        Value::Collection(name) => name.clone(),
        Value::Mongoose => "Mongoose {}".to_string(),
        Value::SchemaClass => "[class Schema]".to_string(),
        Value::SchemaTypes => "[Object: Types]".to_string(),
        Value::Console => "Object [console]".to_string(),
        Value::Pending(pending) if pending.is_aggregation() => "Aggregate {}".to_string(),
        Value::Pending(_) => "Query {}".to_string(),
        Value::Promise(_) => "Promise {}".to_string(),
        Value::Data(data) => crate::js::mongosh_format::format_inline(data),
        Value::RegExp(regex) => format!("/{}/{}", regex.pattern, regex.flags),
        Value::Object(_) | Value::Array(_) => crate::js::mongosh_format::format_inline(&to_display(value)),
    }
}

/// A number as its JavaScript text (for property keys such as array indexes).
pub fn number_key(value: f64) -> String {
    js_number(value)
}
