//! JavaScript's standard library as students use it with data: reading properties of every kind of value, the
//! methods of arrays, strings, numbers, dates and functions, `Object`, `Math`, `JSON`, `Number`, `String`,
//! `Promise.all`, `parseInt`, and `console.log`. Callbacks (`map`, `sort`, `reduce` ...) run through the
//! interpreter, so they count steps like any other code.

use super::error::RuntimeError;
use super::interpreter::{describe_for_error, property_key};
use super::operators::{self, to_js_string, to_number, Functions};
use super::value::{share_in_place, ArrayRef, Builtin, Global, JsRegExp, ObjectRef, Value};
use super::world::World;
use crate::js::mongosh_format::format_value;
use crate::shell::span::Span;
use bson::{Bson, DateTime};
use std::rc::Rc;

/// Array methods a program may call (also what completion and "did you mean" offer).
pub const ARRAY_METHODS: &[&str] = &[
    "at",
    "concat",
    "entries",
    "every",
    "fill",
    "filter",
    "find",
    "findIndex",
    "findLast",
    "flat",
    "flatMap",
    "forEach",
    "includes",
    "indexOf",
    "join",
    "keys",
    "lastIndexOf",
    "map",
    "pop",
    "push",
    "reduce",
    "reduceRight",
    "reverse",
    "shift",
    "slice",
    "some",
    "sort",
    "splice",
    "toString",
    "unshift",
];

/// String methods a program may call.
pub const STRING_METHODS: &[&str] = &[
    "at",
    "charAt",
    "charCodeAt",
    "concat",
    "endsWith",
    "includes",
    "indexOf",
    "lastIndexOf",
    "localeCompare",
    "match",
    "padEnd",
    "padStart",
    "repeat",
    "replace",
    "replaceAll",
    "slice",
    "split",
    "startsWith",
    "substring",
    "toLowerCase",
    "toString",
    "toUpperCase",
    "trim",
    "trimEnd",
    "trimStart",
];

const NUMBER_METHODS: &[&str] = &["toFixed", "toString", "toPrecision", "valueOf"];
const DATE_METHODS: &[&str] = &[
    "getDate",
    "getDay",
    "getFullYear",
    "getHours",
    "getMilliseconds",
    "getMinutes",
    "getMonth",
    "getSeconds",
    "getTime",
    "toISOString",
    "toJSON",
    "toString",
    "valueOf",
    "toDateString",
    "getTimezoneOffset",
];

pub(super) fn method_value(receiver: Value, name: &str) -> Value {
    Value::Builtin(Rc::new(Builtin::Method(Box::new(receiver), name.to_string())))
}

fn static_value(global: Global, name: &str) -> Value {
    Value::Builtin(Rc::new(Builtin::Static(global, name.to_string())))
}

fn arg(args: &[Value], index: usize) -> Value {
    args.get(index).cloned().unwrap_or_else(Value::undefined)
}

/// A relative index (`slice(-2)`) resolved against a length, as JavaScript clamps it.
fn relative_index(value: &Value, length: usize, default: usize) -> usize {
    if matches!(value, Value::Data(Bson::Undefined)) {
        return default;
    }
    let number = to_number(value);
    let number = if number.is_nan() { 0.0 } else { number.trunc() };
    if number < 0.0 {
        (length as f64 + number).max(0.0) as usize
    } else {
        number.min(length as f64) as usize
    }
}

impl World {
    /// `object.key` for every kind of value.
    pub(super) fn get_property(&mut self, object: Value, key: &str, span: Span) -> Result<Value, RuntimeError> {
        Ok(match object {
            Value::Data(data @ (Bson::Null | Bson::Undefined)) => {
                return Err(RuntimeError::property_of_nothing(span, &data, key))
            }
            Value::Pending(pending) => {
                let value = self.run_pending(*pending, span)?;
                return self.get_property(value, key, span);
            }
            Value::Document(document) => self.document_property(document, key, span)?,
            Value::Object(object) => {
                let own = object.0.borrow_mut().get(key);
                match own {
                    Some(value) => value,
                    None if matches!(key, "hasOwnProperty" | "toString" | "valueOf" | "toJSON" | "toObject") => {
                        method_value(Value::Object(object), key)
                    }
                    None => match object.0.borrow().subdocument.as_ref().map(|context| context.is_new) {
                        Some(is_new) if key == "isNew" => Value::boolean(is_new),
                        Some(_) if matches!(key, "get" | "parent" | "$parent" | "ownerDocument") => {
                            method_value(Value::Object(object.clone()), key)
                        }
                        _ => Value::undefined(),
                    },
                }
            }
            Value::Array(items) => {
                if key == "length" {
                    return Ok(Value::number(items.0.borrow().len() as f64));
                }
                if let Ok(index) = key.parse::<usize>() {
                    let mut items = items.0.borrow_mut();
                    return Ok(items.get_mut(index).map(share_in_place).unwrap_or_else(Value::undefined));
                }
                if ARRAY_METHODS.contains(&key) {
                    method_value(Value::Array(items), key)
                } else {
                    Value::undefined()
                }
            }
            Value::Data(Bson::Array(_)) | Value::Data(Bson::Document(_)) => {
                return self.get_property(object.shared(), key, span)
            }
            Value::Data(Bson::String(text)) => {
                if key == "length" {
                    return Ok(Value::number(text.encode_utf16().count() as f64));
                }
                if let Ok(index) = key.parse::<usize>() {
                    let units: Vec<u16> = text.encode_utf16().collect();
                    return Ok(units
                        .get(index)
                        .map(|unit| Value::string(String::from_utf16_lossy(&[*unit])))
                        .unwrap_or_else(Value::undefined));
                }
                if STRING_METHODS.contains(&key) {
                    method_value(Value::Data(Bson::String(text)), key)
                } else {
                    Value::undefined()
                }
            }
            Value::Data(data) => match (&data, key) {
                (Bson::ObjectId(_), "toString" | "toHexString" | "equals" | "getTimestamp" | "toJSON") => {
                    method_value(Value::Data(data), key)
                }
                (Bson::DateTime(_), _) if DATE_METHODS.contains(&key) => method_value(Value::Data(data), key),
                (_, _)
                    if operators::number_of(&Value::Data(data.clone())).is_some() && NUMBER_METHODS.contains(&key) =>
                {
                    method_value(Value::Data(data), key)
                }
                (_, "toString") => method_value(Value::Data(data), key),
                _ => Value::undefined(),
            },
            Value::RegExp(regex) => match key {
                "source" => Value::string(regex.pattern.clone()),
                "flags" => Value::string(regex.flags.clone()),
                "global" => Value::boolean(regex.flags.contains('g')),
                "test" | "exec" | "toString" => method_value(Value::RegExp(regex), key),
                _ => Value::undefined(),
            },
            Value::Db => match key {
                "getCollection" | "getName" | "dropDatabase" | "getCollectionNames" | "createCollection" => {
                    method_value(Value::Db, key)
                }
                name => Value::Collection(name.to_string()),
            },
            Value::Mongoose => match key {
                "Schema" => Value::SchemaClass,
                "Types" => Value::SchemaTypes,
                "model" | "connect" | "set" | "disconnect" => method_value(Value::Mongoose, key),
                _ => Value::undefined(),
            },
            Value::SchemaClass => match key {
                "Types" => Value::SchemaTypes,
                _ => Value::undefined(),
            },
            Value::SchemaTypes => Value::string(key),
            Value::Console => match key {
                "log" => Value::Builtin(Rc::new(Builtin::Console("log"))),
                "info" => Value::Builtin(Rc::new(Builtin::Console("info"))),
                "error" => Value::Builtin(Rc::new(Builtin::Console("error"))),
                "warn" => Value::Builtin(Rc::new(Builtin::Console("warn"))),
                "table" => Value::Builtin(Rc::new(Builtin::Console("table"))),
                "debug" => Value::Builtin(Rc::new(Builtin::Console("debug"))),
                _ => Value::undefined(),
            },
            Value::Global(global) => self.static_property(global, key),
            Value::Promise(inner) => match key {
                "then" | "catch" | "finally" => method_value(Value::Promise(inner), key),
                _ => Value::undefined(),
            },
            Value::Function(function) => match key {
                "name" => Value::string(function.name().unwrap_or("")),
                "length" => Value::number(function.0.function.params.len() as f64),
                "call" | "apply" | "bind" => method_value(Value::Function(function), key),
                _ => Value::undefined(),
            },
            Value::Model(name) if key == "modelName" => Value::string(name),
            Value::Model(name) if self.model_static(&name, key).is_some() => {
                self.model_static(&name, key).unwrap_or_else(Value::undefined)
            }
            Value::Schema(schema) => self.schema_property(schema, key),
            Value::Jwt => match key {
                "sign" | "verify" | "decode" => method_value(Value::Jwt, key),
                _ => Value::undefined(),
            },
            Value::Express => match key {
                "json" | "urlencoded" | "Router" => method_value(Value::Express, key),
                _ => Value::undefined(),
            },
            Value::ExpressApp(app) => match key {
                "use" | "get" | "post" | "put" | "patch" | "delete" | "all" | "listen" => {
                    method_value(Value::ExpressApp(app), key)
                }
                _ => Value::undefined(),
            },
            Value::ExpressResponse(response) => match key {
                "headersSent" => Value::boolean(response.0.borrow().sent),
                "statusCode" => Value::number(f64::from(response.0.borrow().status)),
                "status" | "json" | "send" | "sendStatus" | "end" | "set" | "header" | "get" | "type" => {
                    method_value(Value::ExpressResponse(response), key)
                }
                _ => Value::undefined(),
            },
            Value::ExpressNext(_) | Value::ExpressMiddleware(_) => Value::undefined(),
            Value::FetchResponse(response) => self.fetch_response_property(response, key),
            Value::FetchHeaders(response) => match key {
                "get" => method_value(Value::FetchHeaders(response), key),
                _ => Value::undefined(),
            },
            Value::Query(query) => match key {
                "op" => Value::string(query.0.borrow().op.clone()),
                "model" => Value::Model(query.0.borrow().model.clone()),
                _ if super::schema_functions::QUERY_METHODS.contains(&key) => method_value(Value::Query(query), key),
                _ => {
                    let properties = &query.0.borrow().properties;
                    properties
                        .iter()
                        .find(|(name, _)| name == key)
                        .map(|(_, value)| value.clone())
                        .unwrap_or_else(Value::undefined)
                }
            },
            Value::VirtualType(schema, name) => match key {
                "get" | "set" => method_value(Value::VirtualType(schema, name), key),
                _ => Value::undefined(),
            },
            receiver @ (Value::Model(_) | Value::Collection(_) | Value::Builtin(_)) => method_value(receiver, key),
        })
    }

