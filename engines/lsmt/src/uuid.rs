//! Photon-style UUIDs: 16 raw bytes, stored in headers as an upper-case 37-byte C string.

use crate::error::{Error, Result};
use std::fmt;

/// Length of the on-disk string form including its NUL.
pub const UUID_STRING_LEN: usize = 37;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Uuid(pub [u8; 16]);

impl Uuid {
    pub const NULL: Uuid = Uuid([0; 16]);

    pub fn is_null(&self) -> bool {
        self.0 == [0; 16]
    }

    /// Parses `8-4-4-4-12` hex digits of either case.
    pub fn parse(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let bad = || Error::InvalidUuid(s.to_string());
        if b.len() != 36 {
            return Err(bad());
        }
        let mut out = [0u8; 16];
        let mut digits = b.iter().enumerate().filter_map(|(i, &c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                None
            } else {
                Some(c)
            }
        });
        for (i, &c) in b.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) && c != b'-' {
                return Err(bad());
            }
        }
        for byte in &mut out {
            let (Some(hi), Some(lo)) = (digits.next(), digits.next()) else {
                return Err(bad());
            };
            let (Some(hi), Some(lo)) = (hex(hi), hex(lo)) else {
                return Err(bad());
            };
            *byte = hi << 4 | lo;
        }
        Ok(Uuid(out))
    }

    /// Upstream ignores empty or malformed UUID options; so does this.
    pub fn parse_or_null(s: &str) -> Uuid {
        Uuid::parse(s).unwrap_or(Uuid::NULL)
    }

    /// The 37-byte on-disk form: upper-case hex, dashes, trailing NUL.
    pub fn to_header_bytes(&self) -> [u8; UUID_STRING_LEN] {
        let mut out = [0u8; UUID_STRING_LEN];
        let s = self.to_string();
        out[..36].copy_from_slice(s.as_bytes());
        out
    }

    /// Reads the on-disk form; anything unparsable counts as null, as upstream's parse failure does.
    pub fn from_header_bytes(b: &[u8]) -> Uuid {
        b.get(..36)
            .and_then(|s| std::str::from_utf8(s).ok())
            .map(Uuid::parse_or_null)
            .unwrap_or(Uuid::NULL)
    }
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

impl fmt::Display for Uuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

impl std::str::FromStr for Uuid {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Uuid::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_both_cases_and_print_upper() {
        let u = Uuid::parse("deadbeef-0001-0002-0003-00000000abcd").unwrap();
        assert_eq!(u.to_string(), "DEADBEEF-0001-0002-0003-00000000ABCD");
        assert_eq!(
            Uuid::parse("DEADBEEF-0001-0002-0003-00000000ABCD").unwrap(),
            u
        );
        assert_eq!(u.0[0], 0xde);
        assert_eq!(
            &u.to_header_bytes()[..],
            b"DEADBEEF-0001-0002-0003-00000000ABCD\0"
        );
    }

    #[test]
    fn rejects_malformed() {
        for s in [
            "",
            "deadbeef-0001-0002-0003-00000000abc",
            "deadbeef00001-0002-0003-00000000abcd",
            "deadbeeg-0001-0002-0003-00000000abcd",
            "deadbeef-0001-0002-0003-00000000abcdé",
        ] {
            assert!(Uuid::parse(s).is_err(), "{s}");
        }
        assert!(Uuid::parse_or_null("x").is_null());
        assert_eq!(
            Uuid::NULL.to_string(),
            "00000000-0000-0000-0000-000000000000"
        );
    }
}
