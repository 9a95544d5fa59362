//! The 3-block prefix written by `overlaybd-commit -t` and the zero suffix (spec §2.9).

use crate::fields::*;

pub const BLOCK: u64 = 512;
/// PAX header, PAX data, ustar header; the payload starts right after.
pub const PREFIX_LEN: usize = 1536;
/// st_mode of a regular 0644 file under the usual umask.
pub const DEFAULT_MODE: u32 = 0o100644;
pub const DEFAULT_USER: &str = "root";
pub const DEFAULT_GROUP: &str = "root";

const PAX_NAME: &[u8] = b"overlaybd.pax";
const MEMBER_NAME: &[u8] = b"overlaybd.commit";

/// The PAX record `"<L> size=<Z>\n"`, L counting its own digits.
fn size_record(payload_len: u64) -> String {
    let body = format!(" size={payload_len}\n");
    let mut len = body.len() + 1;
    while len.to_string().len() + body.len() != len {
        len = len.to_string().len() + body.len();
    }
    format!("{len}{body}")
}

fn set_magic(block: &mut [u8; 512]) {
    put_str(block, MAGIC, 6, b"ustar\0");
    put_str(block, VERSION, 2, b"00");
}

/// The 1536 bytes in front of a payload of `payload_len` bytes. `mode` is the st_mode written
/// as `%6o` (upstream takes it from the output file); names longer than 31 bytes are cut.
pub fn prefix(payload_len: u64, mode: u32, uname: &str, gname: &str) -> [u8; PREFIX_LEN] {
    let record = size_record(payload_len);

    let mut pax = [0u8; 512];
    put_str(&mut pax, NAME, 100, PAX_NAME);
    let size = format!("{} ", octal_spaced(record.len() as u64, 11));
    put_str(&mut pax, SIZE, 12, size.as_bytes());
    pax[TYPEFLAG] = b'x';
    set_magic(&mut pax);
    set_checksum_c(&mut pax);

    let mut data = [0u8; 512];
    put_str(&mut data, 0, 512, record.as_bytes());

    let mut member = [0u8; 512];
    put_str(&mut member, NAME, 100, MEMBER_NAME);
    let mode = format!("{} \0", octal_spaced(u64::from(mode & 0o777_777), 6));
    put_str(&mut member, MODE, 8, mode.as_bytes());
    put_str(&mut member, UID, 8, b"     0 \0");
    put_str(&mut member, GID, 8, b"     0 \0");
    // The real size lives in the PAX record; timestamps are compiled out upstream.
    put_str(&mut member, SIZE, 12, b"          0 ");
    put_str(&mut member, MTIME, 12, b"          0 ");
    member[TYPEFLAG] = b'0';
    set_magic(&mut member);
    put_str(&mut member, UNAME, 31, uname.as_bytes());
    put_str(&mut member, GNAME, 31, gname.as_bytes());
    set_checksum_c(&mut member);

    let mut out = [0u8; PREFIX_LEN];
    out[..512].copy_from_slice(&pax);
    out[512..1024].copy_from_slice(&data);
    out[1024..].copy_from_slice(&member);
    out
}

/// Bytes after the payload: zero padding to a 512-byte boundary, then two zero blocks.
/// (The prefix is block-aligned, so padding depends on the payload length alone.)
pub fn suffix_len(payload_len: u64) -> u64 {
    (BLOCK - payload_len % BLOCK) % BLOCK + 2 * BLOCK
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_length_counts_its_own_digits() {
        assert_eq!(size_record(14_521_407), "17 size=14521407\n");
        assert_eq!(size_record(0), "9 size=0\n");
        // 9 + 1 digits would make 10, which itself needs two digits.
        assert_eq!(size_record(10), "11 size=10\n");
        assert_eq!(size_record(178_334), "15 size=178334\n");
    }

    #[test]
    fn suffix_pads_then_adds_two_blocks() {
        assert_eq!(suffix_len(0), 1024);
        assert_eq!(suffix_len(1), 1535);
        assert_eq!(suffix_len(512), 1024);
        assert_eq!(1536 + 14_521_407 + suffix_len(14_521_407), 14_524_416);
    }
}
