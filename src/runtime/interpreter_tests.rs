//! Unit tests of the interpreter, one per construct family, as expect-tests: each program runs in one world and
//! its transcript (every statement, its value or error, its console lines) must equal the expectation.
//! `UPDATE_EXPECT=1 cargo test --lib interpreter_tests` re-records them; review the diff.

use crate::runtime::transcript::{run_script, RunOptions};
use expect_test::{expect, Expect};

fn check(source: &str, expected: Expect) {
    let options = RunOptions { deterministic: true, mirror: false, calls: false };
    expected.assert_eq(&run_script(source, options).unwrap_or_else(|error| error));
}

#[test]
fn functions_closures_and_defaults() {
    check(
        r#"const add = (a, b = 10) => a + b
function counter() { let n = 0; return () => ++n }
const next = counter()
next(); next()
add(1)
const sum = (...xs) => xs.reduce((a, b) => a + b, 0)
sum(1, 2, 3)
const named = function twice(x) { return x * 2 }
named.name
;[1, 2, 3].map((x) => x * 2)
async function later() { return 5 }
await later()"#,
        expect![[r#"
            > const add = (a, b = 10) => a + b
            > function counter() { let n = 0; return () => ++n }
            > const next = counter()
            > next();
            1
            > next()
            2
            > add(1)
            11
            > const sum = (...xs) => xs.reduce((a, b) => a + b, 0)
            > sum(1, 2, 3)
            6
            > const named = function twice(x) { return x * 2 }
            > named.name
              ;
            'twice'
            > [1, 2, 3].map((x) => x * 2)
            [ 2, 4, 6 ]
            > async function later() { return 5 }
            > await later()
            5"#]],
    );
}

#[test]
fn statements_and_loops() {
    check(
        r#"let out = []
for (let i = 0; i < 5; i++) { if (i === 1) continue; if (i === 4) break; out.push(i) }
out
for (const [k, v] of Object.entries({ a: 1, b: 2 })) { out.push(`${k}=${v}`) }
for (const key in { x: 1, y: 2 }) out.push(key)
out
let n = 0
while (n < 3) n++
do { n += 10 } while (n < 5)
n
function kind(x) { switch (typeof x) { case "number": return "n"; case "string": return "s"; default: return "?" } }
;[kind(1), kind("a"), kind(null)]"#,
        expect![[r#"
            > let out = []
            > for (let i = 0; i < 5; i++) { if (i === 1) continue; if (i === 4) break; out.push(i) }
            > out
            [ 0, 2, 3 ]
            > for (const [k, v] of Object.entries({ a: 1, b: 2 })) { out.push(`${k}=${v}`) }
            > for (const key in { x: 1, y: 2 }) out.push(key)
            > out
            [ 0, 2, 3, 'a=1', 'b=2', 'x', 'y' ]
            > let n = 0
            > while (n < 3) n++
            > do { n += 10 } while (n < 5)
            > n
            13
            > function kind(x) { switch (typeof x) { case "number": return "n"; case "string": return "s"; default: return "?" } }
            > ;
            > [kind(1), kind("a"), kind(null)]
            [ 'n', 's', '?' ]"#]],
    );
}

#[test]
fn destructuring_spread_and_operators() {
    check(
        r#"const { username, password = "none", ...rest } = { username: "ada", age: 36, city: "London" }
;[username, password, rest]
const [first, , third = 3, ...others] = [1, 2, undefined, 4, 5]
;[first, third, others]
const doc = { a: 1, b: { c: 2 } }
;({ ...doc, a: 9 })
;[...[1, 2], 3]
Math.max(...[4, 8, 2])
doc.b?.c ?? "none"
doc.x?.y ?? "none"
let total = 5
total += 2; total *= 3; total **= 2
total
"a" in doc
2 ** 3 ** 2
typeof undeclaredName"#,
        expect![[r#"
            > const { username, password = "none", ...rest } = { username: "ada", age: 36, city: "London" }
              ;
            > [username, password, rest]
            [ 'ada', 'none', { age: 36, city: 'London' } ]
            > const [first, , third = 3, ...others] = [1, 2, undefined, 4, 5]
              ;
            > [first, third, others]
            [ 1, 3, [ 4, 5 ] ]
            > const doc = { a: 1, b: { c: 2 } }
              ;
            > ({ ...doc, a: 9 })
              ;
            { a: 9, b: { c: 2 } }
            > [...[1, 2], 3]
            [ 1, 2, 3 ]
            > Math.max(...[4, 8, 2])
            8
            > doc.b?.c ?? "none"
            2
            > doc.x?.y ?? "none"
            'none'
            > let total = 5
            > total += 2;
            7
            > total *= 3;
            21
            > total **= 2
            441
            > total
            441
            > "a" in doc
            true
            > 2 ** 3 ** 2
            512
            > typeof undeclaredName
            'undefined'"#]],
    );
}

#[test]
fn errors_as_node_reports_them() {
    check(
        r#"const k = 1
k = 2
notDeclared + 1
null.name
const users = []
users.mapp((u) => u)
try { throw new Error("boom") } catch (e) { console.log(e.name, e.message) } finally { console.log("done") }
try { JSON.parse("{") } catch (e) { e.name }"#,
        expect![[r#"
            > const k = 1
            > k = 2
            error at 2:1: TypeError: Assignment to constant variable.
            hint: `k` was declared with `const`; declare it with `let` to change it.
            > notDeclared + 1
            error at 3:1: ReferenceError: notDeclared is not defined
            hint: Declare it first with `const`.
            > null.name
            error at 4:6: TypeError: Cannot read properties of null (reading 'name')
            hint: The value before the `.` is empty: a findOne/findById that found nothing returns null. Check it first, e.g. if (user) { … }.
            > const users = []
            > users.mapp((u) => u)
            error at 6:7: TypeError: users.mapp is not a function
            hint: Arrays have `map`.
            > try { throw new Error("boom") } catch (e) { console.log(e.name, e.message) } finally { console.log("done") }
            Error boom
            done
            > try { JSON.parse("{") } catch (e) { e.name }"#]],
    );
    check(
        "class Foo {}",
        expect![[r#"
        line 1, column 1: classes are not supported in crudlab's shell
          class Foo {}
          ^^^^^"#]],
    );
}

#[test]
fn the_standard_library_students_use() {
    check(
        r#""  Ada Lovelace ".trim().toLowerCase().split(" ")
"ada".padStart(5, "*") + "|" + "ada".replace(/a/g, "A") + "|" + "abc".slice(-2)
;[3, 1, 2].sort((a, b) => b - a)
;[1, 2, 3, 4].filter((x) => x % 2 === 0).concat([9]).join("-")
;[{ n: 1 }, { n: 2 }].find((o) => o.n === 2)
;[1, 2, 3].some((x) => x > 2) && [1, 2, 3].every((x) => x > 0)
Object.keys({ a: 1, b: 2 }).length + Object.values({ a: 1 })[0]
Object.assign({}, { a: 1 }, { b: 2 })
Number("42") + parseInt("7px") + parseFloat("1.5")
;[isNaN("x"), String(12), Boolean("")]
JSON.stringify({ a: [1, "b"], c: undefined })
new Date(Date.UTC(2024, 0, 15)).toISOString()
Math.round(2.5) + Math.floor(-1.5)
await Promise.all([Promise.resolve(1), 2])"#,
        expect![[r#"
            > "  Ada Lovelace ".trim().toLowerCase().split(" ")
            [ 'ada', 'lovelace' ]
            > "ada".padStart(5, "*") + "|" + "ada".replace(/a/g, "A") + "|" + "abc".slice(-2)
              ;
            '**ada|AdA|bc'
            > [3, 1, 2].sort((a, b) => b - a)
              ;
            [ 3, 2, 1 ]
            > [1, 2, 3, 4].filter((x) => x % 2 === 0).concat([9]).join("-")
              ;
            '2-4-9'
            > [{ n: 1 }, { n: 2 }].find((o) => o.n === 2)
              ;
            { n: 2 }
            > [1, 2, 3].some((x) => x > 2) && [1, 2, 3].every((x) => x > 0)
            true
            > Object.keys({ a: 1, b: 2 }).length + Object.values({ a: 1 })[0]
            3
            > Object.assign({}, { a: 1 }, { b: 2 })
            { a: 1, b: 2 }
            > Number("42") + parseInt("7px") + parseFloat("1.5")
              ;
            50.5
            > [isNaN("x"), String(12), Boolean("")]
            [ true, '12', false ]
            > JSON.stringify({ a: [1, "b"], c: undefined })
            '{"a":[1,"b"]}'
            > new Date(Date.UTC(2024, 0, 15)).toISOString()
            '2024-01-15T00:00:00.000Z'
            > Math.round(2.5) + Math.floor(-1.5)
            1
            > await Promise.all([Promise.resolve(1), 2])
            [ 1, 2 ]"#]],
    );
}

#[test]
fn runaway_programs_stop() {
    check(
        r#"while (true) {}
const deep = (n) => deep(n + 1)
deep(0)
"x".repeat(20000000)"#,
        expect![[r#"
            > while (true) {}
            error at 1:1: StepLimitError: this statement ran 1000000 steps without finishing and was stopped
            hint: The loop at line 1 never ended: check that its condition becomes false (or that it reaches `break`). Nothing it wrote to the database was kept.
            > const deep = (n) => deep(n + 1)
            > deep(0)
            error at 2:21: RangeError: Maximum call stack size exceeded
            hint: Functions called each other more than 64 levels deep: a recursive function may never reach its base case.
            > "x".repeat(20000000)
            error at 4:5: RangeError: Invalid string length
            hint: crudlab stops strings at 10000000 characters so the page stays responsive; a loop may be adding text without end."#]],
    );
}
