//! Numbers in header fields (octal text or GNU base-256) and in PAX records (decimal text).

/// Why a number could not be read; callers attach the field name and offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Invalid,
    Overflow,
}

/// A header numeric field: base-256 when the top bit of the first byte is set, else octal text
/// padded with spaces or NULs (an all-blank field is 0).
pub(crate) fn parse_field(field: &[u8]) -> Result<i64, NumError> {
    match field.split_first() {
        Some((&first, rest)) if first & 0x80 != 0 => base256(first, rest),
        _ => octal(field),
    }
}

/// GNU base-256: big-endian two's complement where 0x80 marks a positive and 0xff a
/// negative number; inverting the bytes of a negative one yields `-value - 1`.
fn base256(first: u8, rest: &[u8]) -> Result<i64, NumError> {
    let flip = if first & 0x40 != 0 { 0xff } else { 0 };
    let mut acc = u64::from((first ^ flip) & 0x7f);
    for &b in rest {
        if acc >> 56 != 0 {
            return Err(NumError::Overflow);
        }
        acc = (acc << 8) | u64::from(b ^ flip);
    }
    let v = i64::try_from(acc).map_err(|_| NumError::Overflow)?;
    Ok(if flip != 0 { !v } else { v })
}

fn octal(field: &[u8]) -> Result<i64, NumError> {
    let start = field.iter().position(|&b| b != b' ').unwrap_or(field.len());
    let body = field.get(start..).unwrap_or_default();
    let end = body
        .iter()
        .position(|b| !(b'0'..=b'7').contains(b))
        .unwrap_or(body.len());
    let (digits, tail) = body.split_at(end);
    if !tail.iter().all(|&b| b == b' ' || b == 0) {
        return Err(NumError::Invalid);
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v
            .checked_mul(8)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(NumError::Overflow)?;
    }
    i64::try_from(v).map_err(|_| NumError::Overflow)
}

/// A non-empty run of ASCII digits.
pub(crate) fn parse_decimal(text: &[u8]) -> Result<u64, NumError> {
    if text.is_empty() {
        return Err(NumError::Invalid);
    }
    let mut v: u64 = 0;
    for &d in text {
        if !d.is_ascii_digit() {
            return Err(NumError::Invalid);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(NumError::Overflow)?;
    }
    Ok(v)
}

/// A PAX time: `[-]SECONDS[.FRACTION]`, returned as (seconds, nanoseconds) with the
/// nanoseconds always positive (so -1.5 is (-2, 500000000)); digits past the ninth are dropped.
pub(crate) fn parse_pax_time(text: &[u8]) -> Result<(i64, u32), NumError> {
    let (negative, text) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let (secs, frac) = match text.iter().position(|&b| b == b'.') {
        Some(dot) => {
            let (s, f) = text.split_at(dot);
            (s, f.get(1..).unwrap_or_default())
        }
        None => (text, &[][..]),
    };
    let secs = i64::try_from(parse_decimal(secs)?).map_err(|_| NumError::Overflow)?;
    let mut nsec: u32 = 0;
    for i in 0..9 {
        let digit = match frac.get(i) {
            Some(&d) if d.is_ascii_digit() => u32::from(d - b'0'),
            Some(_) => return Err(NumError::Invalid),
            None => 0,
        };
        nsec = nsec * 10 + digit;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return Err(NumError::Invalid);
    }
    if !negative {
        return Ok((secs, nsec));
    }
    if nsec == 0 {
        return Ok((-secs, 0));
    }
    let whole = secs.checked_add(1).ok_or(NumError::Overflow)?;
    Ok((-whole, 1_000_000_000 - nsec))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn octal_fields_with_padding() {
        assert_eq!(parse_field(b"0000644\0"), Ok(0o644));
        assert_eq!(parse_field(b"   644 \0"), Ok(0o644));
        assert_eq!(parse_field(b"\0\0\0\0\0\0\0\0"), Ok(0));
        assert_eq!(parse_field(b"        "), Ok(0));
        assert_eq!(parse_field(b"77777777777\0"), Ok(0o77777777777));
        assert_eq!(parse_field(b"0000648\0"), Err(NumError::Invalid));
        assert_eq!(parse_field(b"06 4\0\0\0\0"), Err(NumError::Invalid));
    }

    #[test]
    fn base256_fields() {
        // uid 3000000 as GNU tar writes it into an 8-byte field.
        let mut f = [0u8; 8];
        f[0] = 0x80;
        f[4..].copy_from_slice(&3_000_000u32.to_be_bytes());
        assert_eq!(parse_field(&f), Ok(3_000_000));
        let neg = [0xffu8; 12];
        assert_eq!(parse_field(&neg), Ok(-1));
        let mut neg2 = [0xffu8; 12];
        neg2[11] = 0xfe;
        assert_eq!(parse_field(&neg2), Ok(-2));
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[1] = 0x01;
        assert_eq!(parse_field(&big), Err(NumError::Overflow));
        let mut max = [0xffu8; 12];
        max[0] = 0x80;
        max[1..4].fill(0);
        max[4] = 0x7f;
        assert_eq!(parse_field(&max), Ok(i64::MAX));
        max[4] = 0x80;
        assert_eq!(parse_field(&max), Err(NumError::Overflow));
    }

    #[test]
    fn pax_times() {
        assert_eq!(
            parse_pax_time(b"1700000000.123456789"),
            Ok((1_700_000_000, 123_456_789))
        );
        assert_eq!(parse_pax_time(b"1.000000001"), Ok((1, 1)));
        assert_eq!(parse_pax_time(b"-86400"), Ok((-86400, 0)));
        assert_eq!(parse_pax_time(b"-1.5"), Ok((-2, 500_000_000)));
        assert_eq!(parse_pax_time(b"5.1234567891234"), Ok((5, 123_456_789)));
        assert_eq!(parse_pax_time(b"5.12x"), Err(NumError::Invalid));
        assert_eq!(parse_pax_time(b""), Err(NumError::Invalid));
        assert_eq!(
            parse_pax_time(b"99999999999999999999"),
            Err(NumError::Overflow)
        );
    }

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_decimal(b"18446744073709551616"),
            Err(NumError::Overflow)
        );
        assert_eq!(parse_decimal(b"+1"), Err(NumError::Invalid));
    }
}
