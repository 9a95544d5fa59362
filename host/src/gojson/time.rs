//! `time.Time` as Go's `encoding/json` reads and writes it: RFC 3339 in, RFC 3339 with
//! nanoseconds (trailing zeros trimmed) out, the original UTC offset kept.

use super::decode::GoDecode;
use super::encode::GoEncode;
use serde::Deserialize;
use serde::Deserializer;
use serde_json::value::RawValue;
use std::fmt;

/// A wall-clock time with its UTC offset, as Go keeps it after parsing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GoTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanos: u32,
    /// Offset east of UTC in minutes; 0 renders as `Z`.
    pub offset_minutes: i32,
}

/// Why a time string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("parsing time {input:?} as RFC 3339: {reason}")]
pub struct TimeError {
    pub input: String,
    pub reason: &'static str,
}

impl GoTime {
    /// Parses what Go's `Time.UnmarshalJSON` accepts. Since Go 1.20 that is the fast RFC 3339
    /// parser with a fallback to `time.Parse(time.RFC3339, …)` (strict checks disabled, go.dev/
    /// issue/54580), so this follows the fallback's more lenient grammar: a one-digit hour, a
    /// comma before the fraction, offset hours up to 24 and minutes up to 60 are accepted;
    /// fraction digits past the ninth are dropped, not rounded.
    pub fn parse(s: &str) -> Result<GoTime, TimeError> {
        let err = |reason| TimeError {
            input: s.to_string(),
            reason,
        };
        let mut p = Cursor { s: s.as_bytes() };
        let year = p.digits(4).ok_or(err("bad year"))?;
        p.lit(b'-').ok_or(err("expected '-' after year"))?;
        let month = p.digits(2).ok_or(err("bad month"))?;
        if !(1..=12).contains(&month) {
            return Err(err("month out of range"));
        }
        p.lit(b'-').ok_or(err("expected '-' after month"))?;
        let day = p.digits(2).ok_or(err("bad day"))?;
        p.lit(b'T').ok_or(err("expected 'T'"))?;
        let hour = p.one_or_two_digits().ok_or(err("bad hour"))?;
        if hour > 23 {
            return Err(err("hour out of range"));
        }
        p.lit(b':').ok_or(err("expected ':' after hour"))?;
        let minute = p.digits(2).ok_or(err("bad minute"))?;
        if minute > 59 {
            return Err(err("minute out of range"));
        }
        p.lit(b':').ok_or(err("expected ':' after minute"))?;
        let second = p.digits(2).ok_or(err("bad second"))?;
        if second > 59 {
            return Err(err("second out of range"));
        }
        let nanos = p.fraction();
        let offset_minutes = match p.s.first() {
            Some(b'Z') => {
                p.s = p.s.get(1..).unwrap_or_default();
                0
            }
            Some(&sign @ (b'+' | b'-')) => {
                p.s = p.s.get(1..).unwrap_or_default();
                let hh = p.digits(2).ok_or(err("bad zone offset hour"))?;
                p.lit(b':').ok_or(err("expected ':' in zone offset"))?;
                let mm = p.digits(2).ok_or(err("bad zone offset minute"))?;
                if hh > 24 || mm > 60 {
                    return Err(err("zone offset out of range"));
                }
                let total = (hh * 60 + mm) as i32;
                if sign == b'-' { -total } else { total }
            }
            _ => return Err(err("missing zone offset")),
        };
        if !p.s.is_empty() {
            return Err(err("extra text after time"));
        }
        if day < 1 || day > days_in(month, year) {
            return Err(err("day out of range"));
        }
        Ok(GoTime {
            year: year as u16,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanos,
            offset_minutes,
        })
    }
}

/// RFC 3339 with nanoseconds, as Go's `time.RFC3339Nano` layout prints it.
impl fmt::Display for GoTime {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )?;
        if self.nanos != 0 {
            let frac = format!("{:09}", self.nanos);
            write!(f, ".{}", frac.trim_end_matches('0'))?;
        }
        if self.offset_minutes == 0 {
            f.write_str("Z")
        } else {
            let sign = if self.offset_minutes < 0 { '-' } else { '+' };
            let m = self.offset_minutes.unsigned_abs();
            write!(f, "{sign}{:02}:{:02}", m / 60, m % 60)
        }
    }
}

impl GoEncode for GoTime {
    fn encode(&self, out: &mut Vec<u8>) {
        // Digits, '-', ':', '.', '+', 'T', 'Z' never need escaping.
        out.push(b'"');
        out.extend_from_slice(self.to_string().as_bytes());
        out.push(b'"');
    }
}

impl GoDecode for GoTime {
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        // Go parses the raw string token without unescaping it, so escapes are rejected.
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if text == "null" {
            return Ok(());
        }
        let inner = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .ok_or_else(|| {
                serde::de::Error::custom("Time.UnmarshalJSON: input is not a JSON string")
            })?;
        *self = GoTime::parse(inner).map_err(serde::de::Error::custom)?;
        Ok(())
    }
}

fn days_in(month: u32, year: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

struct Cursor<'a> {
    s: &'a [u8],
}

impl Cursor<'_> {
    fn lit(&mut self, c: u8) -> Option<()> {
        let (&first, rest) = self.s.split_first()?;
        (first == c).then(|| self.s = rest)
    }

    fn digits(&mut self, n: usize) -> Option<u32> {
        let head = self.s.get(..n)?;
        let mut v = 0u32;
        for &c in head {
            if !c.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(c - b'0');
        }
        self.s = self.s.get(n..)?;
        Some(v)
    }

    fn one_or_two_digits(&mut self) -> Option<u32> {
        let two = self.s.get(1).is_some_and(u8::is_ascii_digit);
        self.digits(if two { 2 } else { 1 })
    }

    /// `[.,]digits+`, scaled to nanoseconds; absent means 0.
    fn fraction(&mut self) -> u32 {
        let has = matches!(self.s.first(), Some(b'.' | b','))
            && self.s.get(1).is_some_and(u8::is_ascii_digit);
        if !has {
            return 0;
        }
        let body = self.s.get(1..).unwrap_or_default();
        let n = body.iter().take_while(|c| c.is_ascii_digit()).count();
        let mut nanos = 0u32;
        for i in 0..9 {
            let d = body
                .get(i)
                .filter(|_| i < n)
                .map_or(0, |c| u32::from(c - b'0'));
            nanos = nanos * 10 + d;
        }
        self.s = body.get(n..).unwrap_or_default();
        nanos
    }
}
