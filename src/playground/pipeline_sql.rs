//! The SQL an aggregation pipeline amounts to, when it has an honest one (`db.users.aggregate([{ $group: { _id:
//! "$city", n: { $sum: 1 } } }, { $sort: { n: -1 } }])` → `SELECT city AS _id, COUNT(*) AS n FROM users GROUP BY
//! city ORDER BY n DESC;`). SQL runs its clauses in a fixed order (FROM, WHERE, GROUP BY, HAVING, SELECT, ORDER BY,
//! LIMIT) while a pipeline runs its stages in the order written, so a stage that SQL would apply too early (a `$match`
//! after a `$limit`) starts a subquery. Stages SQL has no word for (`$unwind` of an array field, `$facet`, `$bucket`,
//! computed expressions) give no SQL at all: a line that meant something else would teach the wrong thing.
//!
//! Where the two still differ, the difference is the relational model's, and said here rather than hidden:
//! - a `$lookup` alone nests every match in one array field, while a join repeats the row once per match: the line
//!   ends with an SQL comment saying so. `$lookup` followed by `$unwind` of its field is exactly a join (an inner one,
//!   or a left one with `preserveNullAndEmptyArrays`), so it gets no comment;
//! - over no documents at all, `$group` with `_id: null` and `$count` return no document, while SQL's aggregate
//!   without GROUP BY returns one row (a count of 0); a `$sum` of a field no document holds is 0, SQL's SUM is NULL.

use super::sql::{all_of, column, conditions_with, number, Condition};
use bson::{Bson, Document};

/// The SQL line for `db.<table>.aggregate(stages)`, with its final `;` (and a comment when a `$lookup` nests), if
/// the pipeline has one.
pub(super) fn pipeline_sql(table: &str, stages: &[Bson]) -> Option<String> {
    let lookups = stages.iter().filter(|stage| matches!(stage, Bson::Document(d) if d.contains_key("$lookup"))).count();
    // One join keeps the note about nesting true; a second would multiply rows by both.
    if lookups > 1 {
        return None;
    }
    // With a join, every column is named with its table, so the WHERE written before the join stays unambiguous.
    let mut select = Select::from_table(table, lookups == 1);
    let mut subqueries = 0;
    for stage in stages {
        let Bson::Document(stage) = stage else { return None };
        let mut entries = stage.iter();
        let (Some((name, spec)), None) = (entries.next(), entries.next()) else { return None };
        if select.must_nest_before(name) {
            subqueries += 1;
            select = select.into_subquery(subqueries)?;
        }
        select.apply(name, spec)?;
    }
    select.line()
}