    fn static_property(&mut self, global: Global, key: &str) -> Value {
        match (global, key) {
            (Global::Math, "PI") => Value::number(std::f64::consts::PI),
            (Global::Math, "E") => Value::number(std::f64::consts::E),
            (Global::Math, "SQRT2") => Value::number(std::f64::consts::SQRT_2),
            (Global::Math, "LN2") => Value::number(std::f64::consts::LN_2),
            (Global::Math, "LN10") => Value::number(std::f64::consts::LN_10),
            (Global::Number, "MAX_SAFE_INTEGER") => Value::number(9_007_199_254_740_991.0),
            (Global::Number, "MIN_SAFE_INTEGER") => Value::number(-9_007_199_254_740_991.0),
            (Global::Number, "EPSILON") => Value::number(f64::EPSILON),
            (Global::Number, "MAX_VALUE") => Value::number(f64::MAX),
            (Global::Number, "MIN_VALUE") => Value::number(5e-324),
            (Global::Number, "POSITIVE_INFINITY") => Value::number(f64::INFINITY),
            (Global::Number, "NEGATIVE_INFINITY") => Value::number(f64::NEG_INFINITY),
            (Global::Number, "NaN") => Value::number(f64::NAN),
            (_, "name") => Value::string(global.name()),
            (Global::TypeName(_), _) => Value::undefined(),
            _ => static_value(global, key),
        }
    }

    /// `receiver.name(args)` on a value of the standard library (host objects are `world.rs`'s).
    pub(super) fn value_method(
        &mut self,
        receiver: Value,
        name: &str,
        args: Vec<Value>,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        let callee = self.callee_text.take();
        let not_a_function = |fallback: String| format!("{} is not a function", callee.clone().unwrap_or(fallback));
        match receiver {
            Value::Object(object) => {
                let own = object.0.borrow_mut().get(name);
                match own {
                    Some(function @ (Value::Function(_) | Value::Builtin(_) | Value::Global(_))) => {
                        self.call_value(&function, Value::Object(object), args, span)
                    }
                    Some(other) => Err(RuntimeError::type_error(span, not_a_function(name.to_string()))
                        .with_hint(format!("`{name}` holds {}, not a function.", describe_for_error(&other)))),
                    None => match name {
                        "get" | "parent" | "$parent" | "ownerDocument" if object.0.borrow().subdocument.is_some() => {
                            let context = object.0.borrow().subdocument.clone();
                            let Some(context) = context else { return Ok(Value::undefined()) };
                            Ok(match name {
                                "parent" | "$parent" => context.parent.clone(),
                                "ownerDocument" => context.owner.clone(),
                                _ => {
                                    // `subdoc.get("a.b")`: the path's value, through nested objects.
                                    let path = to_js_string(&arg(&args, 0));
                                    let mut current = Value::Object(object.clone());
                                    for segment in path.split('.') {
                                        current = self.get_property(current, segment, span)?;
                                        if current.is_nullish() {
                                            break;
                                        }
                                    }
                                    current
                                }
                            })
                        }
                        "hasOwnProperty" => {
                            let key = property_key(&arg(&args, 0));
                            Ok(Value::boolean(object.0.borrow().position(&key).is_some()))
                        }
                        "toString" => Ok(Value::string(to_js_string(&Value::Object(object)))),
                        "valueOf" => Ok(Value::Object(object)),
                        // Documents from the database keep Mongoose's toObject/toJSON (plain data already).
                        "toJSON" | "toObject" => Ok(Value::Object(object)),
                        _ => {
                            let keys: Vec<String> = object
                                .0
                                .borrow()
                                .properties
                                .iter()
                                .filter(|(_, v)| matches!(v, Value::Function(_)))
                                .map(|(k, _)| k.clone())
                                .collect();
                            let error = RuntimeError::type_error(span, not_a_function(name.to_string()));
                            let candidates: Vec<&str> = keys.iter().map(String::as_str).collect();
                            Err(match crate::shell::nearest(name, &candidates) {
                                Some(near) => error.with_hint(format!("Did you mean `{near}`?")),
                                None => error.with_hint(format!(
                                    "This object has no method `{name}`; its properties are {}.",
                                    self.own_keys(&Value::Object(object.clone())).join(", ")
                                )),
                            })
                        }
                    },
                }
            }
            Value::Array(items) => self.array_method(items, name, args, span, callee),
            Value::Data(data @ (Bson::Null | Bson::Undefined)) => {
                Err(RuntimeError::property_of_nothing(span, &data, name))
            }
            Value::Data(Bson::Array(_)) | Value::Data(Bson::Document(_)) => {
                self.value_method(receiver.shared(), name, args, span)
            }
            Value::Data(Bson::String(text)) => self.string_method(&text, name, args, span, callee),
            Value::Data(Bson::DateTime(date)) if DATE_METHODS.contains(&name) => date_method(date, name, span),
            Value::Data(ref data) if operators::number_of(&receiver).is_some() && NUMBER_METHODS.contains(&name) => {
                number_method(operators::number_of(&receiver).unwrap_or(f64::NAN), data, name, &args, span)
            }
            Value::Data(data) => {
                let args = self.data_arguments(args, span)?;
                data_method(&data, name, &args, span).map_err(|mut error| {
                    if let Some(callee) = &callee {
                        error.message = format!("{callee} is not a function");
                    }
                    error
                })
            }
            Value::RegExp(regex) => match name {
                "test" => {
                    let text = to_js_string(&arg(&args, 0));
                    Ok(Value::boolean(compile(&regex, span)?.is_match(&text)))
                }
                "exec" => {
                    let text = to_js_string(&arg(&args, 0));
                    Ok(match_groups(&compile(&regex, span)?, &text))
                }
                _ => Ok(Value::string(format!("/{}/{}", regex.pattern, regex.flags))),
            },
            Value::Global(global) => self.static_method(global, name, args, span),
            Value::Promise(inner) => match name {
                "then" => match args.first() {
                    Some(callback) => {
                        let result = self.call_value(callback, Value::undefined(), vec![*inner], span)?;
                        Ok(match result {
                            promise @ Value::Promise(_) => promise,
                            other => Value::Promise(Box::new(other)),
                        })
                    }
                    None => Ok(Value::Promise(inner)),
                },
                // A settled promise never rejects here: errors are thrown where they happen.
                "catch" => Ok(Value::Promise(inner)),
                "finally" => {
                    if let Some(callback) = args.first() {
                        self.call_value(callback, Value::undefined(), Vec::new(), span)?;
                    }
                    Ok(Value::Promise(inner))
                }
                other => Err(RuntimeError::type_error(span, format!("promise.{other} is not a function"))),
            },
            Value::Function(function) => {
                let callee = Value::Function(function);
                match name {
                    "call" => {
                        let mut args = args.into_iter();
                        let this = args.next().unwrap_or_else(Value::undefined);
                        self.call_value(&callee, this, args.collect(), span)
                    }
                    "apply" => {
                        let this = arg(&args, 0);
                        let list = match arg(&args, 1) {
                            Value::Data(Bson::Undefined | Bson::Null) => Vec::new(),
                            other => self.iterate(other, span)?,
                        };
                        self.call_value(&callee, this, list, span)
                    }
                    "bind" => Err(RuntimeError::type_error(
                        span,
                        "Function.prototype.bind is not supported in crudlab's shell",
                    )
                    .with_hint("Wrap the call in an arrow function instead: `(x) => f(x)`.")),
                    other => Err(RuntimeError::type_error(span, format!("{other} is not a function"))),
                }
            }
            other => {
                Err(RuntimeError::type_error(span, not_a_function(format!("{}.{name}", describe_for_error(&other)))))
            }
        }
    }

