//! The request path the lecture draws — browser `fetch` → Express (middleware, auth, handler) → database → HTTP
//! response — simulated by the interpreter as Express 5 behaves: nothing listens on a port. `require("express")`,
//! apps and routers with `use`/`get`/`post`/`put`/`patch`/`delete`/`all`, route parameters, `req.query`,
//! lower-cased `req.headers`, `req.body` only after `express.json()`, `next()`/`next(err)`, error-handling
//! middleware, rejected async handlers routed to it, Express's own 404 and 500 pages, and `fetch` with a browser's
//! rules for bodies. Every request is recorded as a lane (browser → Express → database → response).

use super::error::{ErrorSource, RuntimeError};
use super::operators;
use super::value::{ObjectRef, Value};
use super::world::World;
use crate::shell::span::Span;
use bson::{Bson, Document};
use std::cell::RefCell;
use std::rc::Rc;

/// Most layers one request may pass (a router mounted in itself would loop).
const MAX_LAYERS_PER_REQUEST: usize = 1_000;

/// An Express application or router: its layers in the order they were added.
#[derive(Default)]
pub struct App {
    pub layers: Vec<Layer>,
    /// `app.listen(…)` was called: `fetch` goes to the app that listens (else to the last app made).
    pub listening: bool,
}

/// A shared app; equality is identity.
#[derive(Clone)]
pub struct AppRef(pub Rc<RefCell<App>>);

impl PartialEq for AppRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for AppRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[Express app of {} layers]", self.0.try_borrow().map(|a| a.layers.len()).unwrap_or(0))
    }
}

/// `app.get("/users/:id", handler)` or `app.use("/api", router)`.
pub struct Layer {
    /// `None` for `use` and `all` (every method).
    pub method: Option<String>,
    pub pattern: PathPattern,
    /// `use` matches a path prefix; a route the whole path.
    pub prefix: bool,
    pub handler: Value,
}

/// A route path compiled as path-to-regexp 8 (Express 5) reads it: literal segments, `:name` parameters,
/// `*name` wildcards, `{…}` optional groups.
#[derive(Debug, Clone, PartialEq)]
pub struct PathPattern {
    pub source: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Text(String),
    Param(String),
    Wildcard(String),
    Optional(Vec<Token>),
}

impl PathPattern {
    /// Compiles a path, with path-to-regexp's error for what Express 5 rejects (`*` without a name, `:` alone).
    pub fn compile(source: &str) -> Result<PathPattern, String> {
        let chars: Vec<char> = source.chars().collect();
        let mut index = 0;
        let tokens = parse_tokens(&chars, &mut index, source, false)?;
        Ok(PathPattern { source: source.to_string(), tokens })
    }

    /// The parameters when `path` matches (the whole path, or a prefix ending at a `/` when `prefix`), with the
    /// length matched. Case-insensitive and with an optional trailing slash, as Express's defaults.
    pub fn matches(&self, path: &str, prefix: bool) -> Option<(Vec<(String, String)>, usize)> {
        let mut params = Vec::new();
        let path_chars: Vec<char> = path.chars().collect();
        let end = match_tokens(&self.tokens, &path_chars, 0, &mut params, prefix)?;
        Some((params, path_chars[..end].iter().collect::<String>().len()))
    }
}

/// path-to-regexp's `PathError` message.
fn pattern_error(source: &str, message: &str) -> String {
    format!("{message}: {source}; visit https://git.new/pathToRegexpError for info")
}

fn parse_tokens(chars: &[char], index: &mut usize, source: &str, in_group: bool) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut text = String::new();
    while let Some(&c) = chars.get(*index) {
        match c {
            ':' | '*' => {
                if !text.is_empty() {
                    tokens.push(Token::Text(std::mem::take(&mut text)));
                }
                let start = *index;
                *index += 1;
                let mut name = String::new();
                while let Some(&n) = chars.get(*index) {
                    if n.is_alphanumeric() || n == '_' || n == '$' {
                        name.push(n);
                        *index += 1;
                    } else {
                        break;
                    }
                }
                if name.is_empty() {
                    return Err(pattern_error(source, &format!("Missing parameter name at index {}", start + 1)));
                }
                tokens.push(if c == ':' { Token::Param(name) } else { Token::Wildcard(name) });
            }
            '{' => {
                if !text.is_empty() {
                    tokens.push(Token::Text(std::mem::take(&mut text)));
                }
                *index += 1;
                let inner = parse_tokens(chars, index, source, true)?;
                tokens.push(Token::Optional(inner));
            }
            '}' if in_group => {
                *index += 1;
                if !text.is_empty() {
                    tokens.push(Token::Text(text));
                }
                return Ok(tokens);
            }
            '}' | '(' | ')' | '[' | ']' | '?' | '+' | '!' => {
                return Err(pattern_error(source, &format!("Unexpected {c} at index {}", *index)));
            }
            '\\' => {
                *index += 1;
                if let Some(&escaped) = chars.get(*index) {
                    text.push(escaped);
                    *index += 1;
                }
            }
            other => {
                text.push(other);
                *index += 1;
            }
        }
    }
    if in_group {
        return Err(pattern_error(source, &format!("Unexpected end at index {}, expected }}", *index)));
    }
    if !text.is_empty() {
        tokens.push(Token::Text(text));
    }
    Ok(tokens)
}

