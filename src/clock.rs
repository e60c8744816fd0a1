//! The one place live time and randomness come from: std's clock and the OS's entropy natively, the browser's
//! `Date.now()`, `performance.now()` and `crypto.getRandomValues` on wasm32 (where std's clock panics).
//!
//! Every other file reads time and makes ObjectIds through here (or through `engine::generator`, which calls
//! here in live mode); `clippy.toml` forbids `SystemTime::now`, `Instant::now`, `bson::DateTime::now` and
//! `ObjectId::new` elsewhere, and `tests/tidy.rs` checks the same on the text of every file.

use bson::oid::ObjectId;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Milliseconds since the Unix epoch, from the wall clock.
#[cfg(target_arch = "wasm32")]
pub fn now_millis() -> i64 {
    // `Date.now()` is an integral number of milliseconds.
    js_sys::Date::now() as i64
}

/// Milliseconds since the Unix epoch, from the wall clock.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::disallowed_methods, reason = "this module is the one place that reads the clock")]
pub fn now_millis() -> i64 {
    match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// The current time as a BSON date, for `new Date()`, `Date.now()`, timestamps and `$currentDate`.
///
/// Two readings never fall on the same millisecond, and none goes back: against a real server every call takes
/// more than a millisecond, so `updatedAt` always changes and a second `$currentDate` modifies the document. Here
/// a whole Run takes microseconds, and without this an update of `updatedAt` alone would report
/// `modifiedCount: 0` only when the student types fast. The reading runs ahead of the wall clock by at most one
/// millisecond per reading within a burst, and meets it again when the burst is over.
pub fn now() -> bson::DateTime {
    static LAST: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(i64::MIN);
    let wall = now_millis();
    let previous = LAST.load(Ordering::Relaxed);
    let reading = if wall > previous { wall } else { previous.saturating_add(1) };
    LAST.store(reading, Ordering::Relaxed);
    bson::DateTime::from_millis(reading)
}

/// Milliseconds from a monotonic clock with an arbitrary origin, for measuring durations.
#[cfg(target_arch = "wasm32")]
pub fn monotonic_millis() -> f64 {
    web_sys::window().and_then(|w| w.performance()).map_or_else(js_sys::Date::now, |p| p.now())
}

/// Milliseconds from a monotonic clock with an arbitrary origin, for measuring durations.
#[cfg(not(target_arch = "wasm32"))]
#[allow(clippy::disallowed_methods, reason = "this module is the one place that reads the clock")]
pub fn monotonic_millis() -> f64 {
    static ORIGIN: OnceLock<std::time::Instant> = OnceLock::new();
    ORIGIN.get_or_init(std::time::Instant::now).elapsed().as_secs_f64() * 1000.0
}

/// `N` random bytes from the platform's cryptographic source. Should that source fail (a browser without
/// `crypto`), the bytes are mixed from the clock instead: an ObjectId must never cost the student the page.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    if getrandom03::fill(&mut bytes).is_err() {
        let mut state = (now_millis() as u64) ^ (monotonic_millis().to_bits()) ^ 0x9e37_79b9_7f4a_7c15;
        for byte in &mut bytes {
            // splitmix64: enough spread for a fallback that only has to avoid collisions between pages.
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            *byte = (z ^ (z >> 31)) as u8;
        }
    }
    bytes
}

/// The 5-byte value MongoDB calls "random value unique to the machine and process": drawn once per page.
fn process_unique() -> [u8; 5] {
    static UNIQUE: OnceLock<[u8; 5]> = OnceLock::new();
    *UNIQUE.get_or_init(random_bytes::<5>)
}

/// The 3-byte counter, "initialized to a random value". It starts in the lower half of the 24-bit range so that
/// more than eight million ObjectIds made within one second of one page still increase (a wrap would put a later
/// id before an earlier one, and lessons show that sorting by `_id` is insertion order).
fn next_counter() -> u32 {
    static COUNTER: OnceLock<AtomicU32> = OnceLock::new();
    let counter = COUNTER.get_or_init(|| {
        let [a, b, c] = random_bytes::<3>();
        AtomicU32::new(u32::from_be_bytes([0, a & 0x7f, b, c]))
    });
    counter.fetch_add(1, Ordering::Relaxed) & 0x00ff_ffff
}

/// A new ObjectId with MongoDB's layout: 4-byte big-endian seconds since the epoch, the page's 5-byte random
/// value, a 3-byte big-endian counter. Ids made by one page increase.
pub fn new_object_id() -> ObjectId {
    let seconds = u32::try_from(now_millis().div_euclid(1000)).unwrap_or(0);
    object_id_from(seconds, process_unique(), next_counter())
}

fn object_id_from(seconds: u32, unique: [u8; 5], counter: u32) -> ObjectId {
    let mut bytes = [0u8; 12];
    bytes[..4].copy_from_slice(&seconds.to_be_bytes());
    bytes[4..9].copy_from_slice(&unique);
    bytes[9..].copy_from_slice(&counter.to_be_bytes()[1..]);
    ObjectId::from_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_object_ids_have_mongodbs_layout_and_increase() {
        let before = now_millis() / 1000;
        let ids: Vec<ObjectId> = (0..1000).map(|_| new_object_id()).collect();
        let after = now_millis() / 1000;
        for pair in ids.windows(2) {
            assert!(pair[0] < pair[1], "{} then {}", pair[0], pair[1]);
        }
        let first = ids[0].bytes();
        let seconds = i64::from(u32::from_be_bytes([first[0], first[1], first[2], first[3]]));
        assert!((before..=after).contains(&seconds), "timestamp {seconds} outside {before}..={after}");
        assert!(ids.iter().all(|id| id.bytes()[4..9] == first[4..9]), "one random value per page");
        let counter = |id: &ObjectId| u32::from_be_bytes([0, id.bytes()[9], id.bytes()[10], id.bytes()[11]]);
        assert_eq!(counter(&ids[999]), counter(&ids[0]) + 999, "the counter counts up by one");
    }

    #[test]
    fn the_counter_is_the_low_three_bytes() {
        let id = object_id_from(0x0102_0304, [5, 6, 7, 8, 9], 0x00ab_cdef);
        assert_eq!(id.to_hex(), "010203040506070809abcdef");
    }

    #[test]
    fn dates_never_repeat_a_millisecond_and_stay_near_the_wall_clock() {
        let readings: Vec<i64> = (0..100).map(|_| now().timestamp_millis()).collect();
        assert!(readings.windows(2).all(|pair| pair[0] < pair[1]), "{readings:?}");
        assert!(readings[99] - now_millis() < 200, "ahead of the wall clock by no more than the readings made");
    }

    #[test]
    fn the_clock_reads_the_present() {
        // 2026-01-01 as a floor: a clock that reads 1970 (or panics) fails here.
        assert!(now_millis() > 1_767_225_600_000);
        let start = monotonic_millis();
        assert!(monotonic_millis() >= start);
        assert_ne!(random_bytes::<16>(), [0u8; 16]);
    }
}