    /// Arguments as data, for the methods of BSON values (`equals`, `toString` ...).
    fn data_arguments(&mut self, args: Vec<Value>, span: Span) -> Result<Vec<Bson>, RuntimeError> {
        args.iter().map(|value| operators::to_bson(value, Functions::Skip, span)).collect()
    }

    fn callback(&mut self, args: &[Value], span: Span) -> Result<Value, RuntimeError> {
        let callback = arg(args, 0);
        if !matches!(callback, Value::Function(_) | Value::Builtin(_) | Value::Global(_)) {
            return Err(RuntimeError::type_error(span, format!("{} is not a function", describe_for_error(&callback)))
                .with_hint("Pass a function, e.g. items.map((item) => item.name)."));
        }
        Ok(callback)
    }

    fn array_method(
        &mut self,
        array: ArrayRef,
        name: &str,
        args: Vec<Value>,
        span: Span,
        callee: Option<String>,
    ) -> Result<Value, RuntimeError> {
        let snapshot = || -> Vec<Value> {
            let mut items = array.0.borrow_mut();
            items.iter_mut().map(share_in_place).collect()
        };
        let receiver = Value::Array(array.clone());
        match name {
            "map" | "filter" | "forEach" | "find" | "findIndex" | "findLast" | "some" | "every" | "flatMap" => {
                let callback = self.callback(&args, span)?;
                let this = arg(&args, 1);
                let items = snapshot();
                let mut out = Vec::new();
                for (index, item) in items.into_iter().enumerate() {
                    let result = self.call_value(
                        &callback,
                        this.clone(),
                        vec![item.clone(), Value::number(index as f64), receiver.clone()],
                        span,
                    )?;
                    let result = self.settle(result, span)?;
                    match name {
                        "map" => out.push(result.shared()),
                        "flatMap" => match result.shared() {
                            Value::Array(inner) => out.extend(inner.0.borrow().iter().cloned()),
                            other => out.push(other),
                        },
                        "filter" if operators::truthy(&result) => out.push(item),
                        "find" if operators::truthy(&result) => return Ok(item),
                        "findIndex" if operators::truthy(&result) => return Ok(Value::number(index as f64)),
                        "some" if operators::truthy(&result) => return Ok(Value::boolean(true)),
                        "every" if !operators::truthy(&result) => return Ok(Value::boolean(false)),
                        "findLast" if operators::truthy(&result) => out = vec![item],
                        _ => {}
                    }
                }
                Ok(match name {
                    "map" | "filter" | "flatMap" => Value::Array(ArrayRef::new(out)),
                    "find" => Value::undefined(),
                    "findLast" => out.pop().unwrap_or_else(Value::undefined),
                    "findIndex" => Value::number(-1.0),
                    "some" => Value::boolean(false),
                    "every" => Value::boolean(true),
                    _ => Value::undefined(),
                })
            }
            "reduce" | "reduceRight" => {
                let callback = self.callback(&args, span)?;
                let mut items: Vec<(usize, Value)> = snapshot().into_iter().enumerate().collect();
                if name == "reduceRight" {
                    items.reverse();
                }
                let mut items = items.into_iter();
                let mut accumulator = match args.get(1) {
                    Some(initial) => initial.clone(),
                    None => match items.next() {
                        Some((_, first)) => first,
                        None => {
                            return Err(RuntimeError::type_error(span, "Reduce of empty array with no initial value")
                                .with_hint("Give reduce a starting value: items.reduce((sum, x) => sum + x, 0)."))
                        }
                    },
                };
                for (index, item) in items {
                    let result = self.call_value(
                        &callback,
                        Value::undefined(),
                        vec![accumulator, item, Value::number(index as f64), receiver.clone()],
                        span,
                    )?;
                    accumulator = self.settle(result, span)?.shared();
                }
                Ok(accumulator)
            }
            "includes" | "indexOf" | "lastIndexOf" => {
                let needle = arg(&args, 0);
                let items = snapshot();
                let found = if name == "lastIndexOf" {
                    items.iter().rposition(|item| operators::strict_equals(item, &needle))
                } else {
                    let start = relative_index(&arg(&args, 1), items.len(), 0);
                    items
                        .iter()
                        .skip(start)
                        .position(|item| {
                            operators::strict_equals(item, &needle)
                                || (name == "includes" && is_nan(item) && is_nan(&needle))
                        })
                        .map(|i| i + start)
                };
                Ok(match name {
                    "includes" => Value::boolean(found.is_some()),
                    _ => Value::number(found.map_or(-1.0, |i| i as f64)),
                })
            }
            "join" => {
                let separator = match arg(&args, 0) {
                    Value::Data(Bson::Undefined) => ",".to_string(),
                    other => to_js_string(&other),
                };
                let text = snapshot()
                    .iter()
                    .map(|item| if item.is_nullish() { String::new() } else { to_js_string(item) })
                    .collect::<Vec<_>>()
                    .join(&separator);
                if text.len() > operators::MAX_STRING_LENGTH {
                    return Err(operators::invalid_string_length(span));
                }
                Ok(Value::string(text))
            }
            "toString" => Ok(Value::string(to_js_string(&receiver))),
            "slice" => {
                let items = snapshot();
                let start = relative_index(&arg(&args, 0), items.len(), 0);
                let end = relative_index(&arg(&args, 1), items.len(), items.len());
                Ok(Value::Array(ArrayRef::new(items.get(start..end.max(start)).unwrap_or_default().to_vec())))
            }
            "at" => {
                let items = snapshot();
                let index = to_number(&arg(&args, 0)).trunc();
                let index = if index < 0.0 { items.len() as f64 + index } else { index };
                Ok(if index >= 0.0 { items.get(index as usize).cloned() } else { None }
                    .unwrap_or_else(Value::undefined))
            }
            "concat" => {
                let mut items = snapshot();
                for value in args {
                    match value.shared() {
                        Value::Array(other) => items.extend(other.0.borrow().iter().cloned()),
                        other => items.push(other),
                    }
                }
                if items.len() > operators::MAX_ARRAY_LENGTH {
                    return Err(operators::invalid_array_length(span));
                }
                Ok(Value::Array(ArrayRef::new(items)))
            }
            "push" | "unshift" => {
                let mut items = array.0.borrow_mut();
                if items.len() + args.len() > operators::MAX_ARRAY_LENGTH {
                    return Err(operators::invalid_array_length(span));
                }
                let added: Vec<Value> = args.into_iter().map(Value::shared).collect();
                if name == "push" {
                    items.extend(added);
                } else {
                    items.splice(0..0, added);
                }
                Ok(Value::number(items.len() as f64))
            }
            "pop" => Ok(array.0.borrow_mut().pop().unwrap_or_else(Value::undefined)),
            "shift" => {
                let mut items = array.0.borrow_mut();
                Ok(if items.is_empty() { Value::undefined() } else { items.remove(0) })
            }
            "splice" => {
                let mut items = array.0.borrow_mut();
                let length = items.len();
                let start = relative_index(&arg(&args, 0), length, 0);
                let count = match args.get(1) {
                    None => length - start,
                    Some(count) => (to_number(count).max(0.0) as usize).min(length - start),
                };
                let inserted: Vec<Value> = args.iter().skip(2).cloned().map(Value::shared).collect();
                let removed: Vec<Value> = items.splice(start..start + count, inserted).collect();
                Ok(Value::Array(ArrayRef::new(removed)))
            }
            "reverse" => {
                array.0.borrow_mut().reverse();
                Ok(receiver)
            }
            "fill" => {
                let value = arg(&args, 0);
                let mut items = array.0.borrow_mut();
                let length = items.len();
                let start = relative_index(&arg(&args, 1), length, 0);
                let end = relative_index(&arg(&args, 2), length, length);
                for slot in items.iter_mut().take(end).skip(start) {
                    *slot = value.clone();
                }
                drop(items);
                Ok(receiver)
            }
            "flat" => {
                let depth = match arg(&args, 0) {
                    Value::Data(Bson::Undefined) => 1.0,
                    other => to_number(&other),
                };
                let mut out = Vec::new();
                flatten(snapshot(), depth, &mut out);
                Ok(Value::Array(ArrayRef::new(out)))
            }
            "keys" => {
                Ok(Value::Array(ArrayRef::new((0..array.0.borrow().len()).map(|i| Value::number(i as f64)).collect())))
            }
            "entries" => Ok(Value::Array(ArrayRef::new(
                snapshot()
                    .into_iter()
                    .enumerate()
                    .map(|(i, item)| Value::Array(ArrayRef::new(vec![Value::number(i as f64), item])))
                    .collect(),
            ))),
            "sort" => {
                let comparator = match args.first() {
                    None | Some(Value::Data(Bson::Undefined)) => None,
                    Some(_) => Some(self.callback(&args, span)?),
                };
                let items = snapshot();
                let sorted = self.merge_sort(items, comparator.as_ref(), span)?;
                *array.0.borrow_mut() = sorted;
                Ok(receiver)
            }
            other => {
                let callee = callee.unwrap_or_else(|| format!("array.{other}"));
                let error = RuntimeError::type_error(span, format!("{callee} is not a function"));
                Err(match crate::shell::nearest(other, ARRAY_METHODS) {
                    Some(near) => error.with_hint(format!("Arrays have `{near}`.")),
                    None => error.with_hint(format!("Array methods: {}.", ARRAY_METHODS.join(", "))),
                })
            }
        }
    }