/// Matches tokens from `at`; returns where the match ends.
fn match_tokens(
    tokens: &[Token],
    path: &[char],
    at: usize,
    params: &mut Vec<(String, String)>,
    prefix: bool,
) -> Option<usize> {
    let Some((first, rest)) = tokens.split_first() else {
        let remaining: String = path[at..].iter().collect();
        let after_slash = at > 0 && path.get(at - 1) == Some(&'/');
        let ends = remaining.is_empty() || remaining == "/" || (prefix && (remaining.starts_with('/') || after_slash));
        return ends.then_some(if prefix || remaining.is_empty() { at } else { path.len() });
    };
    match first {
        Token::Text(text) => {
            let text: Vec<char> = text.chars().collect();
            let slice = path.get(at..at + text.len())?;
            let same = slice.iter().zip(&text).all(|(a, b)| a.to_lowercase().eq(b.to_lowercase()));
            if !same {
                // A trailing `/` of the pattern is optional, as with `strict: false`.
                if text == ['/'] && rest.is_empty() {
                    return match_tokens(rest, path, at, params, prefix);
                }
                return None;
            }
            match_tokens(rest, path, at + text.len(), params, prefix)
        }
        Token::Param(name) => {
            let mut end = at;
            while end < path.len() && path[end] != '/' {
                end += 1;
            }
            if end == at {
                return None;
            }
            // The longest value that lets the rest match (`/:from-:to`).
            for stop in (at + 1..=end).rev() {
                let mut attempt = params.clone();
                attempt.push((name.clone(), decode(&path[at..stop].iter().collect::<String>())));
                if let Some(done) = match_tokens(rest, path, stop, &mut attempt, prefix) {
                    *params = attempt;
                    return Some(done);
                }
            }
            None
        }
        Token::Wildcard(name) => {
            for stop in (at + 1..=path.len()).rev() {
                let mut attempt = params.clone();
                attempt.push((name.clone(), decode(&path[at..stop].iter().collect::<String>())));
                if let Some(done) = match_tokens(rest, path, stop, &mut attempt, prefix) {
                    *params = attempt;
                    return Some(done);
                }
            }
            None
        }
        Token::Optional(inner) => {
            let mut with: Vec<Token> = inner.clone();
            with.extend(rest.iter().cloned());
            let mut attempt = params.clone();
            if let Some(done) = match_tokens(&with, path, at, &mut attempt, prefix) {
                *params = attempt;
                return Some(done);
            }
            match_tokens(rest, path, at, params, prefix)
        }
    }
}

/// `%20` → ` ` (decodeURIComponent; an invalid sequence stays as written).
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(byte) = u8::from_str_radix(&text[i + 1..i + 3], 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_string())
}

/// `?a=1&b=2&b=3` as Express 5's "simple" query parser reads it (repeated keys become arrays).
pub fn parse_query(query: &str) -> Document {
    let mut out = Document::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(&key.replace('+', " "));
        let value = Bson::String(decode(&value.replace('+', " ")));
        match out.get_mut(&key) {
            Some(Bson::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.clone();
                *existing = Bson::Array(vec![first, value]);
            }
            None => {
                out.insert(key, value);
            }
        }
    }
    out
}

/// The reason phrase of a status code (Node's `http.STATUS_CODES`).
pub fn status_text(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        304 => "Not Modified",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

/// finalhandler's page for a status it answers itself (`Cannot GET /nope`, an error's stack).
pub fn html_document(message: &str) -> String {
    let escaped = message
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
        .replace('\n', "<br>")
        .replace("  ", " &nbsp;");
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Error</title>\n</head>\n<body>\n<pre>{escaped}</pre>\n</body>\n</html>\n"
    )
}

/// The response a handler is writing.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Set by `json`/`send`/`end`/`sendStatus`: a second answer is an error.
    pub sent: bool,
    /// The status the answer went out with (a later `res.status()` changes nothing the client sees).
    pub sent_status: Option<u16>,
}

impl Response {
    pub fn new() -> Self {
        Response { status: 200, ..Response::default() }
    }

    pub fn set_header(&mut self, name: &str, value: &str) {
        let lower = name.to_ascii_lowercase();
        self.headers.retain(|(n, _)| n.to_ascii_lowercase() != lower);
        self.headers.push((name.to_string(), value.to_string()));
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        let lower = name.to_ascii_lowercase();
        self.headers.iter().find(|(n, _)| n.to_ascii_lowercase() == lower).map(|(_, v)| v.as_str())
    }
}

/// A shared response; equality is identity.
#[derive(Clone)]
pub struct ResponseRef(pub Rc<RefCell<Response>>);

impl PartialEq for ResponseRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for ResponseRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[ServerResponse]")
    }
}

/// What a request went through, for its lane.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestReport {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Each middleware and handler that ran, in order, with what it did.
    pub steps: Vec<RequestStep>,
    /// The database calls the handlers made: indices into the statement's calls.
    pub calls: std::ops::Range<usize>,
    pub status: u16,
    pub response_headers: Vec<(String, String)>,
    pub response_body: String,
    /// Why nothing answered, or what Express answered by itself.
    pub note: Option<String>,
    /// The Run was stopped while this request was being handled (a handler looped past the step budget): the
    /// request got no answer and the statement's writes were undone.
    pub stopped: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RequestStep {
    /// `auth`, `express.json()`, `GET /feed handler`, `error handler` ...
    pub name: String,
    /// `next()`, `answered 401`, `threw Error: …`, `next(err)`, `parsed the JSON body` ...
    pub outcome: String,
}

/// The chain a request runs: the layers that apply to it, flattened through routers, and where it is.
pub struct Chain {
    entries: Vec<ChainEntry>,
    position: usize,
    pub request: Value,
    pub response: ResponseRef,
    pub steps: Vec<RequestStep>,
    /// Set when a handler passed an error on (`next(err)`, a throw, a rejected promise).
    error: Option<Value>,
    /// Set when the chain ran out without an answer: Express's own 404 or 500 went out.
    pub finished_by_express: bool,
}

struct ChainEntry {
    method: Option<String>,
    pattern: PathPattern,
    prefix: bool,
    /// The path prefix of the routers it is mounted under.
    mount: String,
    handler: Value,
}

/// A shared chain, what `next` continues.
#[derive(Clone)]
pub struct ChainRef(pub Rc<RefCell<Chain>>);

