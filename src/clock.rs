//! The time source. Services read the time through a [`Clock`] so that tests can move it.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;

/// Microseconds since the Unix epoch, UTC: how timestamps are stored.
pub type Micros = i64;

#[derive(Clone, Debug, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that only moves when told to (tests).
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start: OffsetDateTime) -> Self {
        Clock::Manual(Arc::new(AtomicI64::new(to_micros(start))))
    }

    pub fn now(&self) -> Micros {
        match self {
            Clock::System => to_micros(OffsetDateTime::now_utc()),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Clock::Manual(t) = self {
            t.fetch_add(
                i64::try_from(by.as_micros()).unwrap_or(i64::MAX),
                Ordering::SeqCst,
            );
        }
    }
}

fn to_micros(t: OffsetDateTime) -> Micros {
    i64::try_from(t.unix_timestamp_nanos() / 1000).unwrap_or(i64::MAX)
}

/// ISO-8601 / RFC 3339 in UTC with microseconds, like `2025-05-15T02:05:00.123456Z`.
pub fn format_micros(m: Micros) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(m) * 1000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// Parses an RFC 3339 timestamp into microseconds.
pub fn parse_rfc3339(s: &str) -> Option<Micros> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .ok()
        .map(to_micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        let m = parse_rfc3339("2025-05-15T02:05:00.123456Z").unwrap();
        assert_eq!(format_micros(m), "2025-05-15T02:05:00.123456Z");
        assert!(parse_rfc3339("yesterday").is_none());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = Clock::manual(OffsetDateTime::UNIX_EPOCH);
        assert_eq!(c.now(), 0);
        c.advance(std::time::Duration::from_secs(2));
        assert_eq!(c.now(), 2_000_000);
    }
}