    /// A stable sort (as `Array.prototype.sort` is since ES2019); without a comparator by text, `undefined` last.
    fn merge_sort(
        &mut self,
        items: Vec<Value>,
        comparator: Option<&Value>,
        span: Span,
    ) -> Result<Vec<Value>, RuntimeError> {
        let (mut defined, undefined): (Vec<Value>, Vec<Value>) =
            items.into_iter().partition(|item| !matches!(item, Value::Data(Bson::Undefined)));
        let mut width = 1;
        let length = defined.len();
        while width < length {
            let mut merged = Vec::with_capacity(length);
            let mut chunks = defined.chunks(width * 2);
            for chunk in chunks.by_ref() {
                let (left, right) = chunk.split_at(width.min(chunk.len()));
                let (mut i, mut j) = (0, 0);
                while i < left.len() && j < right.len() {
                    self.tick(span)?;
                    let (a, b) = (&left[i], &right[j]);
                    let right_first = match comparator {
                        Some(comparator) => {
                            let order =
                                self.call_value(comparator, Value::undefined(), vec![a.clone(), b.clone()], span)?;
                            to_number(&order) > 0.0
                        }
                        None => to_js_string(a).encode_utf16().cmp(to_js_string(b).encode_utf16()).is_gt(),
                    };
                    if right_first {
                        merged.push(b.clone());
                        j += 1;
                    } else {
                        merged.push(a.clone());
                        i += 1;
                    }
                }
                merged.extend_from_slice(left.get(i..).unwrap_or_default());
                merged.extend_from_slice(right.get(j..).unwrap_or_default());
            }
            defined = merged;
            width *= 2;
        }
        defined.extend(undefined);
        Ok(defined)
    }

