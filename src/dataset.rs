//! The deterministic LinkedIn-like dataset the benchmarks share (natively, and in the browser for the record-format
//! comparison): users with a nested profile, arrays of connections, skills, scores and purchased courses, and the
//! courses those purchases refer to (for `$lookup`); the aggregation workloads' options and the check of what they
//! computed, shared by the native and the in-browser benchmarks.

use crate::engine::aggregate::AggregateOptions;
use bson::{doc, oid::ObjectId, Bson, Document};

/// A small deterministic generator (xorshift), so every run and both engines see the same data.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const SKILLS: [&str; 8] = ["rust", "go", "js", "sql", "python", "java", "c", "ml"];
const CITIES: [&str; 8] = ["London", "Paris", "Lagos", "Lima", "Oslo", "Pune", "Austin", "Seoul"];

fn user_id(i: u64) -> ObjectId {
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&1_700_000_000u32.to_be_bytes());
    bytes[4..].copy_from_slice(&i.to_be_bytes());
    ObjectId::from_bytes(bytes)
}

/// How many courses there are: a user's `purchasedCourses` holds course `_id`s from 0 to `COURSES - 1`.
pub const COURSES: u64 = 50;

const LEVELS: [&str; 3] = ["beginner", "intermediate", "advanced"];

/// The [`COURSES`] courses users buy, `_id` 0 to 49 (the values of `purchasedCourses`), computed without randomness.
pub fn courses() -> Vec<Document> {
    (0..COURSES)
        .map(|i| {
            let i = i as i32;
            doc! {
                "_id": i,
                "title": format!("Course {i}"),
                "level": LEVELS[(i % 3) as usize],
                "price": 10 + (i * 37) % 90,
                "hours": 2 + (i * 11) % 30,
                "tags": [SKILLS[(i % 8) as usize], SKILLS[((i * 5 + 3) % 8) as usize]],
            }
        })
        .collect()
}

/// `n` users with a nested profile and arrays of connections and purchased courses.
pub fn users(n: u64) -> Vec<Document> {
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|i| {
            let connections: Vec<Bson> = (0..3).map(|_| Bson::ObjectId(user_id(random.below(n)))).collect();
            let skills: Vec<Bson> =
                (0..2).map(|_| Bson::String(SKILLS[random.below(8) as usize].to_string())).collect();
            doc! {
                "_id": user_id(i),
                "username": format!("user{i}"),
                "age": 18 + random.below(60) as i32,
                "premium": random.below(10) < 3,
                "profile": { "city": CITIES[random.below(8) as usize], "skills": skills },
                "scores": [{ "subject": "db", "score": random.below(100) as i32 }, { "subject": "web", "score": random.below(100) as i32 }],
                "connections": connections,
                "purchasedCourses": [random.below(COURSES) as i32, random.below(COURSES) as i32],
                "likes": 0,
            }
        })
        .collect()
}

/// The workloads, as filters and updates both engines run (the mingo script reads the same list from `workloads.json`).
pub fn workloads(n: u64) -> Document {
    doc! {
        "scan": { "age": { "$gte": 30 }, "premium": true },
        "in_array": { "profile.skills": { "$in": ["rust", "sql"] } },
        "elemMatch": { "scores": { "$elemMatch": { "subject": "db", "score": { "$gt": 90 } } } },
        "sort": { "age": -1, "_id": 1 },
        "count": { "age": { "$lt": 30 } },
        "one": { "username": format!("user{}", n / 2) },
        "tenth": { "_id": { "$lte": user_id(n / 10) } },
        "inc": { "$inc": { "likes": 1 } },
        // Aggregation pipelines, run as written by both engines (`lookup_courses` joins the `courses` collection).
        "group_avg_by_city": [
            { "$group": { "_id": "$profile.city", "avgAge": { "$avg": "$age" }, "users": { "$sum": 1 } } },
            { "$sort": { "_id": 1 } },
        ],
        "unwind_group_skills": [
            { "$unwind": "$profile.skills" },
            { "$group": { "_id": "$profile.skills", "count": { "$sum": 1 } } },
            { "$sort": { "count": -1, "_id": 1 } },
        ],
        "lookup_courses": [
            { "$lookup": { "from": "courses", "localField": "purchasedCourses", "foreignField": "_id", "as": "courses" } },
        ],
    }
}

/// The aggregation workloads: pipelines of [`workloads`], run over `users` with `courses` at hand for `$lookup`.
pub const AGGREGATIONS: [&str; 3] = ["group_avg_by_city", "unwind_group_skills", "lookup_courses"];

/// The options the aggregation workloads run with: the classroom limits on work and per-stage memory lifted (at a
/// million users `$unwind` and `$lookup` outgrow 100 MB of output), as mingo has none; they are still counted.
pub fn aggregate_options() -> AggregateOptions {
    AggregateOptions {
        now: Some(bson::DateTime::from_millis(1_700_000_000_000)),
        stage_memory_bytes: usize::MAX,
        budget_steps: u64::MAX,
        ..AggregateOptions::default()
    }
}

/// What an aggregation workload computed, for checking against mingo: the (small) results of the grouping
/// workloads as they are; for `$lookup`, how many documents came out, how many courses were joined and the sums of
/// their `_id`s and prices (the order of a joined array is left to each engine).
pub fn aggregate_check(workload: &str, results: &[Document]) -> Bson {
    if workload != "lookup_courses" {
        return Bson::Array(results.iter().cloned().map(Bson::Document).collect());
    }
    let (mut joined, mut ids, mut prices) = (0i64, 0i64, 0i64);
    let number = |course: &Document, key: &str| match course.get(key) {
        Some(Bson::Int32(i)) => i64::from(*i),
        Some(Bson::Int64(i)) => *i,
        _ => 0,
    };
    for result in results {
        if let Ok(courses) = result.get_array("courses") {
            for course in courses.iter().filter_map(Bson::as_document) {
                joined += 1;
                ids += number(course, "_id");
                prices += number(course, "price");
            }
        }
    }
    Bson::Document(doc! { "documents": results.len() as i64, "joined": joined, "idSum": ids, "priceSum": prices })
}
