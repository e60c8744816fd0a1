//! A one-line SQL equivalent of simple driver calls (`db.users.find({ age: { $gt: 18 } })` →
//! `SELECT * FROM users WHERE age > 18;`), as a bridge to the SQL and Prisma the lecture points to next.
//! Calls with no honest one-line equivalent (regexes, array operators, nested documents) get none; pipelines are
//! `pipeline_sql.rs`'s.

use crate::js::mongosh_format::format_inline;
use crate::runtime::calls::{CursorMethod, DriverCall, DriverMethod};
use bson::{Bson, Document};

/// The SQL a relational database would run for this driver call, if there is a simple one.
pub fn sql_for(call: &DriverCall) -> Option<String> {
    let table = &call.collection;
    let args = &call.args;
    let document = |index: usize| match args.get(index) {
        Some(Bson::Document(doc)) => Some(doc.clone()),
        None => Some(Document::new()),
        _ => None,
    };
    let where_clause = |filter: &Document| -> Option<String> {
        let condition = condition(filter)?;
        Some(if condition.is_empty() { String::new() } else { format!(" WHERE {condition}") })
    };
    let sql = match call.method {
        DriverMethod::Find | DriverMethod::FindOne => {
            let filter = document(0)?;
            let columns = columns(&document(1)?)?;
            let mut sql = format!("SELECT {columns} FROM {table}{}", where_clause(&filter)?);
            // A cursor applies its sort, then its skip, then its limit, whatever order the chain names them in.
            let mut order = None;
            let mut limit = (call.method == DriverMethod::FindOne).then_some(1);
            let mut offset = None;
            for (step, step_args) in &call.chain {
                match (step, step_args.first()) {
                    (CursorMethod::Sort, Some(Bson::Document(sort))) => {
                        let keys: Vec<String> = sort
                            .iter()
                            .map(|(k, v)| number(v).map(|n| format!("{k}{}", if n < 0.0 { " DESC" } else { "" })))
                            .collect::<Option<_>>()?;
                        order = (!keys.is_empty()).then(|| keys.join(", "));
                    }
                    // A negative limit is a single batch of that many documents: still at most that many.
                    (CursorMethod::Limit, Some(n)) => limit = Some((number(n)? as i64).abs()),
                    (CursorMethod::Skip, Some(n)) => offset = Some(number(n)? as i64),
                    (CursorMethod::ToArray | CursorMethod::Pretty, _) => {}
                    _ => return None,
                }
            }
            if let Some(order) = order {
                sql.push_str(&format!(" ORDER BY {order}"));
            }
            if let Some(limit) = limit.filter(|l| *l > 0) {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
            if let Some(offset) = offset.filter(|o| *o > 0) {
                sql.push_str(&format!(" OFFSET {offset}"));
            }
            sql
        }
        DriverMethod::Aggregate => {
            // explain() asks for the plan, and a collation would change how strings compare: no plain SQL then.
            let harmless = |options: &Document| {
                options.keys().all(|key| matches!(key.as_str(), "allowDiskUse" | "maxTimeMS" | "comment" | "batchSize"))
            };
            let options_change_nothing = match args.get(1) {
                None | Some(Bson::Undefined) => true,
                Some(Bson::Document(options)) => harmless(options),
                Some(_) => false,
            };
            if !call.chain.is_empty() || !options_change_nothing {
                return None;
            }
            // mongosh's `aggregate(stage, stage, ...)` reaches here as one array too (the world gathers them).
            let Some(Bson::Array(stages)) = args.first() else { return None };
            return super::pipeline_sql::pipeline_sql(table, stages);
        }
        DriverMethod::CountDocuments => format!("SELECT COUNT(*) FROM {table}{}", where_clause(&document(0)?)?),
        DriverMethod::InsertOne => insert(table, &[document(0)?])?,
        DriverMethod::InsertMany => match args.first() {
            Some(Bson::Array(items)) => {
                let docs: Vec<Document> = items.iter().map(|i| i.as_document().cloned()).collect::<Option<_>>()?;
                insert(table, &docs)?
            }
            _ => return None,
        },
        DriverMethod::UpdateOne | DriverMethod::UpdateMany => {
            let assignments = assignments(&document(1)?)?;
            let limit = if call.method == DriverMethod::UpdateOne { " LIMIT 1" } else { "" };
            format!("UPDATE {table} SET {assignments}{}{limit}", where_clause(&document(0)?)?)
        }
        DriverMethod::DeleteOne | DriverMethod::DeleteMany => {
            let limit = if call.method == DriverMethod::DeleteOne { " LIMIT 1" } else { "" };
            format!("DELETE FROM {table}{}{limit}", where_clause(&document(0)?)?)
        }
        _ => return None,
    };
    Some(format!("{sql};"))
}

pub(super) fn number(value: &Bson) -> Option<f64> {
    crate::engine::value::as_f64(value)
}

pub(super) fn literal(value: &Bson) -> Option<String> {
    Some(match value {
        Bson::String(s) => format!("'{}'", s.replace('\'', "''")),
        Bson::Int32(i) => i.to_string(),
        // mongosh prints a long as `Long('5')`; SQL has only the number.
        Bson::Int64(i) => i.to_string(),
        Bson::Double(d) if d.is_finite() => format_inline(value),
        Bson::Boolean(b) => b.to_string().to_uppercase(),
        Bson::Null => "NULL".to_string(),
        Bson::ObjectId(oid) => format!("'{}'", oid.to_hex()),
        Bson::DateTime(_) => format!(
            "'{}'",
            format_inline(value).trim_start_matches("ISODate(").trim_end_matches(')').trim_matches('\'')
        ),
        _ => return None,
    })
}

pub(super) fn column(key: &str) -> Option<String> {
    // Dotted paths are nested documents: a table would need a join or a JSON column, not a one-liner.
    (!key.contains('.') && !key.starts_with('$')).then(|| key.to_string())
}

fn columns(projection: &Document) -> Option<String> {
    let included: Vec<String> = projection
        .iter()
        .filter(|(_, v)| number(v).is_some_and(|n| n != 0.0) || **v == Bson::Boolean(true))
        .map(|(k, _)| column(k))
        .collect::<Option<_>>()?;
    let excluded = projection.iter().any(|(k, v)| k != "_id" && (number(v) == Some(0.0) || *v == Bson::Boolean(false)));
    if excluded {
        return None;
    }
    Some(if included.is_empty() { "*".to_string() } else { included.join(", ") })
}

fn condition(filter: &Document) -> Option<String> {
    Some(all_of(&conditions_with(filter, &column)?))
}

/// One condition of a WHERE or HAVING. A disjunction (`a = 1 OR b = 2`) needs parentheses once it is ANDed with
/// others, since AND binds tighter than OR.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Condition {
    text: String,
    disjunction: bool,
}