    fn string_method(
        &mut self,
        text: &str,
        name: &str,
        args: Vec<Value>,
        span: Span,
        callee: Option<String>,
    ) -> Result<Value, RuntimeError> {
        let units: Vec<u16> = text.encode_utf16().collect();
        let text_of = |value: &Value| to_js_string(value);
        let from_units = |units: &[u16]| Value::string(String::from_utf16_lossy(units));
        Ok(match name {
            "toUpperCase" => Value::string(text.to_uppercase()),
            "toLowerCase" => Value::string(text.to_lowercase()),
            "trim" => Value::string(text.trim()),
            "trimStart" => Value::string(text.trim_start()),
            "trimEnd" => Value::string(text.trim_end()),
            "toString" => Value::string(text),
            "includes" => Value::boolean(text.contains(&text_of(&arg(&args, 0)))),
            "startsWith" => {
                let start = relative_index(&arg(&args, 1), units.len(), 0);
                let needle: Vec<u16> = text_of(&arg(&args, 0)).encode_utf16().collect();
                Value::boolean(units.get(start..).is_some_and(|rest| rest.starts_with(&needle)))
            }
            "endsWith" => {
                let end = relative_index(&arg(&args, 1), units.len(), units.len());
                let needle: Vec<u16> = text_of(&arg(&args, 0)).encode_utf16().collect();
                Value::boolean(units.get(..end).is_some_and(|rest| rest.ends_with(&needle)))
            }
            "indexOf" | "lastIndexOf" => {
                let needle: Vec<u16> = text_of(&arg(&args, 0)).encode_utf16().collect();
                let positions = (0..=units.len().saturating_sub(needle.len()))
                    .filter(|&i| units.get(i..i + needle.len()) == Some(&needle[..]));
                let found = if name == "indexOf" {
                    let start = relative_index(&arg(&args, 1), units.len(), 0);
                    positions.into_iter().find(|&i| i >= start)
                } else {
                    let from = relative_index(&arg(&args, 1), units.len(), units.len());
                    positions.rev().find(|&i| i <= from)
                };
                Value::number(found.map_or(-1.0, |i| i as f64))
            }
            "slice" => {
                let start = relative_index(&arg(&args, 0), units.len(), 0);
                let end = relative_index(&arg(&args, 1), units.len(), units.len());
                from_units(units.get(start..end.max(start)).unwrap_or_default())
            }
            "substring" => {
                let clamp = |value: &Value, default: usize| match value {
                    Value::Data(Bson::Undefined) => default,
                    other => {
                        let n = to_number(other);
                        if n.is_nan() {
                            0
                        } else {
                            n.clamp(0.0, units.len() as f64) as usize
                        }
                    }
                };
                let (a, b) = (clamp(&arg(&args, 0), 0), clamp(&arg(&args, 1), units.len()));
                from_units(units.get(a.min(b)..a.max(b)).unwrap_or_default())
            }
            "charAt" | "at" => {
                let index = to_number(&arg(&args, 0));
                let index = if index.is_nan() { 0.0 } else { index.trunc() };
                let index = if name == "at" && index < 0.0 { units.len() as f64 + index } else { index };
                match (index >= 0.0).then(|| units.get(index as usize)).flatten() {
                    Some(unit) => from_units(&[*unit]),
                    None if name == "at" => Value::undefined(),
                    None => Value::string(""),
                }
            }
            "charCodeAt" => {
                let index = to_number(&arg(&args, 0));
                let index = if index.is_nan() { 0.0 } else { index.trunc() };
                match (index >= 0.0).then(|| units.get(index as usize)).flatten() {
                    Some(unit) => Value::number(f64::from(*unit)),
                    None => Value::number(f64::NAN),
                }
            }
            "concat" => {
                let mut out = text.to_string();
                for value in &args {
                    out.push_str(&text_of(value));
                }
                if out.len() > operators::MAX_STRING_LENGTH {
                    return Err(operators::invalid_string_length(span));
                }
                Value::string(out)
            }
            "repeat" => {
                let count = to_number(&arg(&args, 0));
                if count < 0.0 || count.is_infinite() {
                    return Err(RuntimeError::script(
                        "RangeError",
                        span,
                        format!("Invalid count value: {}", crate::js::inspect::js_number(count)),
                    ));
                }
                let count = if count.is_nan() { 0 } else { count as usize };
                if text.len().saturating_mul(count) > operators::MAX_STRING_LENGTH {
                    return Err(operators::invalid_string_length(span));
                }
                Value::string(text.repeat(count))
            }
            "padStart" | "padEnd" => {
                let target = to_number(&arg(&args, 0));
                let target = if target.is_nan() { 0 } else { target.max(0.0) as usize };
                if target > operators::MAX_STRING_LENGTH {
                    return Err(operators::invalid_string_length(span));
                }
                let filler: Vec<u16> = match arg(&args, 1) {
                    Value::Data(Bson::Undefined) => vec![u16::from(b' ')],
                    other => text_of(&other).encode_utf16().collect(),
                };
                if target <= units.len() || filler.is_empty() {
                    return Ok(Value::string(text));
                }
                let padding: Vec<u16> = filler.iter().copied().cycle().take(target - units.len()).collect();
                let joined: Vec<u16> = if name == "padStart" {
                    padding.into_iter().chain(units.iter().copied()).collect()
                } else {
                    units.iter().copied().chain(padding).collect()
                };
                from_units(&joined)
            }
            "split" => {
                let limit = match arg(&args, 1) {
                    Value::Data(Bson::Undefined) => usize::MAX,
                    other => to_number(&other).max(0.0) as usize,
                };
                let parts: Vec<Value> = match arg(&args, 0) {
                    Value::Data(Bson::Undefined) => vec![Value::string(text)],
                    Value::RegExp(regex) => compile(&regex, span)?.split(text).map(Value::string).collect(),
                    separator => {
                        let separator = text_of(&separator);
                        if separator.is_empty() {
                            units.iter().map(|unit| from_units(&[*unit])).collect()
                        } else {
                            text.split(separator.as_str()).map(Value::string).collect()
                        }
                    }
                };
                Value::Array(ArrayRef::new(parts.into_iter().take(limit).collect()))
            }
            "replace" | "replaceAll" => {
                let replacement = arg(&args, 1);
                match arg(&args, 0) {
                    Value::RegExp(regex) => {
                        if name == "replaceAll" && !regex.flags.contains('g') {
                            return Err(RuntimeError::type_error(
                                span,
                                "replaceAll must be called with a global RegExp",
                            ));
                        }
                        let compiled = compile(&regex, span)?;
                        let all = regex.flags.contains('g');
                        let mut out = String::new();
                        let mut last = 0;
                        for captures in compiled.captures_iter(text) {
                            let Some(whole) = captures.get(0) else { continue };
                            out.push_str(text.get(last..whole.start()).unwrap_or(""));
                            let groups: Vec<Option<String>> =
                                captures.iter().map(|group| group.map(|m| m.as_str().to_string())).collect();
                            out.push_str(&self.replacement(&replacement, &groups, whole.start(), text, span)?);
                            last = whole.end();
                            if !all {
                                break;
                            }
                        }
                        out.push_str(text.get(last..).unwrap_or(""));
                        Value::string(out)
                    }
                    pattern => {
                        let pattern = text_of(&pattern);
                        let mut out = String::new();
                        let mut rest = text;
                        let mut offset = 0;
                        while let Some(at) = rest.find(pattern.as_str()) {
                            out.push_str(rest.get(..at).unwrap_or(""));
                            out.push_str(&self.replacement(
                                &replacement,
                                &[Some(pattern.clone())],
                                offset + at,
                                text,
                                span,
                            )?);
                            let next = at + pattern.len();
                            if pattern.is_empty() {
                                // An empty pattern matches between every character.
                                let step = rest.get(next..).and_then(|r| r.chars().next()).map_or(0, char::len_utf8);
                                out.push_str(rest.get(next..next + step).unwrap_or(""));
                                if step == 0 || name == "replace" {
                                    rest = rest.get(next + step..).unwrap_or("");
                                    if name == "replace" {
                                        break;
                                    }
                                    continue;
                                }
                                offset += next + step;
                                rest = rest.get(next + step..).unwrap_or("");
                                continue;
                            }
                            offset += next;
                            rest = rest.get(next..).unwrap_or("");
                            if name == "replace" {
                                break;
                            }
                        }
                        out.push_str(rest);
                        if out.len() > operators::MAX_STRING_LENGTH {
                            return Err(operators::invalid_string_length(span));
                        }
                        Value::string(out)
                    }
                }
            }
            "match" => match arg(&args, 0) {
                Value::RegExp(regex) => {
                    let compiled = compile(&regex, span)?;
                    if regex.flags.contains('g') {
                        let found: Vec<Value> = compiled.find_iter(text).map(|m| Value::string(m.as_str())).collect();
                        if found.is_empty() {
                            Value::Data(Bson::Null)
                        } else {
                            Value::Array(ArrayRef::new(found))
                        }
                    } else {
                        match_groups(&compiled, text)
                    }
                }
                other => {
                    let needle = text_of(&other);
                    if text.contains(&needle) {
                        Value::Array(ArrayRef::new(vec![Value::string(needle)]))
                    } else {
                        Value::Data(Bson::Null)
                    }
                }
            },
            "localeCompare" => {
                let other = text_of(&arg(&args, 0));
                Value::number(match text.cmp(other.as_str()) {
                    std::cmp::Ordering::Less => -1.0,
                    std::cmp::Ordering::Equal => 0.0,
                    std::cmp::Ordering::Greater => 1.0,
                })
            }
            other => {
                let callee = callee.unwrap_or_else(|| format!("\"{text}\".{other}"));
                let error = RuntimeError::type_error(span, format!("{callee} is not a function"));
                return Err(match crate::shell::nearest(other, STRING_METHODS) {
                    Some(near) => error.with_hint(format!("Strings have `{near}`.")),
                    None => error.with_hint(format!("String methods: {}.", STRING_METHODS.join(", "))),
                });
            }
        })
    }

