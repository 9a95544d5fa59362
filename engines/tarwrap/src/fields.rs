//! Tar header field offsets, number formats and the header checksum.

pub const NAME: usize = 0;
pub const MODE: usize = 100;
pub const UID: usize = 108;
pub const GID: usize = 116;
pub const SIZE: usize = 124;
pub const MTIME: usize = 136;
pub const CHKSUM: usize = 148;
pub const TYPEFLAG: usize = 156;
pub const MAGIC: usize = 257;
pub const VERSION: usize = 263;
pub const UNAME: usize = 265;
pub const GNAME: usize = 297;
pub const DEVMAJOR: usize = 329;
pub const DEVMINOR: usize = 337;

/// Copies `s` into the field at `at`, at most `max` bytes (the rest stays NUL).
pub fn put_str(block: &mut [u8; 512], at: usize, max: usize, s: &[u8]) {
    let n = s.len().min(max);
    block[at..at + n].copy_from_slice(&s[..n]);
}

/// `value` in octal, right-aligned with spaces in `width` characters (C's `%<width>o`).
pub fn octal_spaced(value: u64, width: usize) -> String {
    format!("{value:>width$o}")
}

/// `value` in octal, zero-padded to `width` digits (Go archive/tar's formatOctal).
pub fn octal_zeroed(value: u64, width: usize) -> String {
    format!("{value:0width$o}")
}

/// Byte sums of a header with the checksum field read as eight spaces: (unsigned, signed).
pub fn checksums(block: &[u8; 512]) -> (i64, i64) {
    let mut unsigned = 0i64;
    let mut signed = 0i64;
    for (i, &b) in block.iter().enumerate() {
        let b = if (CHKSUM..CHKSUM + 8).contains(&i) {
            b' '
        } else {
            b
        };
        unsigned += i64::from(b);
        signed += i64::from(b as i8);
    }
    (unsigned, signed)
}

/// The `overlaybd-commit -t` checksum format: six octal digits space-padded, space, NUL.
pub fn set_checksum_c(block: &mut [u8; 512]) {
    let (sum, _) = checksums(block);
    let text = format!("{} \0", octal_spaced(sum as u64, 6));
    block[CHKSUM..CHKSUM + 8].copy_from_slice(text.as_bytes());
}

/// Go archive/tar's checksum format: six zero-padded octal digits, NUL, space.
pub fn set_checksum_go(block: &mut [u8; 512]) {
    let (sum, _) = checksums(block);
    let text = format!("{}\0 ", octal_zeroed(sum as u64, 6));
    block[CHKSUM..CHKSUM + 8].copy_from_slice(text.as_bytes());
}

/// Parses a numeric field: octal digits between optional spaces/NULs, or GNU base-256.
pub fn parse_number(field: &[u8]) -> Option<u64> {
    let first = *field.first()?;
    if first & 0x80 != 0 {
        // Base-256: a negative value (0xFF lead) is never a valid size.
        if first == 0xFF {
            return None;
        }
        let mut v: u64 = u64::from(first & 0x7F);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let text: &[u8] = {
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        field[..end].trim_ascii()
    };
    if text.is_empty() {
        return Some(0);
    }
    let mut v: u64 = 0;
    for &b in text {
        if !(b'0'..=b'7').contains(&b) {
            return None;
        }
        v = v.checked_mul(8)?.checked_add(u64::from(b - b'0'))?;
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_formats() {
        assert_eq!(octal_spaced(17, 11), "         21");
        assert_eq!(octal_zeroed(0o444, 7), "0000444");
        assert_eq!(parse_number(b"         21 "), Some(17));
        assert_eq!(parse_number(b"00000000644\0"), Some(0o644));
        assert_eq!(parse_number(b"\0\0\0\0"), Some(0));
        assert_eq!(
            parse_number(&[0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0x2D, 0xC6, 0xC0]),
            Some(3_000_000)
        );
        assert_eq!(parse_number(b"12 9"), None);
        assert_eq!(parse_number(&[0xFF; 12]), None);
    }
}
