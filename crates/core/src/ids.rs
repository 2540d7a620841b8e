//! Run ids, run kinds and UTC timestamps.
//!
//! A run id names a run everywhere: it is a job label value, a folder in the run bucket
//! (`runs/<run_id>/`) and part of the run page's URL. It therefore uses only
//! `[A-Za-z0-9_-]`, starts with a letter or digit and is at most [`RUN_ID_MAX_LEN`] characters.
//!
//! [`UtcDateTime`] converts Unix seconds to a civil UTC date-time and back (proleptic Gregorian
//! calendar, no leap seconds), formats RFC 3339 timestamps for the run record and reads them again.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Longest run id accepted, in characters.
pub const RUN_ID_MAX_LEN: usize = 96;

/// Which workflow a run belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunKind {
    /// Build a new Space from a model card.
    Build,
    /// Validate an existing Space with a live generation.
    Validate,
}

impl RunKind {
    /// Every kind, in the order the app shows them.
    pub const ALL: [RunKind; 2] = [RunKind::Build, RunKind::Validate];

    /// The wire name: `build` or `validate` (also the job label value and run id prefix).
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Build => "build",
            RunKind::Validate => "validate",
        }
    }

    /// Reads a wire name (`build` / `validate`).
    pub fn from_wire(s: &str) -> Option<RunKind> {
        match s {
            "build" => Some(RunKind::Build),
            "validate" => Some(RunKind::Validate),
            _ => None,
        }
    }

    /// Short human words for the kind.
    pub fn label(self) -> &'static str {
        match self {
            RunKind::Build => "Build from model card",
            RunKind::Validate => "Validate existing Space",
        }
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text is not a valid run id. Each message says what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RunIdError {
    #[error("The run id is empty. Enter one (letters, digits, `-` and `_`) or generate a new one.")]
    Empty,
    #[error(
        "The run id is {len} characters long; the limit is {max}. Shorten it or generate a new one.",
        max = RUN_ID_MAX_LEN
    )]
    TooLong { len: usize },
    #[error(
        "The run id starts with `{ch}`; it must start with a letter or a digit. Remove the leading `{ch}`."
    )]
    BadFirstChar { ch: char },
    #[error(
        "The run id contains {} at position {position}; only letters, digits, `-` and `_` are allowed. Remove it or replace it with `-`.",
        describe_char(*ch)
    )]
    BadChar {
        ch: char,
        /// 1-based character position.
        position: usize,
    },
}

/// Names a character in an error message so that invisible ones can be seen.
pub(crate) fn describe_char(ch: char) -> String {
    match ch {
        ' ' => "a space".to_string(),
        '\t' => "a tab".to_string(),
        '\n' | '\r' => "a line break".to_string(),
        c if c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}') =>
        {
            format!("the invisible character U+{:04X}", c as u32)
        }
        c => format!("`{c}`"),
    }
}

/// A validated run id (see the module documentation for the rules).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

impl RunId {
    /// Checks `s` exactly as given (no trimming; a form trims before calling this).
    pub fn parse(s: &str) -> Result<RunId, RunIdError> {
        let mut count = 0usize;
        for (i, ch) in s.chars().enumerate() {
            count += 1;
            if i == 0 && (ch == '-' || ch == '_') {
                return Err(RunIdError::BadFirstChar { ch });
            }
            if !(ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') {
                return Err(RunIdError::BadChar {
                    ch,
                    position: i + 1,
                });
            }
        }
        if count == 0 {
            return Err(RunIdError::Empty);
        }
        if count > RUN_ID_MAX_LEN {
            return Err(RunIdError::TooLong { len: count });
        }
        Ok(RunId(s.to_string()))
    }

    /// A fresh run id `<kind>-<YYYYMMDD>-<HHMMSS>-<6 hex>` from the current UTC time and a random
    /// number supplied by the caller (only its low 24 bits are used),
    /// e.g. `build-20261128-142501-a3f9c2`.
    pub fn generate(kind: RunKind, unix_seconds: u64, random: u32) -> RunId {
        RunId(stamped_id(kind.as_str(), unix_seconds, random))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The kind encoded in a generated id's prefix, if there is one.
    pub fn kind_hint(&self) -> Option<RunKind> {
        let prefix = self.0.split('-').next()?;
        RunKind::from_wire(prefix)
    }
}

text_newtype!(RunId, RunIdError);

impl AsRef<str> for RunId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `<prefix>-<YYYYMMDD>-<HHMMSS>-<6 hex>` from Unix seconds and the low 24 bits of `random`: the
/// form of generated run and batch ids.
pub(crate) fn stamped_id(prefix: &str, unix_seconds: u64, random: u32) -> String {
    let t = UtcDateTime::from_unix(unix_seconds);
    format!(
        "{prefix}-{:04}{:02}{:02}-{:02}{:02}{:02}-{:06x}",
        t.year,
        t.month,
        t.day,
        t.hour,
        t.minute,
        t.second,
        random & 0x00ff_ffff
    )
}

/// A civil date-time in UTC, to the second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDateTime {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
}

