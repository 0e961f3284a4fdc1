//! A length of time as people write it: `30m`, `2h`, `1d`, `1h30m`,
//! `90s`, `2 hours` (jiff's "friendly" format; a day is 24 hours, a week
//! 7 days). Whole seconds, more than zero. Written back in its shortest
//! exact form (`7200s` reads back as `2h`), so a config file round-trips.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    seconds: i64,
}

impl Duration {
    pub const fn from_secs(seconds: i64) -> Duration {
        Duration { seconds }
    }

    pub fn as_secs(self) -> i64 {
        self.seconds
    }

    /// For timestamp arithmetic (`now + lease`).
    pub fn signed(self) -> jiff::SignedDuration {
        jiff::SignedDuration::from_secs(self.seconds)
    }
}

/// Parse a duration (see the module doc); the error says what is wrong.
pub fn parse(text: &str) -> Result<Duration, String> {
    use jiff::{SpanRelativeTo, Unit};
    const EXPECTED: &str = "expected a duration like 30m, 2h, 1d or 1h30m";
    let trimmed = text.trim();
    // jiff also reads ISO 8601 (`PT2H`): fine, but say only the short form.
    let span: jiff::Span = trimmed
        .parse()
        .map_err(|_| format!("{text:?}: {EXPECTED}"))?;
    // Months and years have no fixed length: `total` refuses them.
    let seconds = span
        .total((Unit::Second, SpanRelativeTo::days_are_24_hours()))
        .map_err(|_| format!("{text:?}: months and years have no fixed length; {EXPECTED}"))?;
    if seconds <= 0.0 {
        return Err(format!("{text:?}: must be longer than zero"));
    }
    if seconds.fract() != 0.0 {
        return Err(format!("{text:?}: must be whole seconds"));
    }
    // Ten years is plenty for a lease; beyond it, arithmetic on timestamps
    // could overflow.
    if seconds > 10.0 * 366.0 * 86_400.0 {
        return Err(format!("{text:?}: longer than ten years"));
    }
    Ok(Duration {
        seconds: seconds as i64,
    })
}

impl FromStr for Duration {
    type Err = String;

    fn from_str(text: &str) -> Result<Duration, String> {
        parse(text)
    }
}

impl fmt::Display for Duration {
    /// The largest unit that divides it exactly: `2h`, `90m`, `1d`, `45s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        for (unit, len) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
            if s % len == 0 {
                return write!(f, "{}{unit}", s / len);
            }
        }
        write!(f, "{s}s")
    }
}

impl Serialize for Duration {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = std::borrow::Cow::<str>::deserialize(d)?;
        parse(&text).map_err(serde::de::Error::custom)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "A length of time: 30m, 2h, 1d, 1h30m (a day is 24 hours).",
            "examples": ["30m", "2h", "1d"],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn table() {
        let ok = [
            ("30m", 1_800, "30m"),
            ("2h", 7_200, "2h"),
            ("1d", 86_400, "1d"),
            ("1h30m", 5_400, "90m"),
            ("90s", 90, "90s"),
            ("2 hours", 7_200, "2h"),
            ("1w", 604_800, "7d"),
            ("7200s", 7_200, "2h"),
            (" 45m ", 2_700, "45m"),
            ("PT2H", 7_200, "2h"),
        ];
        for (text, seconds, shown) in ok {
            let d = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(d.as_secs(), seconds, "{text}");
            assert_eq!(d.to_string(), shown, "{text}");
        }
        let bad = [
            ("", "expected a duration"),
            ("2", "expected a duration"),
            ("soon", "expected a duration"),
            ("-2h", "longer than zero"),
            ("0s", "longer than zero"),
            ("1.5s", "whole seconds"),
            ("1mo", "no fixed length"),
            ("2y", "no fixed length"),
            ("20y", "no fixed length"),
            ("4000d", "ten years"),
        ];
        for (text, why) in bad {
            let err = parse(text).expect_err(text);
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn serde_uses_the_short_form() {
        let d: Duration = serde_json::from_str("\"120m\"").unwrap();
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2h\"");
        assert!(serde_json::from_str::<Duration>("\"0m\"").is_err());
    }

    proptest! {
        #[test]
        fn display_reads_back(seconds in 1i64..=10 * 366 * 86_400) {
            let d = Duration::from_secs(seconds);
            prop_assert_eq!(parse(&d.to_string()), Ok(d));
        }
    }
}