impl PartialEq for ChainRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for ChainRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "[Function: next]")
    }
}

/// Built-in middleware of the `express` module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltinMiddleware {
    /// `express.json()`.
    Json,
    /// `express.urlencoded()`.
    Urlencoded,
}

/// What `fetch` resolves to.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub url: String,
}

fn flatten(app: &AppRef, mount: &str, out: &mut Vec<ChainEntry>, depth: usize) {
    if depth > 16 || out.len() > MAX_LAYERS_PER_REQUEST {
        return;
    }
    let app = app.0.borrow();
    for layer in &app.layers {
        out.push(ChainEntry {
            method: layer.method.clone(),
            pattern: layer.pattern.clone(),
            prefix: layer.prefix,
            mount: mount.to_string(),
            handler: layer.handler.clone(),
        });
    }
}

/// The name a lane shows for a handler: the function's name, or where it is mounted.
fn handler_name(entry: &ChainEntry) -> String {
    let place = match &entry.method {
        Some(method) => format!("{} {}{}", method, entry.mount, entry.pattern.source),
        None if entry.pattern.source == "/" && entry.mount.is_empty() => "app.use".to_string(),
        None => format!("use {}{}", entry.mount, entry.pattern.source),
    };
    match &entry.handler {
        Value::Function(function) if function.0.function.params.len() == 4 => match function.name() {
            Some(name) => format!("{name} (error handler, {place})"),
            None => format!("error handler ({place})"),
        },
        Value::Function(function) => match function.name() {
            Some(name) => format!("{name} ({place})"),
            None => place,
        },
        Value::ExpressMiddleware(BuiltinMiddleware::Json) => "express.json()".to_string(),
        Value::ExpressMiddleware(BuiltinMiddleware::Urlencoded) => "express.urlencoded()".to_string(),
        Value::ExpressApp(_) => format!("router ({place})"),
        _ => place,
    }
}

impl World {
    /// `require("express")`'s module called: `express()`.
    pub(super) fn new_express_app(&mut self) -> Value {
        let app = AppRef(Rc::new(RefCell::new(App::default())));
        self.express_apps.push(app.clone());
        Value::ExpressApp(app)
    }

    /// `express.json()`, `express.Router()` ...
    pub(super) fn express_module_method(&mut self, method: &str, method_span: Span) -> Result<Value, RuntimeError> {
        match method {
            "json" => Ok(Value::ExpressMiddleware(BuiltinMiddleware::Json)),
            "urlencoded" => Ok(Value::ExpressMiddleware(BuiltinMiddleware::Urlencoded)),
            "Router" => Ok(Value::ExpressApp(AppRef(Rc::new(RefCell::new(App::default()))))),
            other => {
                Err(super::world::unknown_method("express", other, &["json", "urlencoded", "Router"], method_span))
            }
        }
    }

    /// `app.get(path, ...handlers)`, `app.use(...)`, `app.listen(...)`.
    pub(super) fn express_app_method(
        &mut self,
        app: AppRef,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        const METHODS: &[&str] = &["use", "get", "post", "put", "patch", "delete", "all", "listen", "route"];
        let http_method = match method {
            "get" | "post" | "put" | "patch" | "delete" => Some(method.to_ascii_uppercase()),
            "all" | "use" => None,
            "listen" => {
                app.0.borrow_mut().listening = true;
                // `app.listen(3000, () => console.log("listening"))`: the callback runs; nothing opens a port.
                if let Some(callback) = args.iter().find(|a| super::world::is_callable(a)) {
                    self.call_value(callback, Value::undefined(), Vec::new(), span)?;
                }
                return Ok(Value::ExpressApp(app));
            }
            other => return Err(super::world::unknown_method("app", other, METHODS, method_span)),
        };
        let mut args = args.into_iter().peekable();
        let path = match args.peek() {
            Some(Value::Data(Bson::String(path))) => {
                let path = path.clone();
                args.next();
                path
            }
            _ if method == "use" => "/".to_string(),
            _ => {
                return Err(RuntimeError::type_error(
                    span,
                    format!("app.{method}() needs a path first, e.g. app.{method}(\"/feed\", (req, res) => {{ … }})"),
                ))
            }
        };
        let pattern = PathPattern::compile(&path).map_err(|message| {
            RuntimeError::type_error(self.arg_spans.first().copied().unwrap_or(span), message)
                .with_hint("Express 5 paths: \"/users/:id\", optional parts in braces \"/users{/:id}\", a named wildcard \"/*splat\".")
        })?;
        let handlers: Vec<Value> = args.collect();
        if handlers.is_empty() {
            return Err(RuntimeError::type_error(span, format!("app.{method}() requires a callback function")));
        }
        for handler in &handlers {
            let usable = super::world::is_callable(handler)
                || matches!(handler, Value::ExpressApp(_) | Value::ExpressMiddleware(_));
            if !usable {
                return Err(RuntimeError::type_error(
                    span,
                    format!("argument handler must be a function (got {})", handler.describe()),
                ));
            }
        }
        let mut app_mut = app.0.borrow_mut();
        let new_layers: Vec<Layer> = handlers
            .into_iter()
            .map(|handler| Layer {
                method: http_method.clone(),
                pattern: pattern.clone(),
                prefix: method == "use",
                handler,
            })
            .collect();
        // In the editor a route is edited by running it again: the new version replaces the old one in place, as
        // restarting the server with the edited file would (Express itself would keep both, the first winning).
        let is_route = method != "use";
        // `app.use(express.json())` run again adds nothing: the same parser at the same path is already there.
        let new_layers: Vec<Layer> = new_layers
            .into_iter()
            .filter(|new| {
                !matches!(new.handler, Value::ExpressMiddleware(_))
                    || !app_mut
                        .layers
                        .iter()
                        .any(|old| old.prefix && old.pattern.source == new.pattern.source && old.handler == new.handler)
            })
            .collect();
        let same_route =
            |layer: &Layer| !layer.prefix && layer.method == http_method && layer.pattern.source == pattern.source;
        match app_mut.layers.iter().position(|layer| is_route && same_route(layer)) {
            Some(at) => {
                app_mut.layers.retain(|layer| !same_route(layer));
                let at = at.min(app_mut.layers.len());
                app_mut.layers.splice(at..at, new_layers);
            }
            None => app_mut.layers.extend(new_layers),
        }
        drop(app_mut);
        Ok(Value::ExpressApp(app))
    }

