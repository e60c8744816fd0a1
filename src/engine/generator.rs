//! Where new ObjectIds and "now" come from: random and wall-clock normally, or a seeded counter and a fixed clock
//! so tests, screenshots and lessons are reproducible.

use bson::oid::ObjectId;
use bson::DateTime;

/// The fixed instant deterministic mode uses: 2024-01-01T00:00:00Z.
pub const DETERMINISTIC_EPOCH_MILLIS: i64 = 1_704_067_200_000;

/// A source of ObjectIds and of the current time.
#[derive(Debug, Clone, Default)]
pub enum Generator {
    /// Real ObjectIds and the real clock, from `crate::clock` (the browser's clock and crypto on wasm32).
    #[default]
    Live,
    /// ObjectIds `<timestamp><seed:5 bytes><counter:3 bytes>` with a fixed timestamp, and a clock that advances one
    /// millisecond per reading so timestamps still order writes.
    Deterministic { seed: u64, counter: u32, clock_millis: i64 },
}

impl Generator {
    /// A reproducible generator: the same seed gives the same ObjectIds and dates in the same order.
    pub fn deterministic(seed: u64) -> Self {
        Generator::Deterministic { seed, counter: 0, clock_millis: DETERMINISTIC_EPOCH_MILLIS }
    }

    pub fn is_deterministic(&self) -> bool {
        matches!(self, Generator::Deterministic { .. })
    }

    /// The next ObjectId.
    pub fn object_id(&mut self) -> ObjectId {
        match self {
            Generator::Live => crate::clock::new_object_id(),
            Generator::Deterministic { seed, counter, clock_millis } => {
                *counter = counter.wrapping_add(1);
                let seconds = u32::try_from(*clock_millis / 1000).unwrap_or(0);
                let mut bytes = [0u8; 12];
                bytes[..4].copy_from_slice(&seconds.to_be_bytes());
                bytes[4..9].copy_from_slice(&seed.to_be_bytes()[3..8]);
                bytes[9..12].copy_from_slice(&counter.to_be_bytes()[1..4]);
                ObjectId::from_bytes(bytes)
            }
        }
    }

    /// A number in [0, 1) for `Math.random()`: random normally, a fixed sequence in deterministic mode.
    pub fn random(&mut self) -> f64 {
        let bits = match self {
            Generator::Live => u64::from_le_bytes(crate::clock::random_bytes::<8>()),
            Generator::Deterministic { seed, counter, .. } => {
                *counter = counter.wrapping_add(1);
                // splitmix64 of the seed and counter: well spread, and the same every run.
                let mut z = seed.wrapping_add(u64::from(*counter).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            }
        };
        (bits >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The current time, without advancing the deterministic clock: for a read that needs "now" only in a rare
    /// case (a `Date.now` default inside a subdocument a filter builds), so ordinary queries leave the clock alone.
    pub fn peek_now(&self) -> DateTime {
        match self {
            Generator::Live => crate::clock::now(),
            Generator::Deterministic { clock_millis, .. } => DateTime::from_millis(*clock_millis),
        }
    }

    /// The current time.
    pub fn now(&mut self) -> DateTime {
        match self {
            Generator::Live => crate::clock::now(),
            Generator::Deterministic { clock_millis, .. } => {
                let now = DateTime::from_millis(*clock_millis);
                *clock_millis += 1;
                now
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_ids_repeat_for_the_same_seed() {
        let mut a = Generator::deterministic(7);
        let mut b = Generator::deterministic(7);
        let ids_a: Vec<_> = (0..3).map(|_| a.object_id()).collect();
        let ids_b: Vec<_> = (0..3).map(|_| b.object_id()).collect();
        assert_eq!(ids_a, ids_b);
        assert_eq!(ids_a[0].to_hex(), "659200800000000007000001");
        assert!(ids_a[0] < ids_a[1], "ObjectIds increase like real ones");
    }

    #[test]
    fn deterministic_clock_starts_at_the_epoch_and_advances() {
        let mut generator = Generator::deterministic(1);
        assert_eq!(generator.now().try_to_rfc3339_string().unwrap(), "2024-01-01T00:00:00Z");
        assert_eq!(generator.now().timestamp_millis(), DETERMINISTIC_EPOCH_MILLIS + 1);
    }
}
