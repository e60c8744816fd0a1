//! Robustness tests for the whole shell front end: no panic, no endless loop and no stack overflow on any input.

use proptest::prelude::*;

use super::error::ErrorKind;
use super::parser::{parse, MAX_DEPTH};

/// WebAssembly gives the page 1 MiB of stack, and optimised builds are tested in exactly that. Unoptimised
/// debug builds keep every temporary in its own stack slot and need about 7 times more per nesting level,
/// so they get 4 MiB (half of a native main thread's 8 MiB).
const SMALL_STACK: usize = if cfg!(debug_assertions) { 4 * 1024 * 1024 } else { 1024 * 1024 };

#[allow(clippy::disallowed_methods, reason = "a native test: the stack of a WebAssembly page, on a thread")]
fn on_small_stack<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(SMALL_STACK).spawn(work).unwrap().join().unwrap()
}

fn deep_inputs() -> Vec<(&'static str, String)> {
    let n = 10_000;
    vec![
        ("brackets", "[".repeat(n)),
        ("closed brackets", format!("x = {}1{}", "[".repeat(n), "]".repeat(n))),
        ("objects", format!("x = {}1{}", "{a: ".repeat(n), "}".repeat(n))),
        ("parens", format!("{}1{}", "(".repeat(n), ")".repeat(n))),
        ("calls", format!("{}{}", "f(".repeat(n), ")".repeat(n))),
        ("not", format!("{}x", "!".repeat(n))),
        ("minus", format!("{}x", "- ".repeat(n))),
        ("await", format!("{}x", "await ".repeat(n))),
        ("new", format!("{}X", "new ".repeat(n))),
        ("blocks", format!("{}{}", "{".repeat(n), "}".repeat(n))),
        ("if", "if (a) ".repeat(n) + "x"),
        ("arrows", "x => ".repeat(n) + "x"),
        ("conditional", "a ? b : ".repeat(n) + "c"),
        ("member chain", format!("a{}", ".b".repeat(n))),
        ("call chain", format!("a{}", ".b()".repeat(n))),
        ("index chain", format!("a{}", "[0]".repeat(n))),
        ("sum", format!("1{}", " + 1".repeat(n))),
        ("assignment chain", "a = ".repeat(n) + "1"),
        ("functions", format!("{}{}", "function f() {".repeat(n), "}".repeat(n))),
    ]
}

#[test]
fn deep_nesting_gives_a_located_error_on_a_small_stack() {
    let results = on_small_stack(|| {
        deep_inputs()
            .into_iter()
            .map(|(name, source)| (name, parse(&source).map(|_| ()).map_err(|e| (e.kind, e.span.line))))
            .collect::<Vec<_>>()
    });
    for (name, result) in results {
        match result {
            Err((ErrorKind::TooDeep, line)) => assert_eq!(line, 1, "{name}"),
            other => panic!("{name}: expected a TooDeep error, got {other:?}"),
        }
    }
}

#[test]
fn a_hundred_level_document_parses_and_walks_on_a_small_stack() {
    on_small_stack(|| {
        // MongoDB's own nesting limit is 100 levels: students must be able to type such a document.
        let source = format!("db.c.insertOne({}1{})", "{a: ".repeat(100), "}".repeat(100));
        let program = parse(&source).unwrap();
        // Printing and dropping walk the whole tree recursively.
        assert!(program.to_string().len() > 400);
        drop(program);
        let source = format!("x = {}1{}", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(parse(&source).unwrap_err().kind, ErrorKind::TooDeep);
    });
}

#[test]
fn a_megabyte_of_text_parses_quickly() {
    let numbers: Vec<String> = (0..150_000).map(|i| i.to_string()).collect();
    let source = format!("db.c.insertOne({{ values: [{}] }})", numbers.join(", "));
    assert!(source.len() > 1_000_000);
    let program = parse(&source).unwrap();
    assert_eq!(program.statements.len(), 1);

    let statements = "db.users.find({ age: { $gt: 18 } }).limit(5)\n".repeat(25_000);
    assert!(statements.len() > 1_000_000);
    assert_eq!(parse(&statements).unwrap().statements.len(), 25_000);

    let junk = "{[(\"'`/*".repeat(150_000);
    assert!(parse(&junk).is_err());
}

#[test]
fn empty_and_blank_inputs_are_empty_programs() {
    for source in ["", " ", "\n\n", "// only a comment", "/* */", ";"] {
        let program = parse(source).unwrap();
        assert!(program.statements.len() <= 1, "{source:?}");
    }
}

const LECTURE: &str = r#"const mongoose = require("mongoose");
const userSchema = new mongoose.Schema({
  username: { type: String, required: true },
  password: String,
  firstName: String,
  purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }]
});
const User = mongoose.model("User", userSchema);
await User.create({ username: req.body.username, password: req.body.password });
const user = await User.findById("64b7f0c2a1b2c3d4e5f60718");
await User.findOne({ username: "ada" });
await User.find({ premium: true });
await User.updateOne({ _id: user._id }, { $push: { purchasedCourses: courseId } });
await User.update({ username: "ada" }, { premium: true });
await User.deleteMany({});
await User.deleteOne({ username: "ada" });
db.users.find({ age: { $gt: 18 } }).sort({ age: -1 }).limit(10).explain("executionStats")
app.post("/signup", async (req, res) => {
  const username = req.body.username;
  await User.create({ username, password: req.body.password, createdAt: new Date() });
  res.json({ message: "User created successfully" });
});
db.users.insertOne({ _id: ObjectId("64b7f0c2a1b2c3d4e5f60718"), born: ISODate("1815-12-10"), n: NumberLong("1"), re: /^ada/i });
"#;

