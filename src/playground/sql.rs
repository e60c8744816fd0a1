//! A one-line SQL equivalent of simple driver calls (`db.users.find({ age: { $gt: 18 } })` →
//! `SELECT * FROM users WHERE age > 18;`), as a bridge to the SQL and Prisma the lecture points to next.
//! Calls with no honest one-line equivalent (regexes, array operators, nested documents) get none.

use crate::runtime::mongosh_format::format_inline;
use crate::shell::ast::{ChainStep, ExprKind};
use crate::shell::literal::{evaluate, Resolver};
use bson::{oid::ObjectId, Bson, DateTime, Document};

/// Literals in a call text never name variables; `new ObjectId()` cannot appear in a call that reached the database.
struct NoNames;

impl Resolver for NoNames {
    fn resolve_name(&self, _: &str) -> Option<Bson> {
        None
    }
    fn now(&self) -> DateTime {
        DateTime::from_millis(0)
    }
    fn new_object_id(&self) -> ObjectId {
        ObjectId::from_bytes([0; 12])
    }
}

/// The SQL a relational database would run for this driver call, if there is a simple one.
pub fn sql_for(call: &str) -> Option<String> {
    let expr = crate::shell::parser::parse_expression(call).ok()?;
    let (root, steps) = expr.chain();
    if !matches!(&root.kind, ExprKind::Ident(name) if name == "db") {
        return None;
    }
    let mut names = Vec::new();
    let mut calls: Vec<(String, Vec<Bson>)> = Vec::new();
    for item in steps {
        match item.step {
            ChainStep::Property { name, .. } => names.push(name.name.clone()),
            ChainStep::Call { args, .. } => {
                let method = names.pop()?;
                let values = args.iter().map(|a| evaluate(a, call, &NoNames)).collect::<Result<Vec<_>, _>>().ok()?;
                calls.push((method, values));
            }
            ChainStep::Index { .. } => return None,
        }
    }
    let table = names.first()?.clone();
    let (method, args) = calls.first()?.clone();
    let document = |index: usize| match args.get(index) {
        Some(Bson::Document(doc)) => Some(doc.clone()),
        None => Some(Document::new()),
        _ => None,
    };
    let where_clause = |filter: &Document| -> Option<String> {
        let condition = condition(filter)?;
        Some(if condition.is_empty() { String::new() } else { format!(" WHERE {condition}") })
    };
    let sql = match method.as_str() {
        "find" | "findOne" => {
            let filter = document(0)?;
            let columns = columns(&document(1)?)?;
            let mut sql = format!("SELECT {columns} FROM {table}{}", where_clause(&filter)?);
            let mut limit = (method == "findOne").then_some(1);
            for (name, chain_args) in calls.iter().skip(1) {
                match (name.as_str(), chain_args.first()) {
                    ("sort", Some(Bson::Document(sort))) => {
                        let order: Vec<String> = sort
                            .iter()
                            .map(|(k, v)| number(v).map(|n| format!("{k}{}", if n < 0.0 { " DESC" } else { "" })))
                            .collect::<Option<_>>()?;
                        sql.push_str(&format!(" ORDER BY {}", order.join(", ")));
                    }
                    ("limit", Some(n)) => limit = Some(number(n)? as i64),
                    ("skip", Some(n)) => sql.push_str(&format!(" OFFSET {}", number(n)? as i64)),
                    _ => return None,
                }
            }
            if let Some(limit) = limit.filter(|l| *l > 0) {
                sql.push_str(&format!(" LIMIT {limit}"));
            }
            sql
        }
        "countDocuments" => format!("SELECT COUNT(*) FROM {table}{}", where_clause(&document(0)?)?),
        "insertOne" => insert(&table, &[document(0)?])?,
        "insertMany" => match args.first() {
            Some(Bson::Array(items)) => {
                let docs: Vec<Document> = items.iter().map(|i| i.as_document().cloned()).collect::<Option<_>>()?;
                insert(&table, &docs)?
            }
            _ => return None,
        },
        "updateOne" | "updateMany" => {
            let assignments = assignments(&document(1)?)?;
            let limit = if method == "updateOne" { " LIMIT 1" } else { "" };
            format!("UPDATE {table} SET {assignments}{}{limit}", where_clause(&document(0)?)?)
        }
        "deleteOne" | "deleteMany" => {
            let limit = if method == "deleteOne" { " LIMIT 1" } else { "" };
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

    #[test]
    fn simple_calls_have_one_line_sql() {
        let cases = [
            ("db.users.find({ age: { $gt: 18 } })", Some("SELECT * FROM users WHERE age > 18;")),
            ("db.users.find({})", Some("SELECT * FROM users;")),
            (
                "db.users.find({ premium: true, age: { $gte: 18, $lt: 65 } }, { username: 1 }).sort({ age: -1 }).limit(10)",
                Some("SELECT username FROM users WHERE premium = TRUE AND age >= 18 AND age < 65 ORDER BY age DESC LIMIT 10;"),
            ),
            ("db.users.findOne({ username: 'ada' })", Some("SELECT * FROM users WHERE username = 'ada' LIMIT 1;")),
            ("db.users.countDocuments({ $or: [{ a: 1 }, { b: null }] })", Some("SELECT COUNT(*) FROM users WHERE (a = 1) OR (b IS NULL);")),
            (
                "db.users.insertOne({ username: \"o'brien\", age: 3 })",
                Some("INSERT INTO users (username, age) VALUES ('o''brien', 3);"),
            ),
            ("db.users.updateMany({}, { $set: { premium: true } })", Some("UPDATE users SET premium = TRUE;")),
            ("db.users.updateOne({ username: 'ada' }, { $inc: { age: 1 } })", Some("UPDATE users SET age = age + 1 WHERE username = 'ada' LIMIT 1;")),
            ("db.users.deleteMany({ age: { $in: [1, 2] } })", Some("DELETE FROM users WHERE age IN (1, 2);")),
            ("db.users.find({ name: /^a/ })", None),
            ("db.users.updateOne({}, { $push: { courses: 1 } })", None),
            ("db.users.find({ 'profile.city': 'Paris' })", None),
            ("User.find({})", None),
        ];
        for (call, expected) in cases {
            assert_eq!(sql_for(call).as_deref(), expected, "{call}");
        }
    }
}