/// Days since 1970-01-01 → (year, month, day). Howard Hinnant's `civil_from_days`.
fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let d = doy - (153 * mp + 2) / 5 + 1; // [1, 31]
    let m = if mp < 10 { mp + 3 } else { mp - 9 }; // [1, 12]
    (if m <= 2 { y + 1 } else { y }, m as u8, d as u8)
}

/// (year, month, day) → days since 1970-01-01. Howard Hinnant's `days_from_civil`.
fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

impl UtcDateTime {
    /// The date-time of `unix_seconds` seconds after 1970-01-01T00:00:00Z.
    pub fn from_unix(unix_seconds: u64) -> UtcDateTime {
        let days = (unix_seconds / 86_400) as i64;
        let secs = unix_seconds % 86_400;
        let (year, month, day) = civil_from_days(days);
        UtcDateTime {
            year,
            month,
            day,
            hour: (secs / 3600) as u8,
            minute: (secs % 3600 / 60) as u8,
            second: (secs % 60) as u8,
        }
    }

    /// Seconds since the Unix epoch (negative before 1970).
    pub fn to_unix(&self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// RFC 3339 in UTC with a `Z`, e.g. `2026-11-28T14:25:01Z`.
    pub fn to_rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// Reads an RFC 3339 timestamp (`2026-11-28T14:25:01Z`, `…01.123Z`, `…01+02:00`, a space or
    /// lower-case `t` instead of `T`). Fractional seconds are dropped; offsets are applied so the
    /// result is in UTC. Returns `None` for anything else, including impossible dates.
    pub fn parse_rfc3339(s: &str) -> Option<UtcDateTime> {
        let b = s.trim().as_bytes();
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = b.get(r)?;
            if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
                return None;
            }
            part.iter().try_fold(0u32, |acc, d| {
                acc.checked_mul(10)?.checked_add(u32::from(d - b'0'))
            })
        };
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        if !matches!(b[10], b'T' | b't' | b' ') {
            return None;
        }
        let year = i64::from(num(0..4)?);
        let month = num(5..7)? as u8;
        let day = num(8..10)? as u8;
        let hour = num(11..13)? as u8;
        let minute = num(14..16)? as u8;
        let second = num(17..19)? as u8;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        if hour > 23 || minute > 59 || second > 60 {
            return None;
        }
        let mut i = 19;
        if b.get(i) == Some(&b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            if i == start {
                return None;
            }
        }
        let offset_seconds: i64 = match b.get(i)? {
            b'Z' | b'z' if i + 1 == b.len() => 0,
            sign @ (b'+' | b'-') if i + 6 == b.len() && b[i + 3] == b':' => {
                let oh = i64::from(num(i + 1..i + 3)?);
                let om = i64::from(num(i + 4..i + 6)?);
                if oh > 23 || om > 59 {
                    return None;
                }
                let total = oh * 3600 + om * 60;
                if *sign == b'+' { total } else { -total }
            }
            _ => return None,
        };
        // A leap second (:60) is read as the next second.
        let local = UtcDateTime {
            year,
            month,
            day,
            hour,
            minute,
            second: second.min(59),
        };
        let unix = local.to_unix() - offset_seconds + i64::from(second == 60);
        u64::try_from(unix).ok().map(UtcDateTime::from_unix)
    }
}