    /// The text that replaces one match: a function's result, or a string with `$&`, `$1`… filled in.
    fn replacement(
        &mut self,
        replacement: &Value,
        groups: &[Option<String>],
        offset: usize,
        text: &str,
        span: Span,
    ) -> Result<String, RuntimeError> {
        if matches!(replacement, Value::Function(_) | Value::Builtin(_)) {
            let mut args: Vec<Value> =
                groups.iter().map(|g| g.clone().map_or_else(Value::undefined, Value::string)).collect();
            args.push(Value::number(offset as f64));
            args.push(Value::string(text));
            let result = self.call_value(replacement, Value::undefined(), args, span)?;
            return Ok(to_js_string(&result));
        }
        let template = to_js_string(replacement);
        let mut out = String::new();
        let mut chars = template.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '$' {
                out.push(c);
                continue;
            }
            match chars.peek().copied() {
                Some('$') => {
                    chars.next();
                    out.push('$');
                }
                Some('&') => {
                    chars.next();
                    out.push_str(groups.first().and_then(|g| g.as_deref()).unwrap_or(""));
                }
                Some(d) if d.is_ascii_digit() && d != '0' => {
                    chars.next();
                    let index = d.to_digit(10).unwrap_or(0) as usize;
                    match groups.get(index) {
                        Some(group) => out.push_str(group.as_deref().unwrap_or("")),
                        None => {
                            out.push('$');
                            out.push(d);
                        }
                    }
                }
                _ => out.push('$'),
            }
        }
        Ok(out)
    }

    /// `console.log(…)` and its siblings: strings as they are, other values as mongosh prints them.
    pub(super) fn console(&mut self, level: &str, args: &[Value], span: Span) -> Result<Value, RuntimeError> {
        if level == "table" {
            if let Some(first) = args.first() {
                let value = self.settle(first.clone(), span)?;
                if let Some(table) = console_table(&operators::to_display(&value)) {
                    self.console.push(table);
                    return Ok(Value::undefined());
                }
            }
        }
        let mut parts = Vec::new();
        for value in args {
            let value = self.settle(value.clone(), span)?;
            // Node prints a Mongoose document through its inspect(), which is `toObject()` with the schema's
            // `toObject` options (inside arrays and objects too).
            let value = match value {
                Value::Promise(inner) => Value::Promise(Box::new(self.inspect_ready(*inner, span)?)),
                other => self.inspect_ready(other, span)?,
            };
            parts.push(match &value {
                Value::Data(Bson::String(text)) => text.clone(),
                Value::Promise(inner) => format!("Promise {{ {} }}", format_value(&operators::to_display(inner))),
                Value::Data(data) => format_value(data),
                Value::Object(_) | Value::Array(_) => format_value(&operators::to_display(&value)),
                other => operators::display_name(other),
            });
        }
        self.console.push(parts.join(" "));
        Ok(Value::undefined())
    }

    /// A value with every Mongoose document in it (at any depth) replaced by what its `toJSON()` returns, as
    /// `JSON.stringify` calls `toJSON`; objects and arrays without documents are returned as they are.
    pub(super) fn json_ready(&mut self, value: Value, span: Span, depth: usize) -> Result<Value, RuntimeError> {
        self.plain_ready(value, true, span, depth)
    }

    /// A value as Node's `util.inspect` prints it (the REPL's value, `console.log`): every Mongoose document in
    /// it, at any depth, is what its `[util.inspect.custom]` returns — lib/document.js `inspect()` called with
    /// the depth (not an options object) is `this.toObject()`, the schema's `toObject` options applied.
    pub(super) fn inspect_ready(&mut self, value: Value, span: Span) -> Result<Value, RuntimeError> {
        if self.mode == super::world::Mode::Schemaless {
            return Ok(value);
        }
        self.plain_ready(value, false, span, 0)
    }

    fn plain_ready(&mut self, value: Value, json: bool, span: Span, depth: usize) -> Result<Value, RuntimeError> {
        if depth > 100 || !self.holds_document(&value, 0) {
            return Ok(value);
        }
        Ok(match value {
            Value::Document(document) => self.document_plain(&document, None, json, span)?,
            Value::Array(items) => {
                let items = items.0.borrow().clone();
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.plain_ready(item, json, span, depth + 1)?);
                }
                Value::Array(ArrayRef::new(out))
            }
            Value::Object(object) => {
                let properties = object.0.borrow().properties.clone();
                let mut out = Vec::with_capacity(properties.len());
                for (key, item) in properties {
                    out.push((key, self.plain_ready(item, json, span, depth + 1)?));
                }
                Value::Object(super::value::ObjectRef::new(out))
            }
            other => other,
        })
    }

    fn holds_document(&self, value: &Value, depth: usize) -> bool {
        if depth > 100 {
            return false;
        }
        match value {
            Value::Document(_) => true,
            Value::Array(items) => items.0.borrow().iter().any(|item| self.holds_document(item, depth + 1)),
            Value::Object(object) => {
                object.0.borrow().properties.iter().any(|(_, item)| self.holds_document(item, depth + 1))
            }
            _ => false,
        }
    }

    /// `parseInt`, `parseFloat`, `isNaN`, `isFinite`.
    pub(super) fn global_function(&mut self, name: &str, args: &[Value], span: Span) -> Result<Value, RuntimeError> {
        let text = to_js_string(&arg(args, 0));
        Ok(match name {
            "parseInt" => {
                let radix = match arg(args, 1) {
                    Value::Data(Bson::Undefined) => None,
                    other => Some(to_number(&other) as u32),
                };
                Value::number(crate::js::coerce::parse_int(&text, radix))
            }
            "parseFloat" => Value::number(crate::js::coerce::parse_float(&text)),
            "isNaN" => Value::boolean(to_number(&arg(args, 0)).is_nan()),
            "isFinite" => Value::boolean(to_number(&arg(args, 0)).is_finite()),
            other => return Err(RuntimeError::reference_error(span, format!("{other} is not defined"))),
        })
    }

    /// `String(x)`, `Number(x)`, `Boolean(x)`, `Array(n)`, `Object(x)`, `Date()`, `Error("…")` called as functions.
    pub(super) fn call_global(&mut self, global: Global, args: Vec<Value>, span: Span) -> Result<Value, RuntimeError> {
        let first = arg(&args, 0);
        Ok(match global {
            Global::String => Value::string(match &first {
                Value::Data(Bson::Undefined) if args.is_empty() => String::new(),
                other => to_js_string(other),
            }),
            Global::Number => Value::number(if args.is_empty() { 0.0 } else { to_number(&first) }),
            Global::Boolean => Value::boolean(operators::truthy(&first)),
            Global::Array => Value::Array(ArrayRef::new(args)),
            Global::Object => match first {
                Value::Data(Bson::Undefined | Bson::Null) => Value::Object(ObjectRef::new(Vec::new())),
                other => other.shared(),
            },
            Global::Date => {
                let now = self.cluster.generator.now();
                Value::string(crate::js::inspect::js_date_string(&now))
            }
            Global::Error(kind) => error_object(kind, &first),
            Global::Math | Global::Json | Global::Promise | Global::TypeName(_) => {
                return Err(RuntimeError::type_error(span, format!("{} is not a function", global.name())))
            }
        })
    }

    /// `Math.max(…)`, `Object.keys(…)`, `JSON.stringify(…)`, `Promise.all(…)`, `Number.isInteger(…)` ...
    pub(super) fn static_method(
        &mut self,
        global: Global,
        name: &str,
        args: Vec<Value>,
        span: Span,
    ) -> Result<Value, RuntimeError> {
        let first = arg(&args, 0);
        let numbers = || args.iter().map(to_number).collect::<Vec<f64>>();
        let unary = |f: fn(f64) -> f64| Value::number(f(to_number(&first)));
        Ok(match (global, name) {
            (Global::Math, "max") => Value::number(numbers().into_iter().fold(f64::NEG_INFINITY, |a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.max(b)
                }
            })),
            (Global::Math, "min") => Value::number(numbers().into_iter().fold(f64::INFINITY, |a, b| {
                if a.is_nan() || b.is_nan() {
                    f64::NAN
                } else {
                    a.min(b)
                }
            })),
            (Global::Math, "round") => unary(|x| (x + 0.5).floor()),
            (Global::Math, "floor") => unary(f64::floor),
            (Global::Math, "ceil") => unary(f64::ceil),
            (Global::Math, "trunc") => unary(f64::trunc),
            (Global::Math, "abs") => unary(f64::abs),
            (Global::Math, "sqrt") => unary(f64::sqrt),
            (Global::Math, "cbrt") => unary(f64::cbrt),
            (Global::Math, "sign") => unary(|x| if x.is_nan() || x == 0.0 { x } else { x.signum() }),
            (Global::Math, "log") => unary(f64::ln),
            (Global::Math, "log10") => unary(f64::log10),
            (Global::Math, "log2") => unary(f64::log2),
            (Global::Math, "exp") => unary(f64::exp),
            (Global::Math, "sin") => unary(f64::sin),
            (Global::Math, "cos") => unary(f64::cos),
            (Global::Math, "tan") => unary(f64::tan),
            (Global::Math, "pow") => operators::arithmetic(crate::shell::ast::BinaryOp::Pow, &first, &arg(&args, 1)),
            (Global::Math, "random") => Value::number(self.cluster.generator.random()),
            (Global::Object, "keys") => {
                let value = first.shared();
                Value::Array(ArrayRef::new(self.own_keys(&value).into_iter().map(Value::string).collect()))
            }
            (Global::Object, "values" | "entries") => {
                let value = first.shared();
                let mut out = Vec::new();
                for key in self.own_keys(&value) {
                    let item = self.get_property(value.clone(), &key, span)?;
                    out.push(if name == "values" {
                        item
                    } else {
                        Value::Array(ArrayRef::new(vec![Value::string(key), item]))
                    });
                }
                Value::Array(ArrayRef::new(out))
            }
            (Global::Object, "assign") => {
                let target = first.shared();
                for source in args.iter().skip(1) {
                    let source = source.clone().shared();
                    for key in self.own_keys(&source) {
                        let item = self.get_property(source.clone(), &key, span)?;
                        self.set_property(target.clone(), &key, item, span)?;
                    }
                }
                target
            }
            (Global::Object, "fromEntries") => {
                let object = ObjectRef::new(Vec::new());
                for entry in self.iterate(first, span)? {
                    let key = self.get_property(entry.clone(), "0", span)?;
                    let value = self.get_property(entry, "1", span)?;
                    object.0.borrow_mut().set(&property_key(&key), value);
                }
                Value::Object(object)
            }
            (Global::Object, "freeze") => first,
            (Global::Array, "isArray") => {
                Value::boolean(matches!(first, Value::Array(_) | Value::Data(Bson::Array(_))))
            }
            (Global::Array, "from") => {
                let items = match first.shared() {
                    Value::Object(object) => {
                        let length = object.0.borrow_mut().get("length").map(|v| to_number(&v)).unwrap_or(0.0);
                        if !(0.0..=operators::MAX_ARRAY_LENGTH as f64).contains(&length) {
                            return Err(operators::invalid_array_length(span));
                        }
                        vec![Value::undefined(); length as usize]
                    }
                    other => self.iterate(other, span)?,
                };
                match args.get(1) {
                    Some(mapper) => {
                        let mut out = Vec::with_capacity(items.len());
                        for (index, item) in items.into_iter().enumerate() {
                            out.push(self.call_value(
                                mapper,
                                Value::undefined(),
                                vec![item, Value::number(index as f64)],
                                span,
                            )?);
                        }
                        Value::Array(ArrayRef::new(out))
                    }
                    None => Value::Array(ArrayRef::new(items)),
                }
            }
            (Global::Array, "of") => Value::Array(ArrayRef::new(args)),
            (Global::Number, "isInteger") => {
                Value::boolean(operators::number_of(&first).is_some_and(|n| n.is_finite() && n.fract() == 0.0))
            }
            (Global::Number, "isFinite") => Value::boolean(operators::number_of(&first).is_some_and(f64::is_finite)),
            (Global::Number, "isNaN") => Value::boolean(operators::number_of(&first).is_some_and(f64::is_nan)),
            (Global::Number, "parseFloat") => Value::number(crate::js::coerce::parse_float(&to_js_string(&first))),
            (Global::Number, "parseInt") => return self.global_function("parseInt", &args, span),
            (Global::Json, "stringify") => {
                let indent = match arg(&args, 2) {
                    value if operators::number_of(&value).is_some() => {
                        " ".repeat(to_number(&value).clamp(0.0, 10.0) as usize)
                    }
                    Value::Data(Bson::String(text)) => text.chars().take(10).collect(),
                    _ => String::new(),
                };
                // JSON.stringify calls each value's toJSON(): a Mongoose document's applies its schema's options.
                let first = self.json_ready(first, span, 0)?;
                match json_stringify(&first, &indent, span)? {
                    Some(text) => Value::string(text),
                    None => Value::undefined(),
                }
            }
            (Global::Json, "parse") => {
                let text = to_js_string(&first);
                match serde_json::from_str::<serde_json::Value>(&text) {
                    Ok(json) => json_to_value(json),
                    Err(error) => {
                        return Err(RuntimeError::script(
                            "SyntaxError",
                            span,
                            format!("Unexpected token in JSON at line {} column {}", error.line(), error.column()),
                        ))
                    }
                }
            }
            (Global::Promise, "all" | "allSettled") => {
                let mut out = Vec::new();
                for item in self.iterate(first, span)? {
                    let value = self.settle(item, span)?;
                    let value = match value {
                        Value::Promise(inner) => *inner,
                        other => other,
                    };
                    out.push(if name == "all" {
                        value.shared()
                    } else {
                        Value::Object(ObjectRef::new(vec![
                            ("status".to_string(), Value::string("fulfilled")),
                            ("value".to_string(), value.shared()),
                        ]))
                    });
                }
                Value::Promise(Box::new(Value::Array(ArrayRef::new(out))))
            }
            (Global::Promise, "resolve") => Value::Promise(Box::new(self.settle(first, span)?)),
            (Global::Promise, "reject") => {
                return Err(RuntimeError::type_error(span, "Promise.reject is not supported in crudlab's shell")
                    .with_hint("Throw the error instead: `throw new Error(\"…\")`."))
            }
            (Global::Date, "now") => Value::number(self.cluster.generator.now().timestamp_millis() as f64),
            // `Date.UTC(year, monthIndex, day = 1, hours, minutes, seconds, ms)`: MakeDay/MakeTime of the spec.
            (Global::Date, "UTC") => {
                let parts = numbers();
                let part = |i: usize, default: f64| parts.get(i).copied().unwrap_or(default);
                let (year, month) = (part(0, f64::NAN), part(1, 0.0));
                if parts.iter().any(|p| !p.is_finite()) || !year.is_finite() {
                    Value::number(f64::NAN)
                } else {
                    let year = year.trunc();
                    let year = if (0.0..=99.0).contains(&year) { 1900.0 + year } else { year };
                    let month = month.trunc();
                    let year = year + (month / 12.0).floor();
                    let month = month.rem_euclid(12.0);
                    let days = crate::js::dates::days_from_civil(year as i64, month as i64 + 1, 1) as f64
                        + part(2, 1.0).trunc()
                        - 1.0;
                    let time = part(3, 0.0).trunc() * 3_600_000.0
                        + part(4, 0.0).trunc() * 60_000.0
                        + part(5, 0.0).trunc() * 1_000.0
                        + part(6, 0.0).trunc();
                    let millis = days * 86_400_000.0 + time;
                    Value::number(if millis.abs() > 8.64e15 { f64::NAN } else { millis })
                }
            }
            (Global::String, "fromCharCode") => {
                let units: Vec<u16> = args.iter().map(|v| to_number(v) as u16).collect();
                Value::string(String::from_utf16_lossy(&units))
            }
            (global, other) => {
                return Err(RuntimeError::type_error(span, format!("{}.{other} is not a function", global.name())))
            }
        })
    }
}