impl Condition {
    fn plain(text: String) -> Self {
        Condition { text, disjunction: false }
    }
}

/// The conditions ANDed together (empty when there are none).
pub(super) fn all_of(parts: &[Condition]) -> String {
    let parenthesize = parts.len() > 1;
    let texts: Vec<String> = parts
        .iter()
        .map(|part| if parenthesize && part.disjunction { format!("({})", part.text) } else { part.text.clone() })
        .collect();
    texts.join(" AND ")
}

/// A filter's conditions, each field named in SQL by `resolve` (`None`: the field has no column to name).
pub(super) fn conditions_with(filter: &Document, resolve: &dyn Fn(&str) -> Option<String>) -> Option<Vec<Condition>> {
    let mut parts = Vec::new();
    for (key, value) in filter {
        match key.as_str() {
            "$and" | "$or" => {
                let Bson::Array(items) = value else { return None };
                let inner: Vec<String> = items
                    .iter()
                    .map(|item| {
                        let conditions = conditions_with(item.as_document()?, resolve)?;
                        Some(format!("({})", all_of(&conditions)))
                    })
                    .collect::<Option<_>>()?;
                if inner.is_empty() {
                    return None;
                }
                let disjunction = key == "$or" && inner.len() > 1;
                parts.push(Condition { text: inner.join(if key == "$and" { " AND " } else { " OR " }), disjunction });
            }
            _ => {
                let field = resolve(key)?;
                match value {
                    Bson::Document(ops) if ops.keys().next().is_some_and(|k| k.starts_with('$')) => {
                        for (op, operand) in ops {
                            // SQL compares with NULL as unknown, MongoDB matches null and missing fields: only
                            // equality says the same thing in both.
                            if *operand == Bson::Null && !matches!(op.as_str(), "$eq" | "$ne" | "$exists") {
                                return None;
                            }
                            let sql = match op.as_str() {
                                "$eq" if *operand == Bson::Null => format!("{field} IS NULL"),
                                "$ne" if *operand == Bson::Null => format!("{field} IS NOT NULL"),
                                "$eq" => format!("{field} = {}", literal(operand)?),
                                // `$ne` and `$nin` match documents without the field too; `<>` alone would not.
                                "$ne" => format!("({field} <> {} OR {field} IS NULL)", literal(operand)?),
                                "$gt" => format!("{field} > {}", literal(operand)?),
                                "$gte" => format!("{field} >= {}", literal(operand)?),
                                "$lt" => format!("{field} < {}", literal(operand)?),
                                "$lte" => format!("{field} <= {}", literal(operand)?),
                                "$in" | "$nin" => {
                                    let Bson::Array(items) = operand else { return None };
                                    // `IN (NULL)` matches nothing in SQL; `$in: [null]` matches missing fields.
                                    let list: Vec<String> = items
                                        .iter()
                                        .map(|item| if *item == Bson::Null { None } else { literal(item) })
                                        .collect::<Option<_>>()?;
                                    if list.is_empty() {
                                        return None;
                                    }
                                    if op == "$nin" {
                                        format!("({field} NOT IN ({}) OR {field} IS NULL)", list.join(", "))
                                    } else {
                                        format!("{field} IN ({})", list.join(", "))
                                    }
                                }
                                "$exists" => {
                                    format!(
                                        "{field} IS {}NULL",
                                        if *operand == Bson::Boolean(true) { "NOT " } else { "" }
                                    )
                                }
                                _ => return None,
                            };
                            parts.push(Condition::plain(sql));
                        }
                    }
                    Bson::Null => parts.push(Condition::plain(format!("{field} IS NULL"))),
                    other => parts.push(Condition::plain(format!("{field} = {}", literal(other)?))),
                }
            }
        }
    }
    Some(parts)
}

