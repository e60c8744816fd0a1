//! The deterministic LinkedIn-like dataset the benchmarks share (natively, and in the browser for the record-format
//! comparison): users with a nested profile, arrays of connections, skills, scores and purchased courses.

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
                "purchasedCourses": [random.below(50) as i32, random.below(50) as i32],
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
    }
}
