//! A one-line SQL equivalent of simple driver calls (`db.users.find({ age: { $gt: 18 } })` →
//! `SELECT * FROM users WHERE age > 18;`), as a bridge to the SQL and Prisma the lecture points to next.
//! Calls with no honest one-line equivalent (regexes, array operators, nested documents) get none.

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
            let mut limit = (call.method == DriverMethod::FindOne).then_some(1);
            for (step, step_args) in &call.chain {
                match (step, step_args.first()) {
                    (CursorMethod::Sort, Some(Bson::Document(sort))) => {
                        let order: Vec<String> = sort
                            .iter()
                            .map(|(k, v)| number(v).map(|n| format!("{k}{}", if n < 0.0 { " DESC" } else { "" })))
                            .collect::<Option<_>>()?;
                        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
                    }
                    (CursorMethod::Limit, Some(n)) => limit = Some(number(n)? as i64),
                    (CursorMethod::Skip, Some(n)) => sql.push_str(&format!(" OFFSET {}", number(n)? as i64)),
                    (CursorMethod::ToArray | CursorMethod::Pretty, _) => {}
                    _ => return None,
                }
            }
            if let Some(limit) = limit.filter(|l| *l > 0) {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
            sql
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

fn number(value: &Bson) -> Option<f64> {
    crate::engine::value::as_f64(value)
}

fn literal(value: &Bson) -> Option<String> {
    Some(match value {
        Bson::String(s) => format!("'{}'", s.replace('\'', "''")),
        Bson::Int32(_) | Bson::Int64(_) | Bson::Double(_) => format_inline(value),
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

fn column(key: &str) -> Option<String> {
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
    let mut parts = Vec::new();
    for (key, value) in filter {
        match key.as_str() {
            "$and" | "$or" => {
                let Bson::Array(items) = value else { return None };
                let inner: Vec<String> = items
                    .iter()
                    .map(|item| item.as_document().and_then(condition).map(|c| format!("({c})")))
                    .collect::<Option<_>>()?;
                parts.push(inner.join(if key == "$and" { " AND " } else { " OR " }));
            }
            _ => {
                let field = column(key)?;
                match value {
                    Bson::Document(ops) if ops.keys().next().is_some_and(|k| k.starts_with('$')) => {
                        for (op, operand) in ops {
                            let sql = match op.as_str() {
                                "$eq" if *operand == Bson::Null => format!("{field} IS NULL"),
                                "$ne" if *operand == Bson::Null => format!("{field} IS NOT NULL"),
                                "$eq" => format!("{field} = {}", literal(operand)?),
                                "$ne" => format!("{field} <> {}", literal(operand)?),
                                "$gt" => format!("{field} > {}", literal(operand)?),
                                "$gte" => format!("{field} >= {}", literal(operand)?),
                                "$lt" => format!("{field} < {}", literal(operand)?),
                                "$lte" => format!("{field} <= {}", literal(operand)?),
                                "$in" | "$nin" => {
                                    let Bson::Array(items) = operand else { return None };
                                    let list: Vec<String> = items.iter().map(literal).collect::<Option<_>>()?;
                                    let not = if op == "$nin" { "NOT " } else { "" };
                                    format!("{field} {not}IN ({})", list.join(", "))
                                }
                                "$exists" => {
                                    format!(
                                        "{field} IS {}NULL",
                                        if *operand == Bson::Boolean(true) { "NOT " } else { "" }
                                    )
                                }
                                _ => return None,
                            };
                            parts.push(sql);
                        }
                    }
                    Bson::Null => parts.push(format!("{field} IS NULL")),
                    other => parts.push(format!("{field} = {}", literal(other)?)),
                }
            }
        }
    }
    Some(parts.join(" AND "))
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
        ];
        for (call, expected) in cases {
            assert_eq!(sql_for(&call).as_deref(), expected, "{call}");
        }
    }
}
