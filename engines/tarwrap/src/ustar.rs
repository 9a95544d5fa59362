//! A single USTAR header as Go's archive/tar writes it (the base-layer wrapper of §2.9).

use crate::error::TarWrapError;
use crate::fields::*;

/// Largest size an 11-digit octal field holds.
const MAX_OCTAL_SIZE: u64 = (1 << 33) - 1;

/// Go `tar.Header{Name, Mode, Size}` with everything else zero: numbers zero-padded octal with
/// a NUL, mtime 0, typeflag `0`, empty uname/gname. Follow it with the payload and
/// [`crate::suffix_len`] zero bytes.
pub fn plain_ustar_header(
    name: &str,
    payload_len: u64,
    mode: u32,
) -> Result<[u8; 512], TarWrapError> {
    if name.len() > 100 {
        return Err(TarWrapError::NameTooLong { len: name.len() });
    }
    if payload_len > MAX_OCTAL_SIZE {
        return Err(TarWrapError::SizeTooLarge { size: payload_len });
    }
    let mut b = [0u8; 512];
    put_str(&mut b, NAME, 100, name.as_bytes());
    let num = |b: &mut [u8; 512], at: usize, len: usize, v: u64| {
        put_str(b, at, len, octal_zeroed(v, len - 1).as_bytes());
    };
    num(&mut b, MODE, 8, u64::from(mode & 0o7_777_777));
    num(&mut b, UID, 8, 0);
    num(&mut b, GID, 8, 0);
    num(&mut b, SIZE, 12, payload_len);
    num(&mut b, MTIME, 12, 0);
    b[TYPEFLAG] = b'0';
    put_str(&mut b, MAGIC, 6, b"ustar\0");
    put_str(&mut b, VERSION, 2, b"00");
    num(&mut b, DEVMAJOR, 8, 0);
    num(&mut b, DEVMINOR, 8, 0);
    set_checksum_go(&mut b);
    Ok(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_field_formats() {
        let b = plain_ustar_header("overlaybd.commit", 4_737_695, 0o444).unwrap();
        assert_eq!(&b[MODE..MODE + 8], b"0000444\0");
        assert_eq!(&b[SIZE..SIZE + 12], b"00022045237\0");
        assert_eq!(&b[MTIME..MTIME + 12], b"00000000000\0");
        assert_eq!(&b[DEVMINOR..DEVMINOR + 8], b"0000000\0");
        assert_eq!(b[CHKSUM + 6..CHKSUM + 8], *b"\0 ");
        assert!(b[UNAME..UNAME + 64].iter().all(|&x| x == 0));
        let (sum, _) = checksums(&b);
        assert_eq!(parse_number(&b[CHKSUM..CHKSUM + 8]), Some(sum as u64));
    }

    #[test]
    fn oversize_inputs_are_errors() {
        assert!(matches!(
            plain_ustar_header(&"n".repeat(101), 1, 0o444),
            Err(TarWrapError::NameTooLong { len: 101 })
        ));
        assert!(matches!(
            plain_ustar_header("a", 1 << 33, 0o444),
            Err(TarWrapError::SizeTooLarge { .. })
        ));
    }
}