    /// `res.status(401)`, `res.json(…)` ...
    pub(super) fn express_response_method(
        &mut self,
        response: ResponseRef,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        const METHODS: &[&str] = &["status", "json", "send", "sendStatus", "end", "set", "header", "get", "type"];
        let already_sent = |response: &ResponseRef| -> Result<(), RuntimeError> {
            if response.0.borrow().sent {
                return Err(RuntimeError::script(
                    "Error",
                    span,
                    "Cannot set headers after they are sent to the client",
                )
                .with_hint("This handler answered twice: after res.json/send/end, `return` so nothing else answers."));
            }
            Ok(())
        };
        match method {
            "status" => {
                let code = args.first().map(operators::to_number).unwrap_or(f64::NAN);
                if !(100.0..=999.0).contains(&code) || code.fract() != 0.0 {
                    return Err(RuntimeError::script(
                        "RangeError",
                        span,
                        format!(
                            "Invalid status code: {}",
                            args.first().map(operators::to_js_string).unwrap_or_default()
                        ),
                    ));
                }
                response.0.borrow_mut().status = code as u16;
                Ok(Value::ExpressResponse(response))
            }
            "set" | "header" | "type" => {
                let (name, value) = if method == "type" {
                    let kind = args.first().map(operators::to_js_string).unwrap_or_default();
                    ("Content-Type".to_string(), if kind == "json" { "application/json".to_string() } else { kind })
                } else {
                    (
                        args.first().map(operators::to_js_string).unwrap_or_default(),
                        args.get(1).map(operators::to_js_string).unwrap_or_default(),
                    )
                };
                response.0.borrow_mut().set_header(&name, &value);
                Ok(Value::ExpressResponse(response))
            }
            "get" => {
                let name = args.first().map(operators::to_js_string).unwrap_or_default();
                Ok(response.0.borrow().header(&name).map(Value::string).unwrap_or_else(Value::undefined))
            }
            "json" => {
                already_sent(&response)?;
                let value = args.into_iter().next().unwrap_or_else(Value::undefined);
                let value = self.settle(value, span)?;
                let body = self.json_stringify(&value, span)?;
                let mut res = response.0.borrow_mut();
                if res.header("Content-Type").is_none() {
                    res.set_header("Content-Type", "application/json; charset=utf-8");
                }
                res.body = Some(body.unwrap_or_default());
                res.sent = true;
                res.sent_status = Some(res.status);
                drop(res);
                Ok(Value::ExpressResponse(response))
            }
            "send" => {
                already_sent(&response)?;
                let value = args.into_iter().next().unwrap_or_else(Value::undefined);
                let value = self.settle(value, span)?;
                match &value {
                    Value::Data(Bson::String(text)) => {
                        let mut res = response.0.borrow_mut();
                        if res.header("Content-Type").is_none() {
                            res.set_header("Content-Type", "text/html; charset=utf-8");
                        }
                        res.body = Some(text.clone());
                        res.sent = true;
                        res.sent_status = Some(res.status);
                    }
                    Value::Data(Bson::Null | Bson::Undefined) => {
                        let mut res = response.0.borrow_mut();
                        res.body = Some(String::new());
                        res.sent = true;
                        res.sent_status = Some(res.status);
                    }
                    _ => return self.express_response_method(response, "json", vec![value], span, method_span),
                }
                Ok(Value::ExpressResponse(response))
            }
            "sendStatus" => {
                already_sent(&response)?;
                let code = args.first().map(operators::to_number).unwrap_or(200.0) as u16;
                let mut res = response.0.borrow_mut();
                res.status = code;
                res.set_header("Content-Type", "text/plain; charset=utf-8");
                res.body = Some(match status_text(code) {
                    "" => code.to_string(),
                    text => text.to_string(),
                });
                res.sent = true;
                res.sent_status = Some(res.status);
                drop(res);
                Ok(Value::ExpressResponse(response))
            }
            "end" => {
                already_sent(&response)?;
                let text = args.first().map(operators::to_js_string).unwrap_or_default();
                let mut res = response.0.borrow_mut();
                res.body = Some(text);
                res.sent = true;
                res.sent_status = Some(res.status);
                drop(res);
                Ok(Value::ExpressResponse(response))
            }
            other => Err(super::world::unknown_method("res", other, METHODS, method_span)),
        }
    }

    /// `JSON.stringify(value)` as `res.json` sends it (`undefined` sends an empty body).
    fn json_stringify(&mut self, value: &Value, span: Span) -> Result<Option<String>, RuntimeError> {
        let stringify =
            Value::Builtin(Rc::new(super::value::Builtin::Static(super::value::Global::Json, "stringify".to_string())));
        let text = self.call_value(&stringify, Value::undefined(), vec![value.clone()], span)?;
        Ok(match text {
            Value::Data(Bson::String(text)) => Some(text),
            _ => None,
        })
    }