#[test]
fn the_lecture_snippet_used_for_mutations_parses() {
    parse(LECTURE).unwrap();
}

/// Everything the front end offers, run on one input; it must return (`Ok` or `Err`) and never panic.
fn exercise(source: &str) {
    match parse(source) {
        Ok(program) => {
            let _ = program.to_string();
            for offset in [0, source.len() / 2, source.len()] {
                let _ = super::ast::node_path_at(&program, offset);
            }
        }
        Err(error) => {
            let _ = error.render(source);
        }
    }
    let _ = super::lexer::tokenize_partial(source);
    if let Ok(expr) = super::parser::parse_expression(source) {
        let _ = super::literal::evaluate(&expr, source, &EverythingIsNull);
    }
    for offset in [0, 1, source.len() / 3, source.len() / 2, source.len()] {
        let _ = super::cursor::cursor_context(source, offset);
    }
    let _ = super::suggest::nearest(source, &["find", "findById", "updateOne"]);
}

/// A resolver that knows every name (as `null`), so evaluation goes as deep as the input allows.
struct EverythingIsNull;

impl super::literal::Resolver for EverythingIsNull {
    fn resolve_name(&self, _name: &str) -> Option<bson::Bson> {
        Some(bson::Bson::Null)
    }
    fn now(&self) -> bson::DateTime {
        bson::DateTime::from_millis(0)
    }
    fn new_object_id(&self) -> bson::oid::ObjectId {
        bson::oid::ObjectId::from_bytes([0; 12])
    }
}

#[test]
fn deep_values_evaluate_and_cursor_analysis_stays_linear() {
    on_small_stack(|| {
        let source = format!("{}1{}", "{a: [".repeat(50), "]}".repeat(50));
        let expr = super::parser::parse_expression(&source).unwrap();
        assert!(super::literal::evaluate(&expr, &source, &EverythingIsNull).is_ok());
    });
    let deep = format!("f({}", "{a: [".repeat(200_000));
    let context = super::cursor::cursor_context(&deep, deep.len());
    assert_eq!(context.key_path.len(), 400_000);
    // Every `(` reads the chain before it: without a cap this would be quadratic.
    let chain = format!("{}x(", "a().".repeat(250_000));
    let started = crate::clock::monotonic_millis();
    let context = super::cursor::cursor_context(&chain, chain.len());
    assert_eq!(context.method.as_deref(), Some("x"));
    assert_eq!(context.receiver.len(), 31);
    let took = crate::clock::monotonic_millis() - started;
    assert!(took < 10_000.0, "took {took} ms");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_strings_never_panic(source in any::<String>()) {
        exercise(&source);
    }

    #[test]
    fn javascript_looking_strings_never_panic(source in "[ \\n{}()\\[\\];,.:=<>!&|?+\\-*/%'\"`\\\\a-z0-9$_]{0,80}") {
        exercise(&source);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_lecture_snippets_never_panic(
        edits in proptest::collection::vec((any::<proptest::sample::Index>(), 0u8..3, "[{}()\\[\\];,.:=\"'`/\\\\a-z0-9 \\n]{0,3}"), 1..6)
    ) {
        let mut source = LECTURE.to_string();
        for (index, action, text) in edits {
            let mut at = index.index(source.len() + 1);
            while !source.is_char_boundary(at) {
                at -= 1;
            }
            match action {
                0 => source.insert_str(at, &text),
                1 => {
                    let mut end = (at + text.len().max(1)).min(source.len());
                    while !source.is_char_boundary(end) {
                        end -= 1;
                    }
                    source.replace_range(at..end, "");
                }
                _ => source.truncate(at),
            }
        }
        exercise(&source);
    }
}