impl fmt::Display for UtcDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// RFC 3339 timestamp (UTC, `Z`) for `unix_seconds`; what the run record stores.
pub fn rfc3339(unix_seconds: u64) -> String {
    UtcDateTime::from_unix(unix_seconds).to_rfc3339()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn generate_formats_kind_time_and_hex() {
        // 2026-11-28T14:25:01Z
        let t = 1_795_875_901;
        assert_eq!(rfc3339(t), "2026-11-28T14:25:01Z");
        let id = RunId::generate(RunKind::Build, t, 0xa3f9c2);
        assert_eq!(id.as_str(), "build-20261128-142501-a3f9c2");
        let v = RunId::generate(RunKind::Validate, 0, 0xff00_0001);
        assert_eq!(v.as_str(), "validate-19700101-000000-000001");
        assert_eq!(v.kind_hint(), Some(RunKind::Validate));
        assert_eq!(RunId::parse("abc").unwrap().kind_hint(), None);
    }

    #[test]
    fn parse_accepts_valid_ids() {
        for ok in [
            "a",
            "9",
            "build-20261128-142501-a3f9c2",
            "A_b-C",
            &"x".repeat(96),
        ] {
            assert_eq!(RunId::parse(ok).unwrap().as_str(), ok);
        }
    }

    #[test]
    fn parse_refuses_bad_ids_with_precise_errors() {
        assert_eq!(RunId::parse(""), Err(RunIdError::Empty));
        assert_eq!(
            RunId::parse(&"x".repeat(97)),
            Err(RunIdError::TooLong { len: 97 })
        );
        assert_eq!(
            RunId::parse("-abc"),
            Err(RunIdError::BadFirstChar { ch: '-' })
        );
        assert_eq!(
            RunId::parse("_abc"),
            Err(RunIdError::BadFirstChar { ch: '_' })
        );
        assert_eq!(
            RunId::parse("ab/c"),
            Err(RunIdError::BadChar {
                ch: '/',
                position: 3
            })
        );
        assert_eq!(
            RunId::parse("ab c"),
            Err(RunIdError::BadChar {
                ch: ' ',
                position: 3
            })
        );
        assert_eq!(
            RunId::parse(" abc"),
            Err(RunIdError::BadChar {
                ch: ' ',
                position: 1
            })
        );
        assert_eq!(
            RunId::parse("ééé"),
            Err(RunIdError::BadChar {
                ch: 'é',
                position: 1
            })
        );
        assert_eq!(
            RunId::parse("a.b"),
            Err(RunIdError::BadChar {
                ch: '.',
                position: 2
            })
        );
        // A long id with a bad character reports the character first.
        let long_bad = format!("{}!", "x".repeat(100));
        assert_eq!(
            RunId::parse(&long_bad),
            Err(RunIdError::BadChar {
                ch: '!',
                position: 101
            })
        );
    }

    #[test]
    fn errors_are_sentences_that_say_how_to_fix() {
        let msg = RunId::parse("ab c").unwrap_err().to_string();
        assert!(msg.contains("a space at position 3"), "{msg}");
        assert!(msg.contains("Remove it"), "{msg}");
        let msg = RunId::parse("a\u{200b}").unwrap_err().to_string();
        assert!(msg.contains("U+200B"), "{msg}");
        let msg = RunId::parse("").unwrap_err().to_string();
        assert!(msg.contains("generate"), "{msg}");
    }

    #[test]
    fn serde_validates_run_ids() {
        let id: RunId = serde_json::from_str("\"build-1\"").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"build-1\"");
        assert!(serde_json::from_str::<RunId>("\"../etc\"").is_err());
        assert_eq!(
            serde_json::to_string(&RunKind::Validate).unwrap(),
            "\"validate\""
        );
        assert_eq!(
            serde_json::from_str::<RunKind>("\"build\"").unwrap(),
            RunKind::Build
        );
    }

    #[test]
    fn civil_dates_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(rfc3339(4_107_542_400), "2100-03-01T00:00:00Z");
        assert_eq!(rfc3339(253_402_300_799), "9999-12-31T23:59:59Z");
    }

    #[test]
    fn rfc3339_parsing() {
        let p = |s| UtcDateTime::parse_rfc3339(s).map(|t| t.to_unix());
        assert_eq!(p("2026-11-28T14:25:01Z"), Some(1_795_875_901));
        assert_eq!(p("2026-11-28T14:25:01.123456Z"), Some(1_795_875_901));
        assert_eq!(p("2026-11-28 15:25:01+01:00"), Some(1_795_875_901));
        assert_eq!(p("2026-11-28t13:25:01-01:00"), Some(1_795_875_901));
        assert_eq!(p("2016-12-31T23:59:60Z"), Some(1_483_228_800));
        for bad in [
            "",
            "2026-11-28",
            "2026-11-28T14:25:01",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-11-28T24:00:00Z",
            "2026-11-28T14:25:01.Z",
            "2026-11-28T14:25:01+0100",
            "2026-11-28T14:25:01Zjunk",
            "1969-12-31T23:59:59Z",
            "2026-11-2xT14:25:01Z",
            "２０２６-11-28T14:25:01Z",
        ] {
            assert_eq!(p(bad), None, "{bad}");
        }
    }

    proptest! {
        #[test]
        fn unix_round_trips_through_civil(t in 0u64..=253_402_300_799) {
            let dt = UtcDateTime::from_unix(t);
            prop_assert_eq!(dt.to_unix(), t as i64);
            prop_assert_eq!(UtcDateTime::parse_rfc3339(&dt.to_rfc3339()), Some(dt));
        }

        #[test]
        fn generated_ids_always_parse(kind in prop_oneof![Just(RunKind::Build), Just(RunKind::Validate)],
                                      t in any::<u64>(), r in any::<u32>()) {
            let id = RunId::generate(kind, t, r);
            prop_assert_eq!(RunId::parse(id.as_str()), Ok(id.clone()));
            prop_assert_eq!(id.kind_hint(), Some(kind));
        }

        #[test]
        fn parse_accepts_exactly_the_rule(s in "\\PC{0,100}") {
            let valid = !s.is_empty()
                && s.chars().count() <= RUN_ID_MAX_LEN
                && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                && s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
            prop_assert_eq!(RunId::parse(&s).is_ok(), valid);
        }

        #[test]
        fn parse_accepts_generated_valid_strings(s in "[A-Za-z0-9][A-Za-z0-9_-]{0,95}") {
            prop_assert!(RunId::parse(&s).is_ok());
        }

        #[test]
        fn rfc3339_parse_never_panics(s in "\\PC{0,40}") {
            let _ = UtcDateTime::parse_rfc3339(&s);
        }
    }
}