    /// `fetch(url, { method, headers, body })`: the request goes to the program's Express app and the response
    /// comes back as a browser's `Response`. Without an app, fetch fails as a browser's does with no server.
    pub(super) fn fetch(&mut self, args: Vec<Value>, span: Span) -> Result<Value, RuntimeError> {
        let url = args.first().map(operators::to_js_string).unwrap_or_default();
        let init = match args.get(1).cloned().map(Value::shared) {
            Some(Value::Object(init)) => Some(init),
            _ => None,
        };
        let read = |world: &mut World, key: &str| -> Result<Value, RuntimeError> {
            match &init {
                Some(init) => world.get_property(Value::Object(init.clone()), key, span),
                None => Ok(Value::undefined()),
            }
        };
        let method = match read(self, "method")? {
            value if value.is_nullish() => "GET".to_string(),
            value => operators::to_js_string(&value).to_ascii_uppercase(),
        };
        let mut headers: Vec<(String, String)> = Vec::new();
        if let Value::Object(given) = read(self, "headers")?.shared() {
            for (name, value) in given.0.borrow().properties.iter() {
                headers.push((name.to_ascii_lowercase(), operators::to_js_string(value)));
            }
        }
        let body_value = read(self, "body")?;
        let body = if body_value.is_nullish() {
            None
        } else {
            // A browser sends a string body as it is, with `text/plain;charset=UTF-8` unless told otherwise; any
            // other object becomes its string, "[object Object]".
            if !headers.iter().any(|(n, _)| n == "content-type") {
                headers.push(("content-type".to_string(), "text/plain;charset=UTF-8".to_string()));
            }
            Some(operators::to_js_string(&body_value))
        };
        if matches!(method.as_str(), "GET" | "HEAD") && body.is_some() {
            return Err(RuntimeError::type_error(
                span,
                "Failed to execute 'fetch' on 'Window': Request with GET/HEAD method cannot have body.",
            ));
        }
        let path = match url.find("://") {
            Some(scheme) => {
                let rest = &url[scheme + 3..];
                rest.find('/').map(|slash| rest[slash..].to_string()).unwrap_or_else(|| "/".to_string())
            }
            None if url.starts_with('/') => url.clone(),
            None => format!("/{url}"),
        };
        let app = self
            .express_apps
            .iter()
            .rev()
            .find(|app| app.0.borrow().listening)
            .or_else(|| self.express_apps.last())
            .cloned();
        let Some(app) = app else {
            return Err(RuntimeError::type_error(span, "Failed to fetch").with_hint(
                "No server answers: write one first — const app = express(), its routes, app.listen(3000).",
            ));
        };
        let report = self.handle_request(&app, &method, &path, headers, body, span)?;
        let response = FetchResponse {
            status: report.status,
            headers: report.response_headers.clone(),
            body: report.response_body.clone(),
            url: format!("http://localhost:3000{path}"),
        };
        let answered = report.note.as_deref() != Some(NO_RESPONSE);
        self.requests.push(report);
        if !answered {
            return Err(RuntimeError::script("TypeError", span, "Failed to fetch").with_hint(
                "The request never got an answer: the handler neither answered (res.json, res.send, res.end) nor called next(). A browser would wait until it times out.",
            ));
        }
        Ok(Value::Promise(Box::new(Value::FetchResponse(Rc::new(response)))))
    }

    /// Runs one request through the app's layers; the lane of what happened.
    fn handle_request(
        &mut self,
        app: &AppRef,
        method: &str,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
        span: Span,
    ) -> Result<RequestReport, RuntimeError> {
        let (path, query) = match url.split_once('?') {
            Some((path, query)) => (path.to_string(), query.to_string()),
            None => (url.to_string(), String::new()),
        };
        let mut entries = Vec::new();
        flatten(app, "", &mut entries, 0);
        let header_object =
            ObjectRef::new(headers.iter().map(|(n, v)| (n.clone(), Value::string(v.clone()))).collect());
        let request = ObjectRef::new(vec![
            ("method".to_string(), Value::string(method)),
            ("url".to_string(), Value::string(url)),
            ("originalUrl".to_string(), Value::string(url)),
            ("path".to_string(), Value::string(path.clone())),
            ("headers".to_string(), Value::Object(header_object)),
            ("params".to_string(), Value::Object(ObjectRef::new(Vec::new()))),
            ("query".to_string(), Value::Data(Bson::Document(parse_query(&query))).shared()),
            // Express 5: `req.body` is undefined until a body parser sets it.
            ("body".to_string(), Value::undefined()),
        ]);
        let raw_body = body.clone();
        let calls_before = self.calls.len();
        let chain = ChainRef(Rc::new(RefCell::new(Chain {
            entries,
            position: 0,
            request: Value::Object(request),
            response: ResponseRef(Rc::new(RefCell::new(Response::new()))),
            steps: Vec::new(),
            error: None,
            finished_by_express: false,
        })));
        self.request_bodies.push(raw_body);
        let outcome = self.run_chain(&chain, &path, method, span);
        self.request_bodies.pop();
        // A step-limit error stops everything, as it stops any statement; the lane still shows how far the
        // request got, marked as failed.
        let stopped = match outcome {
            Err(error) if matches!(error.source, ErrorSource::StepLimit { .. }) => Some(error),
            _ => None,
        };
        let chain = chain.0.borrow();
        let response = chain.response.0.borrow().clone();
        let note = if chain.finished_by_express {
            Some(format!("Express answered {} itself", response.status))
        } else if !response.sent {
            Some(NO_RESPONSE.to_string())
        } else {
            None
        };
        let report = RequestReport {
            method: method.to_string(),
            path: url.to_string(),
            headers,
            body,
            steps: chain.steps.clone(),
            calls: calls_before..self.calls.len(),
            status: response.sent_status.unwrap_or(response.status),
            response_headers: response.headers.clone(),
            response_body: response.body.clone().unwrap_or_default(),
            note,
            stopped: stopped.as_ref().map(|error| format!("{} — the Run's writes were undone", error.message)),
        };
        match stopped {
            Some(error) => {
                self.requests.push(report);
                Err(error)
            }
            None => Ok(report),
        }
    }