/// What a row holds after the stages so far.
#[derive(Debug, Clone, PartialEq)]
enum Columns {
    /// Every column of the source (`SELECT *`): a field is the column of its name.
    All,
    /// Only these fields, each with the SQL expression that computes it (`n` → `COUNT(*)`, `_id` → `city`).
    Listed(Vec<(String, String)>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum JoinKind {
    /// `$lookup` alone: the matches are nested in an array field; SQL repeats the row per match.
    Nested,
    /// `$lookup` then `$unwind`: one row per match, rows without a match dropped.
    Inner,
    /// `$lookup` then `$unwind` with `preserveNullAndEmptyArrays: true`: rows without a match kept.
    Left,
}

/// The table a `$lookup` joins: `table AS alias` (the alias is the `as` field), on `alias.foreign = base.local`.
#[derive(Debug, Clone)]
struct Join {
    table: String,
    alias: String,
    on: String,
    kind: JoinKind,
}

/// One key of an ORDER BY: the field the pipeline sorted on, and what it was in SQL at that point.
#[derive(Debug, Clone)]
struct SortKey {
    name: String,
    expression: String,
    descending: bool,
}

/// One SELECT statement, built from consecutive stages that SQL's clause order can express.
#[derive(Debug, Clone)]
struct Select {
    /// The table, or `(SELECT …) AS t1` for the stages before.
    from: String,
    /// The columns a subquery gives, by name (`None` for a table, whose columns are whatever it has).
    source: Option<Vec<String>>,
    /// The table name columns are qualified with when the query joins another one.
    qualifier: Option<String>,
    join: Option<Join>,
    /// Whether a `$project` ran since the join (an `$unwind` after it no longer unwinds the joined rows).
    projected: bool,
    conditions: Vec<Condition>,
    /// `None`: rows are documents; `Some(keys)`: rows are groups (no keys: one group of every row).
    group_by: Option<Vec<String>>,
    having: Vec<Condition>,
    columns: Columns,
    order: Vec<SortKey>,
    /// The rows come from a sorted subquery whose order this query cannot name (its sort field is gone).
    order_lost: bool,
    limit: Option<i64>,
    offset: i64,
}

impl Select {
    fn from_table(table: &str, qualified: bool) -> Self {
        Select {
            from: table.to_string(),
            source: None,
            qualifier: qualified.then(|| table.to_string()),
            join: None,
            projected: false,
            conditions: Vec::new(),
            group_by: None,
            having: Vec::new(),
            columns: Columns::All,
            order: Vec::new(),
            order_lost: false,
            limit: None,
            offset: 0,
        }
    }

    /// LIMIT and OFFSET come last in SQL: a filter, sort or grouping after them needs the limited rows as a
    /// subquery. A grouping of groups needs one too.
    fn must_nest_before(&self, stage: &str) -> bool {
        let limited = self.limit.is_some() || self.offset > 0;
        match stage {
            "$match" | "$sort" => limited,
            "$group" | "$count" => limited || self.group_by.is_some(),
            _ => false,
        }
    }

    /// The stages so far as a subquery, and a new SELECT over its rows. The subquery's sort carries over when the
    /// outer query can still name it (SQL keeps no order through a subquery unless asked again).
    fn into_subquery(self, number: usize) -> Option<Select> {
        // `SELECT *` over a join has two `_id` columns: no outer query could name them.
        if self.join.is_some() {
            return None;
        }
        let (columns, source) = match &self.columns {
            Columns::All => (Columns::All, None),
            Columns::Listed(list) => {
                let names: Vec<String> = list.iter().map(|(name, _)| column(name)).collect::<Option<_>>()?;
                (Columns::Listed(names.iter().map(|n| (n.clone(), n.clone())).collect()), Some(names))
            }
        };
        let mut order = Vec::new();
        let mut order_lost = self.order_lost;
        for key in &self.order {
            let visible = match &self.columns {
                Columns::All => key.expression == key.name,
                Columns::Listed(list) => list.iter().any(|(name, e)| *name == key.name && *e == key.expression),
            };
            if !visible {
                order.clear();
                order_lost = true;
                break;
            }
            order.push(SortKey { name: key.name.clone(), expression: key.name.clone(), descending: key.descending });
        }
        let inner = self.render(true)?;
        Some(Select {
            from: format!("({inner}) AS t{number}"),
            source,
            columns,
            order,
            order_lost,
            ..Select::from_table("", false)
        })
    }

    fn apply(&mut self, stage: &str, spec: &Bson) -> Option<()> {
        let nested = self.join.as_ref().is_some_and(|join| join.kind == JoinKind::Nested);
        match stage {
            "$match" => self.filter(spec.as_document()?),
            // Counting, grouping or limiting rows that a nesting `$lookup` repeated would count the repeats.
            "$group" | "$count" | "$limit" | "$skip" if nested => None,
            "$group" => self.group(spec.as_document()?),
            "$count" => self.count(spec.as_str()?),
            "$sort" => self.sort(spec.as_document()?),
            "$limit" => {
                let n = whole_number(spec).filter(|n| *n > 0)?;
                self.limit = Some(self.limit.map_or(n, |limit| limit.min(n)));
                Some(())
            }
            // SQL skips before it limits: a skip after a limit shortens the limit.
            "$skip" => {
                let n = whole_number(spec).filter(|n| *n >= 0)?;
                self.offset = self.offset.saturating_add(n);
                self.limit = self.limit.map(|limit| (limit - n).max(0));
                Some(())
            }
            "$project" => self.project(spec.as_document()?),
            "$lookup" => self.lookup(spec.as_document()?),
            "$unwind" => self.unwind(spec),
            _ => None,
        }
    }

    /// A field as SQL names it here: its column, or what the stages before computed for it. `None` when there is
    /// nothing to name (a field a projection left out, a nested path) or when naming it would mean something else.
    fn field(&self, path: &str, in_projection: bool) -> Option<String> {
        let expression = match (&self.columns, &self.join) {
            (Columns::Listed(list), _) => list.iter().find(|(name, _)| name == path).map(|(_, e)| e.clone())?,
            (Columns::All, Some(join)) if path == join.alias => {
                if !in_projection {
                    return None;
                }
                format!("{}.*", join.alias)
            }
            (Columns::All, Some(join)) => match path.strip_prefix(&format!("{}.", join.alias)) {
                Some(rest) => format!("{}.{}", join.alias, column(rest)?),
                None => self.qualified(&column(path)?),
            },
            (Columns::All, None) => self.qualified(&column(path)?),
        };
        // While `$lookup` nests its matches, a condition or a sort on them means "any match" in MongoDB and "this
        // row's match" in SQL.
        if !in_projection && self.nested_alias().is_some_and(|alias| expression.starts_with(&format!("{alias}."))) {
            return None;
        }
        Some(expression)
    }

    /// `"$city"`: the field it refers to. Variables (`"$$ROOT"`) and literals have no column.
    fn reference(&self, text: &str, in_projection: bool) -> Option<String> {
        let path = text.strip_prefix('$').filter(|path| !path.starts_with('$'))?;
        self.field(path, in_projection)
    }

    fn qualified(&self, column: &str) -> String {
        match &self.qualifier {
            Some(table) => format!("{table}.{column}"),
            None => column.to_string(),
        }
    }

    fn nested_alias(&self) -> Option<&str> {
        self.join.as_ref().filter(|join| join.kind == JoinKind::Nested).map(|join| join.alias.as_str())
    }

    /// `$match`: WHERE on rows, HAVING on groups.
    fn filter(&mut self, filter: &Document) -> Option<()> {
        let conditions = conditions_with(filter, &|path| self.field(path, false))?;
        if self.group_by.is_some() {
            self.having.extend(conditions);
        } else {
            self.conditions.extend(conditions);
        }
        Some(())
    }

    /// `$group`: `_id: null` (one group of everything) or `_id: "$field"`, with COUNT, SUM, AVG, MIN and MAX.
    fn group(&mut self, spec: &Document) -> Option<()> {
        let mut keys = Vec::new();
        let mut columns = Vec::new();
        match spec.get("_id")? {
            Bson::Null => {}
            Bson::String(reference) => {
                let key = self.reference(reference, false)?;
                keys.push(key.clone());
                columns.push(("_id".to_string(), key));
            }
            // A compound `_id` is a nested document; SQL's columns are flat.
            _ => return None,
        }
        for (name, accumulator) in spec.iter().filter(|(name, _)| *name != "_id") {
            column(name)?;
            columns.push((name.clone(), self.aggregate(accumulator)?));
        }
        self.group_by = Some(keys);
        self.columns = Columns::Listed(columns);
        // MongoDB gives groups in no particular order, nor does SQL: a sort before the grouping is gone.
        self.order.clear();
        self.order_lost = false;
        Some(())
    }

    /// One accumulator of a `$group` as an SQL aggregate.
    fn aggregate(&self, accumulator: &Bson) -> Option<String> {
        let Bson::Document(accumulator) = accumulator else { return None };
        let mut entries = accumulator.iter();
        let (Some((operator, argument)), None) = (entries.next(), entries.next()) else { return None };
        match (operator.as_str(), argument) {
            ("$sum", one) if number(one) == Some(1.0) => Some("COUNT(*)".to_string()),
            ("$count", Bson::Document(options)) if options.is_empty() => Some("COUNT(*)".to_string()),
            ("$sum" | "$avg" | "$min" | "$max", Bson::String(reference)) => {
                let function = operator.trim_start_matches('$').to_uppercase();
                Some(format!("{function}({})", self.reference(reference, false)?))
            }
            _ => None,
        }
    }

    /// `$count: "name"`: one row, the number of rows.
    fn count(&mut self, name: &str) -> Option<()> {
        let name = column(name).filter(|name| !name.is_empty())?;
        self.group_by = Some(Vec::new());
        self.columns = Columns::Listed(vec![(name, "COUNT(*)".to_string())]);
        self.order.clear();
        self.order_lost = false;
        Some(())
    }

    /// `$sort`: replaces any sort before it (MongoDB keeps no order among equal keys either).
    fn sort(&mut self, spec: &Document) -> Option<()> {
        let keys: Vec<SortKey> = spec
            .iter()
            .map(|(name, direction)| {
                let direction = number(direction)?;
                if direction != 1.0 && direction != -1.0 {
                    return None;
                }
                let descending = direction < 0.0;
                Some(SortKey { name: name.clone(), expression: self.field(name, false)?, descending })
            })
            .collect::<Option<_>>()?;
        if keys.is_empty() {
            return None;
        }
        self.order = keys;
        self.order_lost = false;
        Some(())
    }

    /// `$project`: the fields kept (`1`), renamed from another field (`"$city"`) or, over known columns, left out
    /// (`0`). SQL cannot say "every column but this one" of a table.
    fn project(&mut self, spec: &Document) -> Option<()> {
        let inclusion = |value: &Bson| number(value).is_some_and(|n| n != 0.0) || *value == Bson::Boolean(true);
        let exclusion = |value: &Bson| number(value) == Some(0.0) || *value == Bson::Boolean(false);
        if spec.is_empty() {
            return None;
        }
        // `{ _id: 0 }` alone, or any other field left out, makes an exclusion projection.
        if spec.values().all(exclusion) || spec.iter().any(|(name, value)| name != "_id" && exclusion(value)) {
            let Columns::Listed(list) = &self.columns else { return None };
            if !spec.values().all(exclusion) || spec.keys().any(|name| name.contains('.')) {
                return None;
            }
            let kept = list.iter().filter(|(name, _)| !spec.contains_key(name)).cloned().collect();
            self.columns = Columns::Listed(kept);
            self.projected = true;
            return Some(());
        }
        let mut kept = Vec::new();
        // `_id` comes first and stays unless the projection leaves it out, as in MongoDB.
        match spec.get("_id") {
            Some(value) if exclusion(value) => {}
            None => kept.extend(self.kept("_id")?),
            Some(value) if inclusion(value) => kept.extend(self.kept("_id")?),
            Some(Bson::String(reference)) => kept.push(("_id".to_string(), self.reference(reference, true)?)),
            Some(_) => return None,
        }
        for (name, value) in spec.iter().filter(|(name, _)| *name != "_id") {
            match value {
                value if inclusion(value) => kept.extend(self.kept(name)?),
                Bson::String(reference) => kept.push((column(name)?, self.reference(reference, true)?)),
                _ => return None,
            }
        }
        self.columns = Columns::Listed(kept);
        self.projected = true;
        Some(())
    }

    /// A field a projection keeps: `Some(None)` when the rows do not have it (MongoDB leaves it out), `None` when
    /// SQL cannot name it.
    fn kept(&self, name: &str) -> Option<Option<(String, String)>> {
        if let Columns::Listed(list) = &self.columns {
            if !name.contains('.') && !list.iter().any(|(listed, _)| listed == name) {
                return Some(None);
            }
        }
        Some(Some((name.to_string(), self.field(name, true)?)))
    }

    /// `$lookup` with `localField` / `foreignField`: a join, on the table itself, before anything but filters and
    /// sorts (which a join does not change).
    fn lookup(&mut self, spec: &Document) -> Option<()> {
        let base = self.qualifier.clone()?;
        if self.join.is_some()
            || self.group_by.is_some()
            || self.columns != Columns::All
            || self.limit.is_some()
            || self.offset > 0
        {
            return None;
        }
        if spec.len() != 4 {
            return None;
        }
        let text = |key: &str| spec.get_str(key).ok().and_then(column);
        let (table, local, foreign, alias) = (text("from")?, text("localField")?, text("foreignField")?, text("as")?);
        if alias == base {
            return None;
        }
        let on = format!("{alias}.{foreign} = {base}.{local}");
        self.join = Some(Join { table, alias, on, kind: JoinKind::Nested });
        Some(())
    }

    /// `$unwind` of the field a `$lookup` just filled: one row per match, which is what a join gives.
    fn unwind(&mut self, spec: &Bson) -> Option<()> {
        let join = self.join.as_mut().filter(|join| join.kind == JoinKind::Nested)?;
        if self.projected {
            return None;
        }
        let (path, keep_unmatched) = match spec {
            Bson::String(path) => (path.as_str(), false),
            Bson::Document(options) => {
                if options.keys().any(|key| !matches!(key.as_str(), "path" | "preserveNullAndEmptyArrays")) {
                    return None;
                }
                let keep = match options.get("preserveNullAndEmptyArrays") {
                    None => false,
                    Some(Bson::Boolean(keep)) => *keep,
                    Some(_) => return None,
                };
                (options.get_str("path").ok()?, keep)
            }
            _ => return None,
        };
        if path.strip_prefix('$') != Some(join.alias.as_str()) {
            return None;
        }
        join.kind = if keep_unmatched { JoinKind::Left } else { JoinKind::Inner };
        Some(())
    }

    /// The statement as text; a subquery drops an ORDER BY that no LIMIT needs (SQL keeps no order through it).
    fn render(&self, as_subquery: bool) -> Option<String> {
        let limited = self.limit.is_some() || self.offset > 0;
        if self.order_lost && self.group_by.is_none() && self.order.is_empty() && (!as_subquery || limited) {
            return None;
        }
        let columns = match &self.columns {
            Columns::All => "*".to_string(),
            Columns::Listed(list) if self.source.as_ref().is_some_and(|source| is_identity(list, source)) => {
                "*".to_string()
            }
            Columns::Listed(list) => {
                // A projection without the nested field would repeat each row per match and show none of them.
                if let Some(alias) = self.nested_alias() {
                    if !list.iter().any(|(_, e)| e.starts_with(&format!("{alias}."))) {
                        return None;
                    }
                }
                let items: Vec<String> = list.iter().map(|(name, e)| select_item(name, e)).collect();
                if items.is_empty() {
                    return None;
                }
                items.join(", ")
            }
        };
        let mut sql = format!("SELECT {columns} FROM {}", self.from);
        if let Some(join) = &self.join {
            let kind = if join.kind == JoinKind::Inner { "JOIN" } else { "LEFT JOIN" };
            let table =
                if join.alias == join.table { join.table.clone() } else { format!("{} AS {}", join.table, join.alias) };
            sql.push_str(&format!(" {kind} {table} ON {}", join.on));
        }
        if !self.conditions.is_empty() {
            sql.push_str(&format!(" WHERE {}", all_of(&self.conditions)));
        }
        if let Some(keys) = self.group_by.as_ref().filter(|keys| !keys.is_empty()) {
            sql.push_str(&format!(" GROUP BY {}", keys.join(", ")));
        }
        if !self.having.is_empty() {
            sql.push_str(&format!(" HAVING {}", all_of(&self.having)));
        }
        if !self.order.is_empty() && (limited || !as_subquery) {
            let keys: Vec<String> = self.order.iter().map(|key| self.order_key(key)).collect::<Option<_>>()?;
            sql.push_str(&format!(" ORDER BY {}", keys.join(", ")));
        }
        if let Some(limit) = self.limit {
            sql.push_str(&format!(" LIMIT {limit}"));
        }
        if self.offset > 0 {
            sql.push_str(&format!(" OFFSET {}", self.offset));
        }
        Some(sql)
    }

    /// A sort key by its output column's name when that column still is what was sorted on, else by what it was.
    fn order_key(&self, key: &SortKey) -> Option<String> {
        let direction = if key.descending { " DESC" } else { "" };
        let Columns::Listed(list) = &self.columns else { return Some(format!("{}{direction}", key.expression)) };
        if list.iter().any(|(name, e)| *name == key.name && *e == key.expression) {
            return Some(format!("{}{direction}", key.name));
        }
        // ORDER BY reads a bare name as an output column first: one that now computes something else would
        // change the sort.
        if list.iter().any(|(name, e)| *name == key.expression && *e != key.expression) {
            return None;
        }
        Some(format!("{}{direction}", key.expression))
    }

    /// The whole line: the statement, `;`, and what SQL's rows do differently when a `$lookup` nests.
    fn line(&self) -> Option<String> {
        let sql = self.render(false)?;
        Some(match self.nested_alias() {
            Some(alias) => {
                format!("{sql}; -- SQL gives one row per match; $lookup puts the matches in one array, {alias}")
            }
            None => format!("{sql};"),
        })
    }
}

/// `expression AS name`, or the expression alone when SQL already names the column so.
fn select_item(name: &str, expression: &str) -> String {
    if expression == name || expression.ends_with(&format!(".{name}")) || expression == format!("{name}.*") {
        expression.to_string()
    } else if name.contains('.') {
        // `courses.title` kept from a join is that table's column.
        expression.to_string()
    } else {
        format!("{expression} AS {name}")
    }
}

fn is_identity(list: &[(String, String)], source: &[String]) -> bool {
    list.len() == source.len() && list.iter().zip(source).all(|((name, e), column)| name == column && e == column)
}

/// A count for `$limit` / `$skip`: a whole number, as MongoDB requires.
fn whole_number(value: &Bson) -> Option<i64> {
    let n = number(value)?;
    (n.fract() == 0.0 && n.abs() < 9.0e15).then_some(n as i64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use bson::bson;

    fn sql(stages: Bson) -> Option<String> {
        let Bson::Array(stages) = stages else { return None };
        pipeline_sql("users", &stages)
    }

    #[test]
    fn a_match_is_a_where_and_a_group_is_a_group_by() {
        let cases = [
            (bson!([]), "SELECT * FROM users;"),
            (bson!([{"$match": {"age": {"$gte": 18}}}]), "SELECT * FROM users WHERE age >= 18;"),
            (
                bson!([{"$group": {"_id": "$city", "n": {"$sum": 1}, "avgAge": {"$avg": "$age"}}}]),
                "SELECT city AS _id, COUNT(*) AS n, AVG(age) AS avgAge FROM users GROUP BY city;",
            ),
            (
                bson!([{"$group": {"_id": null, "total": {"$sum": "$age"}, "lo": {"$min": "$age"}, "hi": {"$max": "$age"}, "n": {"$count": {}}}}]),
                "SELECT SUM(age) AS total, MIN(age) AS lo, MAX(age) AS hi, COUNT(*) AS n FROM users;",
            ),
            (
                bson!([
                    {"$match": {"premium": true}},
                    {"$group": {"_id": "$city", "n": {"$sum": 1}}},
                    {"$match": {"n": {"$gt": 1}, "_id": {"$ne": "Paris"}}},
                    {"$sort": {"n": -1, "_id": 1}},
                    {"$skip": 1},
                    {"$limit": 2},
                ]),
                "SELECT city AS _id, COUNT(*) AS n FROM users WHERE premium = TRUE GROUP BY city HAVING COUNT(*) > 1 AND (city <> 'Paris' OR city IS NULL) ORDER BY n DESC, _id LIMIT 2 OFFSET 1;",
            ),
            (bson!([{"$match": {"city": "London"}}, {"$count": "londoners"}]), "SELECT COUNT(*) AS londoners FROM users WHERE city = 'London';"),
        ];
        for (stages, expected) in cases {
            assert_eq!(sql(stages.clone()).as_deref(), Some(expected), "{stages}");
        }
    }

    #[test]
    fn sorts_limits_and_projections_keep_the_pipelines_meaning() {
        let cases = [
            // A filter after a sort filters the sorted rows: SQL's WHERE then ORDER BY says the same.
            (
                bson!([{"$sort": {"age": -1}}, {"$match": {"city": "London"}}]),
                "SELECT * FROM users WHERE city = 'London' ORDER BY age DESC;",
            ),
            // SQL skips before it limits: limit 10 then skip 5 is the rows 6 to 10.
            (bson!([{"$limit": 10}, {"$skip": 5}]), "SELECT * FROM users LIMIT 5 OFFSET 5;"),
            (bson!([{"$limit": 10}, {"$limit": 3}]), "SELECT * FROM users LIMIT 3;"),
            (bson!([{"$project": {"name": 1, "age": 1}}]), "SELECT _id, name, age FROM users;"),
            (bson!([{"$project": {"_id": 0, "name": 1, "years": "$age"}}]), "SELECT name, age AS years FROM users;"),
            // A filter on a renamed field filters on the column it came from.
            (
                bson!([{"$project": {"_id": 0, "years": "$age"}}, {"$match": {"years": {"$lt": 30}}}]),
                "SELECT age AS years FROM users WHERE age < 30;",
            ),
            (
                bson!([{"$group": {"_id": "$city", "n": {"$sum": 1}}}, {"$project": {"_id": 0, "city": "$_id", "n": 1}}, {"$sort": {"city": 1}}]),
                "SELECT city, COUNT(*) AS n FROM users GROUP BY city ORDER BY city;",
            ),
            // The sort field projected away: SQL can still sort by the column.
            (
                bson!([{"$sort": {"age": 1}}, {"$project": {"_id": 0, "name": 1}}]),
                "SELECT name FROM users ORDER BY age;",
            ),
            (
                bson!([{"$group": {"_id": "$city", "n": {"$sum": 1}}}, {"$project": {"_id": 0}}]),
                "SELECT COUNT(*) AS n FROM users GROUP BY city;",
            ),
            // A sort before a grouping changes nothing SQL or MongoDB promises.
            (bson!([{"$sort": {"age": 1}}, {"$count": "n"}]), "SELECT COUNT(*) AS n FROM users;"),
        ];
        for (stages, expected) in cases {
            assert_eq!(sql(stages.clone()).as_deref(), Some(expected), "{stages}");
        }
    }

    #[test]
    fn stages_after_a_limit_or_a_grouping_become_a_subquery() {
        let cases = [
            (
                bson!([{"$sort": {"age": -1}}, {"$limit": 5}, {"$match": {"city": "London"}}]),
                "SELECT * FROM (SELECT * FROM users ORDER BY age DESC LIMIT 5) AS t1 WHERE city = 'London' ORDER BY age DESC;",
            ),
            (
                bson!([{"$limit": 5}, {"$group": {"_id": "$city", "n": {"$sum": 1}}}]),
                "SELECT city AS _id, COUNT(*) AS n FROM (SELECT * FROM users LIMIT 5) AS t1 GROUP BY city;",
            ),
            (
                bson!([{"$group": {"_id": "$city", "n": {"$sum": 1}}}, {"$group": {"_id": null, "cities": {"$sum": 1}, "most": {"$max": "$n"}}}]),
                "SELECT COUNT(*) AS cities, MAX(n) AS most FROM (SELECT city AS _id, COUNT(*) AS n FROM users GROUP BY city) AS t1;",
            ),
            (
                bson!([{"$group": {"_id": "$city"}}, {"$count": "cities"}]),
                "SELECT COUNT(*) AS cities FROM (SELECT city AS _id FROM users GROUP BY city) AS t1;",
            ),
            (
                bson!([{"$group": {"_id": "$city", "n": {"$sum": 1}}}, {"$sort": {"n": -1}}, {"$limit": 3}, {"$match": {"n": {"$gt": 1}}}]),
                "SELECT * FROM (SELECT city AS _id, COUNT(*) AS n FROM users GROUP BY city ORDER BY n DESC LIMIT 3) AS t1 WHERE n > 1 ORDER BY n DESC;",
            ),
        ];
        for (stages, expected) in cases {
            assert_eq!(sql(stages.clone()).as_deref(), Some(expected), "{stages}");
        }
    }

    #[test]
    fn a_lookup_is_a_join_and_says_how_its_rows_differ() {
        let lookup = bson!({"$lookup": {"from": "courses", "localField": "purchasedCourses", "foreignField": "_id", "as": "courses"}});
        let cases = [
            (
                bson!([{"$match": {"name": "ada"}}, lookup.clone(), {"$project": {"_id": 0, "name": 1, "courses.title": 1}}]),
                "SELECT users.name, courses.title FROM users LEFT JOIN courses ON courses._id = users.purchasedCourses WHERE users.name = 'ada'; -- SQL gives one row per match; $lookup puts the matches in one array, courses",
            ),
            (
                bson!([lookup.clone()]),
                "SELECT * FROM users LEFT JOIN courses ON courses._id = users.purchasedCourses; -- SQL gives one row per match; $lookup puts the matches in one array, courses",
            ),
            // `$lookup` + `$unwind` is exactly a join: one row per match.
            (
                bson!([lookup.clone(), {"$unwind": "$courses"}, {"$group": {"_id": "$courses.title", "buyers": {"$sum": 1}}}]),
                "SELECT courses.title AS _id, COUNT(*) AS buyers FROM users JOIN courses ON courses._id = users.purchasedCourses GROUP BY courses.title;",
            ),
            (
                bson!([
                    {"$lookup": {"from": "users", "localField": "managerId", "foreignField": "_id", "as": "manager"}},
                    {"$unwind": {"path": "$manager", "preserveNullAndEmptyArrays": true}},
                    {"$project": {"name": 1, "boss": "$manager.name"}},
                ]),
                "SELECT users._id, users.name, manager.name AS boss FROM users LEFT JOIN users AS manager ON manager._id = users.managerId;",
            ),
        ];
        for (stages, expected) in cases {
            assert_eq!(sql(stages.clone()).as_deref(), Some(expected), "{stages}");
        }
    }

    #[test]
    fn pipelines_sql_cannot_say_get_none() {
        let lookup = bson!({"$lookup": {"from": "courses", "localField": "purchasedCourses", "foreignField": "_id", "as": "courses"}});
        let refused = [
            bson!([{"$unwind": "$skills"}]),
            bson!([{"$facet": {"a": [{"$count": "n"}]}}]),
            bson!([{"$bucket": {"groupBy": "$age", "boundaries": [0, 30, 60]}}]),
            bson!([{"$addFields": {"x": 1}}]),
            bson!([{"$project": {"name": {"$toUpper": "$name"}}}]),
            // A table has no "every column but password".
            bson!([{"$project": {"password": 0}}]),
            bson!([{"$group": {"_id": {"city": "$city", "age": "$age"}, "n": {"$sum": 1}}}]),
            bson!([{"$group": {"_id": "$city", "names": {"$push": "$name"}}}]),
            bson!([{"$group": {"_id": "$city", "n": {"$sum": 2}}}]),
            bson!([{"$group": {"_id": "$profile.city"}}]),
            // After a grouping only its fields exist: `age` is no column of the groups.
            bson!([{"$group": {"_id": "$city"}}, {"$match": {"age": 3}}]),
            bson!([{"$group": {"_id": "$city"}}, {"$sort": {"age": 1}}]),
            bson!([{"$match": {"$expr": {"$gt": ["$a", "$b"]}}}]),
            bson!([{"$match": {"name": {"$regex": "^a"}}}]),
            bson!([{"$sort": {"score": {"$meta": "textScore"}}}]),
            bson!([{"$limit": 0}]),
            bson!([{"$match": {"a": 1}, "$limit": 1}]),
            // Counting or limiting the rows a nesting `$lookup` repeats would count the repeats.
            bson!([lookup.clone(), {"$limit": 5}]),
            bson!([lookup.clone(), {"$count": "n"}]),
            bson!([lookup.clone(), {"$match": {"courses.title": "Databases"}}]),
            bson!([lookup.clone(), {"$project": {"name": 1}}]),
            bson!([{"$limit": 5}, lookup.clone()]),
            bson!([lookup.clone(), lookup.clone()]),
            bson!([{"$lookup": {"from": "courses", "as": "c", "pipeline": []}}]),
            // The sorted field is gone after the limit: SQL could not keep the order.
            bson!([{"$sort": {"age": 1}}, {"$project": {"name": 1}}, {"$limit": 2}, {"$match": {"name": "x"}}]),
            // `$gte: null` matches null and missing fields; SQL's `>= NULL` matches nothing.
            bson!([{"$match": {"age": {"$gte": null}}}]),
            bson!([{"$match": {"age": {"$in": [1, null]}}}]),
        ];
        for stages in refused {
            assert_eq!(sql(stages.clone()), None, "{stages}");
        }
    }
}