fn insert(table: &str, docs: &[Document]) -> Option<String> {
    let first = docs.first()?;
    let keys: Vec<&String> = first.keys().collect();
    let mut rows = Vec::new();
    for doc in docs {
        if doc.keys().collect::<Vec<_>>() != keys {
            return None;
        }
        let values: Vec<String> = doc.values().map(literal).collect::<Option<_>>()?;
        rows.push(format!("({})", values.join(", ")));
    }
    let columns: Vec<String> = keys.iter().map(|k| column(k)).collect::<Option<_>>()?;
    Some(format!("INSERT INTO {table} ({}) VALUES {}", columns.join(", "), rows.join(", ")))
}

fn assignments(update: &Document) -> Option<String> {
    let mut parts = Vec::new();
    for (op, fields) in update {
        let Bson::Document(fields) = fields else { return None };
        for (key, value) in fields {
            let field = column(key)?;
            parts.push(match op.as_str() {
                "$set" => format!("{field} = {}", literal(value)?),
                "$inc" => format!("{field} = {field} + {}", literal(value)?),
                "$mul" => format!("{field} = {field} * {}", literal(value)?),
                "$unset" => format!("{field} = NULL"),
                _ => return None,
            });
        }
    }
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    fn call(method: DriverMethod, args: Vec<Bson>) -> DriverCall {
        DriverCall::new("users", method, args)
    }

    #[test]
    fn simple_calls_have_one_line_sql() {
        use DriverMethod::*;
        let cases = [
            (call(Find, vec![bson!({"age": {"$gt": 18}})]), Some("SELECT * FROM users WHERE age > 18;")),
            (call(Find, vec![bson!({})]), Some("SELECT * FROM users;")),
            (
                call(Find, vec![bson!({"premium": true, "age": {"$gte": 18, "$lt": 65}}), bson!({"username": 1})])
                    .then(CursorMethod::Sort, vec![bson!({"age": -1})])
                    .then(CursorMethod::Limit, vec![Bson::Int32(10)]),
                Some("SELECT username FROM users WHERE premium = TRUE AND age >= 18 AND age < 65 ORDER BY age DESC LIMIT 10;"),
            ),
            (call(FindOne, vec![bson!({"username": "ada"})]), Some("SELECT * FROM users WHERE username = 'ada' LIMIT 1;")),
            (
                call(CountDocuments, vec![bson!({"$or": [{"a": 1}, {"b": null}]})]),
                Some("SELECT COUNT(*) FROM users WHERE (a = 1) OR (b IS NULL);"),
            ),
            (
                call(InsertOne, vec![bson!({"username": "o'brien", "age": 3})]),
                Some("INSERT INTO users (username, age) VALUES ('o''brien', 3);"),
            ),
            (call(UpdateMany, vec![bson!({}), bson!({"$set": {"premium": true}})]), Some("UPDATE users SET premium = TRUE;")),
            (
                call(UpdateOne, vec![bson!({"username": "ada"}), bson!({"$inc": {"age": 1}})]),
                Some("UPDATE users SET age = age + 1 WHERE username = 'ada' LIMIT 1;"),
            ),
            (call(DeleteMany, vec![bson!({"age": {"$in": [1, 2]}})]), Some("DELETE FROM users WHERE age IN (1, 2);")),
            (
                call(Find, vec![Bson::Document(bson::doc! {"name": bson::Regex { pattern: "^a".to_string().try_into().unwrap(), options: String::new().try_into().unwrap() }})]),
                None,
            ),
            (call(UpdateOne, vec![bson!({}), bson!({"$push": {"courses": 1}})]), None),
            (call(Find, vec![bson!({"profile.city": "Paris"})]), None),
            (call(Find, vec![bson!({})]).then(CursorMethod::Explain, vec![]), None),
            (call(CreateIndex, vec![bson!({"username": 1})]), None),
            // AND binds tighter than OR: a disjunction beside other conditions keeps its parentheses.
            (
                call(Find, vec![bson!({"premium": true, "$or": [{"a": 1}, {"b": 2}]})]),
                Some("SELECT * FROM users WHERE premium = TRUE AND ((a = 1) OR (b = 2));"),
            ),
            // `$ne` matches documents without the field; `<>` alone would drop their rows.
            (call(Find, vec![bson!({"age": {"$ne": 3}})]), Some("SELECT * FROM users WHERE (age <> 3 OR age IS NULL);")),
            (call(Find, vec![bson!({"age": Bson::Int64(5)})]), Some("SELECT * FROM users WHERE age = 5;")),
            // A cursor skips before it limits, in whichever order the chain names them.
            (
                call(Find, vec![bson!({})])
                    .then(CursorMethod::Limit, vec![Bson::Int32(10)])
                    .then(CursorMethod::Skip, vec![Bson::Int32(5)]),
                Some("SELECT * FROM users LIMIT 10 OFFSET 5;"),
            ),
            (
                call(Aggregate, vec![bson!([{"$match": {"age": {"$gt": 18}}}, {"$count": "adults"}])]),
                Some("SELECT COUNT(*) AS adults FROM users WHERE age > 18;"),
            ),
            (call(Aggregate, vec![bson!([]), bson!({"allowDiskUse": true})]), Some("SELECT * FROM users;")),
            // A collation changes how strings compare; explain() asks for the plan, not the rows.
            (call(Aggregate, vec![bson!([]), bson!({"collation": {"locale": "fr"}})]), None),
            (call(Aggregate, vec![bson!([])]).then(CursorMethod::Explain, vec![]), None),
            (call(Aggregate, vec![bson!({"$match": {}})]), None),
        ];
        for (call, expected) in cases {
            assert_eq!(sql_for(&call).as_deref(), expected, "{call}");
        }
    }
}