    /// Continues the chain from its position (what `next()` does); at its end Express answers by itself.
    fn run_chain(&mut self, chain: &ChainRef, path: &str, method: &str, span: Span) -> Result<(), RuntimeError> {
        loop {
            let (entry_index, params, error) = {
                let mut state = chain.0.borrow_mut();
                let error = state.error.clone();
                let mut found = None;
                while state.position < state.entries.len() {
                    let index = state.position;
                    state.position += 1;
                    let entry = &state.entries[index];
                    if entry.method.as_deref().is_some_and(|m| m != method && !(m == "GET" && method == "HEAD")) {
                        continue;
                    }
                    let full = format!("{}{}", entry.mount, entry.pattern.source);
                    let pattern = if entry.mount.is_empty() {
                        entry.pattern.clone()
                    } else {
                        match PathPattern::compile(&full) {
                            Ok(p) => p,
                            Err(_) => continue,
                        }
                    };
                    let Some((params, _)) = pattern.matches(path, entry.prefix) else { continue };
                    // Error handlers take four parameters; they run only when an error is passed on.
                    let arity = match &entry.handler {
                        Value::Function(f) => f.0.function.params.len(),
                        _ => 3,
                    };
                    if (arity == 4) != error.is_some() {
                        continue;
                    }
                    found = Some((index, params));
                    break;
                }
                match found {
                    Some((index, params)) => (Some(index), params, error),
                    None => (None, Vec::new(), error),
                }
            };
            let Some(index) = entry_index else {
                self.final_handler(chain, method, path, error);
                return Ok(());
            };
            let (handler, name) = {
                let state = chain.0.borrow();
                (state.entries[index].handler.clone(), handler_name(&state.entries[index]))
            };
            let (request, response) = {
                let state = chain.0.borrow();
                (state.request.clone(), state.response.clone())
            };
            if let Value::Object(request) = &request {
                let params = ObjectRef::new(params.into_iter().map(|(k, v)| (k, Value::string(v))).collect());
                request.0.borrow_mut().set("params", Value::Object(params));
            }
            // Routers: their layers join the chain at this point, under the mount path.
            if let Value::ExpressApp(router) = &handler {
                let mount = {
                    let state = chain.0.borrow();
                    format!(
                        "{}{}",
                        state.entries[index].mount,
                        state.entries[index].pattern.source.trim_end_matches('/')
                    )
                };
                let mut inner = Vec::new();
                flatten(router, &mount, &mut inner, 1);
                let mut state = chain.0.borrow_mut();
                if state.entries.len() + inner.len() > MAX_LAYERS_PER_REQUEST {
                    continue;
                }
                let at = state.position;
                state.entries.splice(at..at, inner);
                continue;
            }
            if let Value::ExpressMiddleware(middleware) = handler {
                self.body_parser(chain, middleware);
                continue;
            }
            let next = Value::ExpressNext(chain.clone());
            let args = match &error {
                Some(error) => vec![error.clone(), request, Value::ExpressResponse(response.clone()), next],
                None => vec![request, Value::ExpressResponse(response.clone()), next],
            };
            if error.is_some() {
                chain.0.borrow_mut().error = None;
            }
            let steps_before = chain.0.borrow().steps.len();
            chain.0.borrow_mut().steps.push(RequestStep { name: name.clone(), outcome: String::new() });
            let result = self.call_value(&handler, Value::undefined(), args, span).and_then(|v| self.settle(v, span));
            let outcome = match result {
                Ok(_) => {
                    if response.0.borrow().sent {
                        format!("answered {}", response.0.borrow().status)
                    } else {
                        String::new()
                    }
                }
                Err(error) if matches!(error.source, ErrorSource::StepLimit { .. }) => {
                    if let Some(step) = chain.0.borrow_mut().steps.get_mut(steps_before) {
                        step.outcome = "stopped: it ran past the step budget (a loop that never ends?)".to_string();
                    }
                    return Err(error);
                }
                Err(error) => {
                    // Express 5 routes a throw, and a rejected promise of an async handler, to the error handlers.
                    let thrown = super::interpreter::caught(&error);
                    let text = format!("{}: {}", error.name(), error.message);
                    let mut state = chain.0.borrow_mut();
                    let continued = state.position;
                    state.error = Some(thrown);
                    drop(state);
                    if let Some(step) = chain.0.borrow_mut().steps.get_mut(steps_before) {
                        step.outcome = format!("threw {text}");
                    }
                    let _ = continued;
                    continue;
                }
            };
            if let Some(step) = chain.0.borrow_mut().steps.get_mut(steps_before) {
                if step.outcome.is_empty() {
                    step.outcome = if outcome.is_empty() { "returned without answering".to_string() } else { outcome };
                }
            }
            return Ok(());
        }
    }

    /// `next()` / `next(err)` called by a handler.
    pub(super) fn call_next(&mut self, chain: &ChainRef, args: Vec<Value>, span: Span) -> Result<Value, RuntimeError> {
        let (path, method) = {
            let state = chain.0.borrow();
            let Value::Object(request) = &state.request else { return Ok(Value::undefined()) };
            let mut request = request.0.borrow_mut();
            let path = request.get("path").map(|v| operators::to_js_string(&v)).unwrap_or_default();
            let method = request.get("method").map(|v| operators::to_js_string(&v)).unwrap_or_default();
            (path, method)
        };
        let error = args.into_iter().next().filter(|e| !e.is_nullish());
        if let Some(step) = chain.0.borrow_mut().steps.last_mut() {
            step.outcome = if error.is_some() { "next(err)".to_string() } else { "next()".to_string() };
        }
        if let Some(error) = error {
            chain.0.borrow_mut().error = Some(error);
        }
        self.run_chain(chain, &path, &method, span)?;
        Ok(Value::undefined())
    }