fn is_nan(value: &Value) -> bool {
    operators::number_of(value).is_some_and(f64::is_nan)
}

fn flatten(items: Vec<Value>, depth: f64, out: &mut Vec<Value>) {
    for item in items {
        match item.shared() {
            Value::Array(inner) if depth >= 1.0 => {
                let inner: Vec<Value> = inner.0.borrow().clone();
                flatten(inner, depth - 1.0, out);
            }
            other => out.push(other),
        }
    }
}

/// An object made by `new Error(message)` (or `TypeError` ...): `name` and `message`, marked as an error.
pub(super) fn error_object(kind: &str, message: &Value) -> Value {
    let message = match message {
        Value::Data(Bson::Undefined) => String::new(),
        other => to_js_string(other),
    };
    let object = ObjectRef::new(vec![
        ("name".to_string(), Value::string(kind)),
        ("message".to_string(), Value::string(message)),
    ]);
    object.0.borrow_mut().error_kind = Some(kind.to_string());
    Value::Object(object)
}

fn compile(regex: &JsRegExp, span: Span) -> Result<regex::Regex, RuntimeError> {
    let flags: String = regex.flags.chars().filter(|c| matches!(c, 'i' | 'm' | 's')).collect();
    let source = if flags.is_empty() { regex.pattern.clone() } else { format!("(?{flags}){}", regex.pattern) };
    regex::RegexBuilder::new(&source).size_limit(1 << 20).build().map_err(|error| {
        let text = error.to_string();
        let reason = text.lines().last().unwrap_or("syntax error").trim().to_string();
        RuntimeError::script("SyntaxError", span, format!("Invalid regular expression: /{}/: {reason}", regex.pattern))
            .with_hint("crudlab matches regexes in linear time, without backreferences or lookaround.")
    })
}

/// `regex.exec(text)` / `text.match(regex)` without `g`: the match and its groups, or `null`.
fn match_groups(compiled: &regex::Regex, text: &str) -> Value {
    match compiled.captures(text) {
        Some(captures) => Value::Array(ArrayRef::new(
            captures.iter().map(|group| group.map_or_else(Value::undefined, |m| Value::string(m.as_str()))).collect(),
        )),
        None => Value::Data(Bson::Null),
    }
}

fn number_method(number: f64, data: &Bson, name: &str, args: &[Value], span: Span) -> Result<Value, RuntimeError> {
    let _ = data;
    Ok(match name {
        "toFixed" => {
            let digits = to_number(&arg(args, 0));
            let digits = if digits.is_nan() { 0.0 } else { digits };
            if !(0.0..=100.0).contains(&digits) {
                return Err(RuntimeError::script(
                    "RangeError",
                    span,
                    "toFixed() digits argument must be between 0 and 100",
                ));
            }
            if !number.is_finite() || number.abs() >= 1e21 {
                Value::string(crate::js::inspect::js_number(number))
            } else {
                Value::string(format!("{:.*}", digits as usize, number))
            }
        }
        "toPrecision" => {
            let digits = to_number(&arg(args, 0));
            if digits.is_nan() {
                Value::string(crate::js::inspect::js_number(number))
            } else {
                let digits = digits.clamp(1.0, 100.0) as usize;
                let magnitude = if number == 0.0 { 0 } else { number.abs().log10().floor() as i64 };
                let decimals = (digits as i64 - 1 - magnitude).max(0) as usize;
                Value::string(format!("{number:.decimals$}"))
            }
        }
        "toString" => match arg(args, 0) {
            Value::Data(Bson::Undefined) => Value::string(crate::js::inspect::js_number(number)),
            radix => {
                let radix = to_number(&radix) as u32;
                if !(2..=36).contains(&radix) {
                    return Err(RuntimeError::script("RangeError", span, "toString() radix must be between 2 and 36"));
                }
                if number.fract() != 0.0 || !number.is_finite() || radix == 10 {
                    Value::string(crate::js::inspect::js_number(number))
                } else {
                    let mut n = number.abs() as u128;
                    let mut digits = Vec::new();
                    loop {
                        digits.push(std::char::from_digit((n % u128::from(radix)) as u32, radix).unwrap_or('0'));
                        n /= u128::from(radix);
                        if n == 0 {
                            break;
                        }
                    }
                    if number < 0.0 {
                        digits.push('-');
                    }
                    Value::string(digits.into_iter().rev().collect::<String>())
                }
            }
        },
        _ => Value::number(number),
    })
}

