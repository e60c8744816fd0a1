//! The lecture's own code blocks, parsed end to end: tree shape, evaluated documents and the errors students make.

use bson::oid::ObjectId;
use bson::{doc, Bson, DateTime};
use expect_test::expect;

use super::ast::{ExprKind, StmtKind};
use super::literal::{evaluate, Resolver};
use super::parser::parse;

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
"#;

#[test]
fn the_lecture_code_parses_into_the_expected_tree() {
    let program = parse(LECTURE).unwrap();
    expect![[r#"
        const mongoose = require("mongoose");
        const userSchema = (new mongoose.Schema({ username: { type: String, required: true }, password: String, firstName: String, purchasedCourses: [{ type: mongoose.Schema.Types.ObjectId, ref: "Course" }] }));
        const User = mongoose.model("User", userSchema);
        (await User.create({ username: req.body.username, password: req.body.password }));
        const user = (await User.findById("64b7f0c2a1b2c3d4e5f60718"));
        (await User.findOne({ username: "ada" }));
        (await User.find({ premium: true }));
        (await User.updateOne({ _id: user._id }, { $push: { purchasedCourses: courseId } }));
        (await User.update({ username: "ada" }, { premium: true }));
        (await User.deleteMany({}));
        (await User.deleteOne({ username: "ada" }));
        db.users.find({ age: { $gt: 18 } }).sort({ age: (-1) }).limit(10).explain("executionStats");
    "#]]
    .assert_eq(&program.to_string());
}

#[test]
fn lecture_spans_point_at_the_written_text() {
    let program = parse(LECTURE).unwrap();
    let texts: Vec<&str> = program.statements.iter().map(|statement| statement.span.text(LECTURE)).collect();
    assert_eq!(texts.len(), 12);
    assert_eq!(texts[0], "const mongoose = require(\"mongoose\");");
    assert_eq!(
        texts[11],
        "db.users.find({ age: { $gt: 18 } }).sort({ age: -1 }).limit(10).explain(\"executionStats\")"
    );
    // The `find` call's receiver chain and first argument.
    let StmtKind::Expression(expr) = &program.statements[11].kind else {
        panic!("expected an expression statement");
    };
    let mut current = expr;
    let mut methods = Vec::new();
    while let ExprKind::Call { callee, .. } = &current.kind {
        let ExprKind::Member { object, property, .. } = &callee.kind else {
            break;
        };
        methods.push(property.name.as_str());
        assert_eq!(property.span.text(LECTURE), property.name);
        current = object;
    }
    assert_eq!(methods, ["explain", "limit", "sort", "find"]);
    assert_eq!(current.dotted_path(), Some(vec!["db", "users"]));
}

struct LessonBindings;

impl Resolver for LessonBindings {
    fn resolve_name(&self, name: &str) -> Option<Bson> {
        match name {
            "req" => Some(Bson::Document(doc! { "body": { "username": "ada", "password": "secret" } })),
            "courseId" => ObjectId::parse_str("64b7f0c2a1b2c3d4e5f60719").ok().map(Bson::ObjectId),
            _ => None,
        }
    }
    fn now(&self) -> DateTime {
        DateTime::from_millis(0)
    }
    fn new_object_id(&self) -> ObjectId {
        ObjectId::from_bytes([0; 12])
    }
}

#[test]
fn lecture_arguments_evaluate_to_documents() {
    let program = parse(LECTURE).unwrap();
    let mut documents = Vec::new();
    for statement in &program.statements {
        let StmtKind::Expression(expr) = &statement.kind else {
            continue;
        };
        let call = match &expr.kind {
            ExprKind::Await(inner) => inner.as_ref(),
            _ => expr,
        };
        let ExprKind::Call { args, .. } = &call.kind else {
            continue;
        };
        for arg in args {
            match evaluate(arg, LECTURE, &LessonBindings) {
                Ok(value) => documents.push(value.to_string()),
                Err(error) => documents.push(format!("error: {}", error.message)),
            }
        }
    }
    expect![[r#"
        [
            "{ \"username\": \"ada\", \"password\": \"secret\" }",
            "{ \"username\": \"ada\" }",
            "{ \"premium\": true }",
            "error: user is not defined",
            "{ \"$push\": { \"purchasedCourses\": ObjectId(\"64b7f0c2a1b2c3d4e5f60719\") } }",
            "{ \"username\": \"ada\" }",
            "{ \"premium\": true }",
            "{}",
            "{ \"username\": \"ada\" }",
            "\"executionStats\"",
        ]
    "#]]
    .assert_debug_eq(&documents);
}

#[test]
fn the_lecture_semicolon_typo_is_explained_and_underlined() {
    let source = "User.create({ username : req.body.username ; password: req.body.password })";
    let error = parse(source).unwrap_err();
    expect![[r#"
        line 1, column 44: `;` cannot separate properties inside `{ }` — use `,`
          User.create({ username : req.body.username ; password: req.body.password })
                                                     ^
        hint: replace the `;` with `,`"#]]
    .assert_eq(&error.render(source));
    assert_eq!(error.span.start, source.find(';').unwrap());
}

#[test]
fn errors_render_on_their_own_line() {
    let source = "const User = mongoose.model(\"User\", userSchema);\nawait User.find({ name: \"ada\" age: 36 });\n";
    let error = parse(source).unwrap_err();
    expect![[r#"
        line 2, column 31: missing `,` between properties
          await User.find({ name: "ada" age: 36 });
                                        ^^^
        hint: add `,` after the previous value"#]]
    .assert_eq(&error.render(source));
    let source = "await User.find({\n  name: \"ada\",\n  age: 36\n";
    let error = parse(source).unwrap_err();
    expect![[r#"
        line 1, column 17: this `{` is never closed
          await User.find({
                          ^
        hint: add the missing `}`"#]]
    .assert_eq(&error.render(source));
}