    /// `express.json()` / `express.urlencoded()`: parse the body when its content type matches.
    fn body_parser(&mut self, chain: &ChainRef, middleware: BuiltinMiddleware) {
        let (request, raw) = {
            let state = chain.0.borrow();
            (state.request.clone(), self.request_bodies.last().cloned().flatten())
        };
        let Value::Object(request) = request else { return };
        let content_type = {
            let mut req = request.0.borrow_mut();
            match req.get("headers") {
                Some(Value::Object(headers)) => {
                    headers.0.borrow_mut().get("content-type").map(|v| operators::to_js_string(&v))
                }
                _ => None,
            }
        };
        let name = match middleware {
            BuiltinMiddleware::Json => "express.json()",
            BuiltinMiddleware::Urlencoded => "express.urlencoded()",
        };
        let wanted = match middleware {
            BuiltinMiddleware::Json => "application/json",
            BuiltinMiddleware::Urlencoded => "application/x-www-form-urlencoded",
        };
        let matches = content_type.as_deref().is_some_and(|t| t.to_ascii_lowercase().starts_with(wanted));
        let outcome = match (matches, raw) {
            (true, Some(raw)) => match middleware {
                BuiltinMiddleware::Json => match parse_json(&raw) {
                    Ok(value) => {
                        request.0.borrow_mut().set("body", value);
                        "parsed the JSON body, next()".to_string()
                    }
                    Err(message) => {
                        let error = super::builtins::error_object("SyntaxError", &Value::string(message.clone()));
                        if let Value::Object(object) = &error {
                            object.0.borrow_mut().set("status", Value::number(400.0));
                        }
                        chain.0.borrow_mut().error = Some(error);
                        format!("SyntaxError: {message}, next(err)")
                    }
                },
                BuiltinMiddleware::Urlencoded => {
                    request.0.borrow_mut().set("body", Value::Data(Bson::Document(parse_query(&raw))).shared());
                    "parsed the form body, next()".to_string()
                }
            },
            (true, None) => "no body, next()".to_string(),
            (false, _) => format!(
                "skipped: content-type is {}, not {wanted}; next()",
                content_type.unwrap_or_else(|| "not set".to_string())
            ),
        };
        chain.0.borrow_mut().steps.push(RequestStep { name: name.to_string(), outcome });
    }

    /// finalhandler: `Cannot GET /nope` with 404, or the error's status (500 by default) and its stack.
    fn final_handler(&mut self, chain: &ChainRef, method: &str, path: &str, error: Option<Value>) {
        let state = chain.0.borrow();
        let mut response = state.response.0.borrow_mut();
        if response.sent {
            return;
        }
        let (status, message) = match &error {
            Some(error) => {
                let read = |key: &str| match error {
                    Value::Object(object) => object.0.borrow_mut().get(key),
                    _ => None,
                };
                let status = ["status", "statusCode"]
                    .iter()
                    .filter_map(|key| read(key))
                    .map(|v| operators::to_number(&v))
                    .find(|s| (400.0..600.0).contains(s))
                    .map(|s| s as u16)
                    .unwrap_or(if (400..600).contains(&response.status) { response.status } else { 500 });
                // Development mode (NODE_ENV unset) shows the error's stack; crudlab has no stack frames.
                let name = read("name").map(|v| operators::to_js_string(&v));
                let message = read("message").map(|v| operators::to_js_string(&v));
                let text = match (name, message) {
                    (Some(name), Some(message)) if !message.is_empty() => format!("{name}: {message}"),
                    (Some(name), _) => name,
                    _ => operators::to_js_string(error),
                };
                (status, text)
            }
            None => (404, format!("Cannot {method} {path}")),
        };
        response.status = status;
        response.headers = vec![
            ("Content-Security-Policy".to_string(), "default-src 'none'".to_string()),
            ("X-Content-Type-Options".to_string(), "nosniff".to_string()),
            ("Content-Type".to_string(), "text/html; charset=utf-8".to_string()),
        ];
        response.body = Some(html_document(&message));
        response.sent = true;
        response.sent_status = Some(status);
        drop(response);
        drop(state);
        let mut state = chain.0.borrow_mut();
        state.finished_by_express = true;
        state.steps.push(RequestStep {
            name: "Express".to_string(),
            outcome: match &error {
                Some(_) => format!("answered {status}: the error reached no error handler"),
                None => format!("answered 404: no route matched {method} {path}"),
            },
        });
    }

    /// `response.status`, `response.json()` ... on what `fetch` resolved to.
    pub(super) fn fetch_response_property(&mut self, response: Rc<FetchResponse>, key: &str) -> Value {
        match key {
            "status" => Value::number(f64::from(response.status)),
            "ok" => Value::boolean((200..300).contains(&response.status)),
            "statusText" => Value::string(status_text(response.status)),
            "url" => Value::string(response.url.clone()),
            "headers" => Value::FetchHeaders(response),
            "json" | "text" => super::builtins::method_value(Value::FetchResponse(response), key),
            _ => Value::undefined(),
        }
    }

    pub(super) fn fetch_response_method(
        &mut self,
        response: Rc<FetchResponse>,
        method: &str,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        match method {
            "text" => Ok(Value::Promise(Box::new(Value::string(response.body.clone())))),
            "json" => match parse_json(&response.body) {
                Ok(value) => Ok(Value::Promise(Box::new(value))),
                Err(message) => Err(RuntimeError::script("SyntaxError", span, message).with_hint(
                    "The response is not JSON (Express's own pages are HTML): read it with response.text(), or check response.ok first.",
                )),
            },
            other => Err(super::world::unknown_method("response", other, &["json", "text"], method_span)),
        }
    }
}