fn date_method(date: DateTime, name: &str, span: Span) -> Result<Value, RuntimeError> {
    let millis = date.timestamp_millis();
    let days = millis.div_euclid(86_400_000);
    let ms_of_day = millis.rem_euclid(86_400_000);
    let (year, month, day) = crate::js::dates::civil_from_days(days);
    Ok(match name {
        "getTime" | "valueOf" => Value::number(millis as f64),
        "getFullYear" => Value::number(year as f64),
        "getMonth" => Value::number((month - 1) as f64),
        "getDate" => Value::number(day as f64),
        "getDay" => Value::number((days + 4).rem_euclid(7) as f64),
        "getHours" => Value::number((ms_of_day / 3_600_000) as f64),
        "getMinutes" => Value::number((ms_of_day / 60_000 % 60) as f64),
        "getSeconds" => Value::number((ms_of_day / 1000 % 60) as f64),
        "getMilliseconds" => Value::number((ms_of_day % 1000) as f64),
        "getTimezoneOffset" => Value::number(0.0),
        "toISOString" | "toJSON" => {
            if !(-8_640_000_000_000_000..=8_640_000_000_000_000).contains(&millis) {
                return Err(RuntimeError::script("RangeError", span, "Invalid time value"));
            }
            Value::string(crate::js::inspect::js_date_iso(&date))
        }
        "toDateString" => Value::string(crate::js::inspect::js_date_string(&date).chars().take(15).collect::<String>()),
        _ => Value::string(crate::js::inspect::js_date_string(&date)),
    })
}

/// The few methods students call on BSON values: `toString()`, `toHexString()`, `equals()`, `getTimestamp()`.
pub(super) fn data_method(value: &Bson, method: &str, args: &[Bson], span: Span) -> Result<Value, RuntimeError> {
    Ok(Value::Data(match (value, method) {
        (Bson::ObjectId(oid), "toString" | "toHexString" | "toJSON") => Bson::String(oid.to_hex()),
        (Bson::ObjectId(oid), "equals") => Bson::Boolean(match args.first() {
            Some(Bson::ObjectId(other)) => other == oid,
            Some(Bson::String(hex)) => hex == &oid.to_hex(),
            _ => false,
        }),
        (Bson::ObjectId(oid), "getTimestamp") => {
            Bson::DateTime(DateTime::from_millis(oid.timestamp().timestamp_millis()))
        }
        (other, "toString") => Bson::String(crate::js::inspect::js_string(other)),
        (_, "toJSON" | "toObject") => value.clone(),
        (other, _) => {
            return Err(RuntimeError::type_error(
                span,
                format!("{}.{method} is not a function", crate::engine::value::type_name(other)),
            ))
        }
    }))
}

/// `JSON.stringify`: `undefined` and functions left out of objects (`null` in arrays), ObjectIds and dates as
/// their `toJSON` text, `None` for a value JSON cannot hold at the top.
fn json_stringify(value: &Value, indent: &str, span: Span) -> Result<Option<String>, RuntimeError> {
    let data = match value {
        Value::Function(_) | Value::Builtin(_) | Value::Data(Bson::Undefined) => return Ok(None),
        other => operators::to_bson(other, Functions::Skip, span).map_err(|error| {
            if error.message.contains("circular") {
                RuntimeError::type_error(span, "Converting circular structure to JSON")
            } else {
                error
            }
        })?,
    };
    let mut out = String::new();
    write_json(&data, indent, 0, &mut out);
    Ok(Some(out))
}

fn write_json(value: &Bson, indent: &str, level: usize, out: &mut String) {
    let newline = |out: &mut String, level: usize| {
        if !indent.is_empty() {
            out.push('\n');
            out.push_str(&indent.repeat(level));
        }
    };
    match value {
        Bson::Null | Bson::Undefined => out.push_str("null"),
        Bson::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        Bson::String(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
        Bson::ObjectId(oid) => out.push_str(&format!("\"{}\"", oid.to_hex())),
        Bson::DateTime(date) => out.push_str(&format!("\"{}\"", crate::js::inspect::js_date_iso(date))),
        Bson::Document(document) => {
            let entries: Vec<(&String, &Bson)> =
                document.iter().filter(|(_, v)| !matches!(v, Bson::Undefined)).collect();
            if entries.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (index, (key, item)) in entries.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                out.push_str(&serde_json::to_string(key).unwrap_or_default());
                out.push(':');
                if !indent.is_empty() {
                    out.push(' ');
                }
                write_json(item, indent, level + 1, out);
            }
            newline(out, level);
            out.push('}');
        }
        Bson::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                newline(out, level + 1);
                write_json(item, indent, level + 1, out);
            }
            newline(out, level);
            out.push(']');
        }
        Bson::RegularExpression(_) => out.push_str("{}"),
        other => match crate::js::inspect::js_number_value(other) {
            Some(n) if n.is_finite() => out.push_str(&crate::js::inspect::js_number(n)),
            Some(_) => out.push_str("null"),
            None => out.push_str(&serde_json::to_string(&crate::js::inspect::js_string(other)).unwrap_or_default()),
        },
    }
}

pub(super) fn json_to_value(json: serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Data(Bson::Null),
        serde_json::Value::Bool(b) => Value::boolean(b),
        serde_json::Value::Number(n) => Value::number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::string(s),
        serde_json::Value::Array(items) => Value::Array(ArrayRef::new(items.into_iter().map(json_to_value).collect())),
        serde_json::Value::Object(map) => {
            Value::Object(ObjectRef::new(map.into_iter().map(|(k, v)| (k, json_to_value(v))).collect()))
        }
    }
}

/// `console.table(rows)` as Node 20 draws it: an `(index)` column, one column per key in the order first seen, and
/// `Values` for rows that are not objects; `None` for a value that is not a table (Node then logs it).
fn console_table(value: &Bson) -> Option<String> {
    let rows: Vec<(String, &Bson)> = match value {
        Bson::Array(items) => items.iter().enumerate().map(|(i, item)| (i.to_string(), item)).collect(),
        Bson::Document(doc) => doc.iter().map(|(k, v)| (k.clone(), v)).collect(),
        _ => return None,
    };
    let mut keys: Vec<String> = Vec::new();
    let mut has_values = false;
    for (_, row) in &rows {
        match row {
            Bson::Document(doc) => {
                for key in doc.keys() {
                    if !keys.contains(key) {
                        keys.push(key.clone());
                    }
                }
            }
            _ => has_values = true,
        }
    }
    let mut header = vec!["(index)".to_string()];
    header.extend(keys.iter().cloned());
    if has_values {
        header.push("Values".to_string());
    }
    let cell = |value: &Bson| crate::js::mongosh_format::format_inline(value);
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|(index, row)| {
            let mut line = vec![index.clone()];
            for key in &keys {
                line.push(match row {
                    Bson::Document(doc) => doc.get(key).map(cell).unwrap_or_default(),
                    _ => String::new(),
                });
            }
            if has_values {
                line.push(if matches!(row, Bson::Document(_)) { String::new() } else { cell(row) });
            }
            line
        })
        .collect();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| std::iter::once(&header).chain(body.iter()).map(|line| line[c].chars().count()).max().unwrap_or(0) + 2)
        .collect();
    let rule = |left: &str, middle: &str, right: &str| {
        let parts: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
        format!("{left}{}{right}", parts.join(middle))
    };
    let line = |cells: &[String]| {
        let parts: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(text, w)| format!(" {text}{}", " ".repeat(w - 1 - text.chars().count())))
            .collect();
        format!("│{}│", parts.join("│"))
    };
    let mut out = vec![rule("┌", "┬", "┐"), line(&header), rule("├", "┼", "┤")];
    out.extend(body.iter().map(|cells| line(cells)));
    out.push(rule("└", "┴", "┘"));
    Some(out.join("\n"))
}

#[cfg(test)]
mod console_table_tests {
    use super::console_table;
    use bson::{bson, Bson};

    #[test]
    fn draws_node_twenty_tables() {
        let rows = bson!([{"a": 1, "b": "x"}, {"a": 22, "c": true}]);
        expect_test::expect![[r#"
            ┌─────────┬────┬─────┬──────┐
            │ (index) │ a  │ b   │ c    │
            ├─────────┼────┼─────┼──────┤
            │ 0       │ 1  │ 'x' │      │
            │ 1       │ 22 │     │ true │
            └─────────┴────┴─────┴──────┘"#]]
        .assert_eq(&console_table(&rows).unwrap_or_default());
        let values = bson!([1, "two"]);
        expect_test::expect![[r#"
            ┌─────────┬────────┐
            │ (index) │ Values │
            ├─────────┼────────┤
            │ 0       │ 1      │
            │ 1       │ 'two'  │
            └─────────┴────────┘"#]]
        .assert_eq(&console_table(&values).unwrap_or_default());
        assert_eq!(console_table(&Bson::Int32(5)), None);
    }
}
