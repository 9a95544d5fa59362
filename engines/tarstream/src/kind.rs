//! Member type detection (formats.md §3.6), with explicit typeflags taking precedence over
//! the file-type bits some writers leave in the mode field.

use crate::entry::EntryKind;

const S_IFMT: u32 = 0o170_000;
const S_IFDIR: u32 = 0o040_000;
const S_IFREG: u32 = 0o100_000;
const S_IFLNK: u32 = 0o120_000;

/// `mode` is the full header mode (file-type bits included), `path` the resolved name.
pub(crate) fn detect(typeflag: u8, mode: u32, path: &[u8]) -> EntryKind {
    match typeflag {
        b'1' => EntryKind::HardLink,
        b'2' => EntryKind::Symlink,
        b'3' => EntryKind::CharDevice,
        b'4' => EntryKind::BlockDevice,
        b'5' => EntryKind::Directory,
        b'6' => EntryKind::Fifo,
        // Old GNU sparse member: always a regular file, whatever its mode says.
        b'S' => EntryKind::Regular,
        _ => {
            let fmt = mode & S_IFMT;
            if fmt == S_IFDIR || (typeflag == 0 && path.last() == Some(&b'/')) {
                EntryKind::Directory
            } else if matches!(typeflag, b'0' | 0 | b'7') || fmt == S_IFREG {
                EntryKind::Regular
            } else if fmt == S_IFLNK {
                EntryKind::Symlink
            } else {
                EntryKind::Unsupported(typeflag)
            }
        }
    }
}

/// Header-only types never carry data, whatever their size field says (as Go and GNU tar
/// read them); every other member is followed by `size` bytes.
pub(crate) fn has_data(typeflag: u8) -> bool {
    !matches!(typeflag, b'1'..=b'6')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corner_cases() {
        assert_eq!(detect(0, 0o644, b"d/"), EntryKind::Directory);
        assert_eq!(detect(0, 0o644, b"f"), EntryKind::Regular);
        assert_eq!(detect(b'0', 0o644, b"d/"), EntryKind::Regular);
        assert_eq!(detect(b'0', 0o040_755, b"d"), EntryKind::Directory);
        assert_eq!(detect(b'7', 0o644, b"c"), EntryKind::Regular);
        assert_eq!(detect(b'V', 0o100_644, b"v"), EntryKind::Regular);
        assert_eq!(detect(b'V', 0o644, b"v"), EntryKind::Unsupported(b'V'));
        assert_eq!(detect(b'Z', 0o120_777, b"l"), EntryKind::Symlink);
        assert_eq!(detect(b'1', 0o100_644, b"h"), EntryKind::HardLink);
        assert_eq!(detect(b'S', 0o644, b"s"), EntryKind::Regular);
        assert!(!has_data(b'5') && has_data(b'0') && has_data(b'V'));
    }
}