impl World {
    /// `jwt.sign(payload, secret, { expiresIn })`, `jwt.verify(token, secret)`, `jwt.decode(token)`.
    pub(super) fn jwt_method(
        &mut self,
        method: &str,
        args: Vec<Value>,
        span: Span,
        method_span: Span,
    ) -> Result<Value, RuntimeError> {
        let now = self.cluster.generator.now().timestamp_millis();
        let text = |value: Option<&Value>| value.map(operators::to_js_string).unwrap_or_default();
        let thrown = |world: &mut World, error: super::jwt::JwtError| {
            let object = super::builtins::error_object("Error", &Value::string(error.message.clone()));
            if let Value::Object(object) = &object {
                let mut object = object.0.borrow_mut();
                object.set("name", Value::string(error.name));
                object.error_kind = Some(error.name.to_string());
                if let Some(at) = error.expired_at {
                    object.set("expiredAt", Value::Data(Bson::DateTime(at)));
                }
            }
            let _ = world;
            RuntimeError {
                source: ErrorSource::Thrown { name: error.name.to_string(), value: Box::new(object) },
                span,
                message: error.message,
                hint: None,
            }
        };
        match method {
            "sign" => {
                let payload = args.first().cloned().unwrap_or_else(Value::undefined);
                let payload = self.json_stringify(&payload, span)?.unwrap_or_default();
                let secret = text(args.get(1));
                let expires_in = match args.get(2).cloned().map(Value::shared) {
                    Some(Value::Object(options)) => {
                        let value = options.0.borrow_mut().get("expiresIn");
                        match value {
                            Some(value) if !value.is_nullish() => Some(self.data(value, span)?),
                            _ => None,
                        }
                    }
                    _ => None,
                };
                super::jwt::sign(&payload, &secret, expires_in.as_ref(), now)
                    .map(Value::string)
                    .map_err(|error| thrown(self, error))
            }
            "verify" => match super::jwt::verify(&text(args.first()), &text(args.get(1)), now) {
                Ok(payload) => Ok(super::builtins::json_to_value(payload)),
                Err(error) => Err(thrown(self, error)),
            },
            "decode" => {
                let token = text(args.first());
                let payload = token.split('.').nth(1).and_then(|part| {
                    use base64::Engine;
                    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).ok()?;
                    serde_json::from_slice::<serde_json::Value>(&bytes).ok()
                });
                Ok(payload.map(super::builtins::json_to_value).unwrap_or(Value::Data(Bson::Null)))
            }
            other => Err(super::world::unknown_method("jwt", other, &["sign", "verify", "decode"], method_span)),
        }
    }
}

/// `JSON.parse` as body-parser and `response.json()` run it.
fn parse_json(text: &str) -> Result<Value, String> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(super::builtins::json_to_value)
        .map_err(|error| format!("Unexpected token in JSON at line {} column {}", error.line(), error.column()))
}

/// A response body as a lane shows it: Express's own HTML page by its message, anything else as it is.
pub fn shown_body(body: &str) -> String {
    match (body.find("<pre>"), body.find("</pre>")) {
        (Some(start), Some(end)) if body.starts_with("<!DOCTYPE html>") && start < end => {
            let text = body[start + 5..end]
                .replace("<br>", "\n")
                .replace(" &nbsp;", "  ")
                .replace("&#39;", "'")
                .replace("&quot;", "\"")
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&amp;", "&");
            format!("HTML page \"{text}\"")
        }
        _ => body.to_string(),
    }
}

/// The note of a request nobody answered.
pub const NO_RESPONSE: &str = "no response: the handler never called res.json/send/end (nor next())";

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
        PathPattern::compile(pattern).ok()?.matches(path, false).map(|(p, _)| p)
    }

    #[test]
    fn routes_match_as_express_five() {
        assert_eq!(params("/feed", "/feed"), Some(vec![]));
        assert_eq!(params("/feed", "/FEED/"), Some(vec![]), "case-insensitive, trailing slash optional");
        assert_eq!(params("/feed", "/feed/x"), None);
        assert_eq!(params("/users/:id", "/users/42"), Some(vec![("id".into(), "42".into())]));
        assert_eq!(params("/users/:id", "/users/"), None);
        assert_eq!(params("/users{/:id}", "/users"), Some(vec![]));
        assert_eq!(params("/files/*path", "/files/a/b.txt"), Some(vec![("path".into(), "a/b.txt".into())]));
        assert_eq!(
            params("/flights/:from-:to", "/flights/LAX-SFO"),
            Some(vec![("from".into(), "LAX".into()), ("to".into(), "SFO".into())])
        );
        assert_eq!(params("/q/:name", "/q/a%20b"), Some(vec![("name".into(), "a b".into())]));
        let prefix = PathPattern::compile("/api").unwrap();
        assert!(prefix.matches("/api/users", true).is_some());
        assert!(prefix.matches("/apix", true).is_none());
        assert!(PathPattern::compile("/").unwrap().matches("/anything", true).is_some());
    }

    #[test]
    fn paths_express_five_rejects_say_why() {
        expect_test::expect!["Missing parameter name at index 1: *; visit https://git.new/pathToRegexpError for info"]
            .assert_eq(&PathPattern::compile("*").unwrap_err());
        expect_test::expect!["Unexpected ? at index 5: /a/:b?; visit https://git.new/pathToRegexpError for info"]
            .assert_eq(&PathPattern::compile("/a/:b?").unwrap_err());
        expect_test::expect![
            "Unexpected end at index 6, expected }: /a{/:b; visit https://git.new/pathToRegexpError for info"
        ]
        .assert_eq(&PathPattern::compile("/a{/:b").unwrap_err());
    }

    #[test]
    fn query_strings_and_pages() {
        expect_test::expect![[r#"{ "a": "1", "b": ["2", "x y"] }"#]]
            .assert_eq(&parse_query("a=1&b=2&b=x+y").to_string());
        expect_test::expect![[r#"
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <title>Error</title>
            </head>
            <body>
            <pre>Cannot GET /nope</pre>
            </body>
            </html>
        "#]]
        .assert_eq(&html_document("Cannot GET /nope"));
    }
}
