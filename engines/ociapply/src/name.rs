//! Tar member names: lexical cleaning confined to the image root, whiteout markers.

/// Longest name component the filesystems we target accept.
pub(crate) const NAME_MAX: usize = 255;

const WHITEOUT_PREFIX: &[u8] = b".wh.";
const OPAQUE_MARKER: &[u8] = b".wh..wh..opq";
/// AUFS metadata names (`.wh..wh.plnk` ...) that carry no OCI meaning.
const META_PREFIX: &[u8] = b".wh..wh.";

/// Splits a tar name into cleaned components: empty and `.` components are dropped, `..`
/// removes the previous component and stays at the root, a leading `/` is irrelevant. The
/// result can therefore never name anything outside the image root.
pub(crate) fn clean(path: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for c in path.split(|&b| b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                out.pop();
            }
            _ => out.push(c.to_vec()),
        }
    }
    out
}

/// The components of a symlink target, for walking it (`..` is kept: it is resolved
/// against the directory the walk has reached, not lexically).
pub(crate) fn link_components(target: &[u8]) -> impl DoubleEndedIterator<Item = &[u8]> {
    target
        .split(|&b| b == b'/')
        .filter(|c| !c.is_empty() && *c != b".")
}

pub(crate) fn too_long(component: &[u8]) -> bool {
    component.len() > NAME_MAX
}

/// What a base name means to the OCI whiteout convention.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Marker<'a> {
    /// An ordinary name.
    None,
    /// `.wh..wh..opq`: hide every lower child of the directory.
    Opaque,
    /// `.wh.NAME`: hide `NAME`.
    Whiteout(&'a [u8]),
    /// A `.wh.` name that hides nothing usable (`.wh.`, `.wh..`, AUFS metadata).
    Ignored,
}

pub(crate) fn marker(base: &[u8]) -> Marker<'_> {
    if base == OPAQUE_MARKER {
        return Marker::Opaque;
    }
    if base.starts_with(META_PREFIX) {
        return Marker::Ignored;
    }
    match base.strip_prefix(WHITEOUT_PREFIX) {
        None => Marker::None,
        Some(b"" | b"." | b"..") => Marker::Ignored,
        Some(name) => Marker::Whiteout(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn joined(p: &[u8]) -> Vec<u8> {
        clean(p).join(&b'/')
    }

    #[test]
    fn cleaning_confines_to_root() {
        assert_eq!(joined(b"./a//b/./c/"), b"a/b/c");
        assert_eq!(joined(b"/abs/path"), b"abs/path");
        assert_eq!(joined(b"a/../b"), b"b");
        assert_eq!(joined(b"../../etc/passwd"), b"etc/passwd");
        assert_eq!(joined(b"a/b/../../../c"), b"c");
        assert!(clean(b"./").is_empty());
        assert!(clean(b"/..").is_empty());
        assert!(clean(b"").is_empty());
    }

    #[test]
    fn markers() {
        assert_eq!(marker(b".wh..wh..opq"), Marker::Opaque);
        assert_eq!(marker(b".wh.foo"), Marker::Whiteout(b"foo"));
        assert_eq!(marker(b".wh..hidden"), Marker::Whiteout(b".hidden"));
        assert_eq!(marker(b".wh..wh.plnk"), Marker::Ignored);
        assert_eq!(marker(b".wh."), Marker::Ignored);
        assert_eq!(marker(b".wh.."), Marker::Ignored);
        assert_eq!(marker(b"a.wh.x"), Marker::None);
    }

    #[test]
    fn link_components_keep_dotdot() {
        let v: Vec<&[u8]> = link_components(b"/../a/./b//").collect();
        assert_eq!(v, vec![&b".."[..], b"a", b"b"]);
    }
}
