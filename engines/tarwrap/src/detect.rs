//! Step 1 of layer detection (spec §2.9): is the blob a tar, and where is its payload?

use blockio::ReadAt;

use crate::error::TarWrapError;
use crate::fields::*;

const BLOCK: u64 = 512;
/// Extended headers (PAX, GNU long names) larger than this are refused rather than loaded.
const MAX_EXTENDED: u64 = 1 << 20;

/// Reads `buf` at `at`; running off the end is reported against the header at `header`.
fn read_exact<R: ReadAt + ?Sized>(
    r: &R,
    at: u64,
    buf: &mut [u8],
    header: u64,
) -> Result<(), TarWrapError> {
    match r.read_exact_at(at, buf) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            Err(TarWrapError::Truncated { offset: header })
        }
        Err(e) => Err(e.into()),
    }
}

fn read_header<R: ReadAt + ?Sized>(r: &R, offset: u64) -> Result<[u8; 512], TarWrapError> {
    let mut b = [0u8; 512];
    read_exact(r, offset, &mut b, offset)?;
    Ok(b)
}

fn checksum_ok(block: &[u8; 512]) -> bool {
    let Some(stored) = parse_number(&block[CHKSUM..CHKSUM + 8]) else {
        return false;
    };
    let (unsigned, signed) = checksums(block);
    i64::try_from(stored).is_ok_and(|s| s == unsigned || s == signed)
}

/// ustar magic at 257 (5 bytes), version "00" at 263 and a valid checksum.
fn looks_like_tar(block: &[u8; 512]) -> bool {
    &block[MAGIC..MAGIC + 5] == b"ustar"
        && &block[VERSION..VERSION + 2] == b"00"
        && checksum_ok(block)
}

/// The `size` value among the PAX records, if any.
fn pax_size(data: &[u8], offset: u64) -> Result<Option<u64>, TarWrapError> {
    let mut rest = data;
    let mut size = None;
    // Data past the last record is block padding.
    while let Some(&first) = rest.first() {
        if first == 0 {
            break;
        }
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| bad_record(offset))?;
        let len: usize = std::str::from_utf8(&rest[..space])
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad_record(offset))?;
        if len <= space + 1 || len > rest.len() || rest[len - 1] != b'\n' {
            return Err(bad_record(offset));
        }
        let record = &rest[space + 1..len - 1];
        let eq = record
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| bad_record(offset))?;
        if &record[..eq] == b"size" {
            let value = std::str::from_utf8(&record[eq + 1..])
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .ok_or_else(|| bad_record(offset))?;
            size = Some(value);
        }
        rest = &rest[len..];
    }
    Ok(size)
}

fn bad_record(offset: u64) -> TarWrapError {
    TarWrapError::BadPaxRecord { offset }
}

/// Finds the first regular member of a tar blob: `Some((offset, len))` of its data, `None`
/// when block 0 is not a tar header (the blob is then a bare ZFile or LSMT file).
pub fn find_payload<R: ReadAt + ?Sized>(r: &R) -> Result<Option<(u64, u64)>, TarWrapError> {
    let total = r.size();
    if total < BLOCK {
        return Ok(None);
    }
    let first = read_header(r, 0)?;
    if !looks_like_tar(&first) {
        return Ok(None);
    }
    let mut global_size: Option<u64> = None;
    let mut local_size: Option<u64> = None;
    let mut pos = 0u64;
    loop {
        let header = if pos == 0 {
            first
        } else {
            read_header(r, pos)?
        };
        if header.iter().all(|&b| b == 0) {
            return Err(TarWrapError::NoRegularMember);
        }
        if !checksum_ok(&header) {
            return Err(TarWrapError::BadChecksum { offset: pos });
        }
        let size = parse_number(&header[SIZE..SIZE + 12]).ok_or(TarWrapError::BadNumber {
            offset: pos,
            field: "size",
        })?;
        let data_at = pos
            .checked_add(BLOCK)
            .ok_or(TarWrapError::Truncated { offset: pos })?;
        match header[TYPEFLAG] {
            b'x' | b'g' => {
                if size > MAX_EXTENDED {
                    return Err(TarWrapError::ExtendedHeaderTooLarge { offset: pos, size });
                }
                let mut data = vec![0u8; size as usize];
                read_exact(r, data_at, &mut data, pos)?;
                let found = pax_size(&data, pos)?;
                if header[TYPEFLAG] == b'x' {
                    local_size = found.or(local_size);
                } else {
                    global_size = found.or(global_size);
                }
            }
            b'0' | b'\0' | b'7' => {
                // A PAX size of 0 falls back to the header's field, as upstream does.
                let len = local_size
                    .or(global_size)
                    .filter(|&s| s > 0)
                    .unwrap_or(size);
                let fits = data_at.checked_add(len).is_some_and(|end| end <= total);
                if !fits {
                    return Err(TarWrapError::PayloadOutOfRange {
                        offset: data_at,
                        len,
                        size: total,
                    });
                }
                return Ok(Some((data_at, len)));
            }
            // GNU long name/link: belongs to the next member, like a PAX header; skip it.
            b'L' | b'K' => {}
            // A non-regular member consumes the pending PAX records; skip its data.
            _ => local_size = None,
        }
        let padded = size
            .checked_next_multiple_of(BLOCK)
            .ok_or(TarWrapError::Truncated { offset: pos })?;
        pos = data_at
            .checked_add(padded)
            .filter(|&next| next < total)
            .ok_or(TarWrapError::Truncated { offset: pos })?;
    }
}
