//! What happens when an entry lands on an existing path.

mod common;
use common::*;
use ociapply::{ApplyError, FileType, Timestamp};

#[test]
fn file_becomes_dir_and_dir_becomes_file() {
    let lower = [
        dir("r"),
        file("r/f2d", "file"),
        dir("r/d2f"),
        dir("r/d2f/deep"),
        file("r/d2f/deep/x", "x"),
        file("r/d2l", "file"),
    ];
    let mut fs = build(&[&lower]);
    let before = fs.inode_count();
    let upper = [
        dir("r/f2d").mode(0o750),
        file("r/f2d/child", "c"),
        file("r/d2f", "now a file"),
        symlink("r/d2l", "../elsewhere"),
    ];
    apply(&mut fs, &upper).unwrap();
    let s = fs.snapshot();
    assert_eq!(at(&s, "/r/f2d").kind, FileType::Directory);
    assert_eq!(at(&s, "/r/f2d").mode, 0o750);
    assert_eq!(at(&s, "/r/d2f").kind, FileType::Regular);
    assert_eq!(content(&fs, "/r/d2f"), b"now a file");
    assert_eq!(
        at(&s, "/r/d2l").target.as_deref(),
        Some(&b"../elsewhere"[..])
    );
    assert!(!s.contains_key(&b"/r/d2f/deep"[..]));
    // f2d dir + child replace the file; d2f, deep, x go and one file comes.
    assert_eq!(fs.inode_count(), before + 2 - 3);
}

#[test]
fn dir_over_dir_keeps_children_and_updates_attrs() {
    let lower = [
        dir("d").mode(0o755).xattr("user.a", "lower"),
        file("d/child", "c"),
    ];
    let mut fs = build(&[&lower]);
    let upper = [dir("d").mode(0o1777).owner(5, 6).mtime(42, Some(7))];
    apply(&mut fs, &upper).unwrap();
    let s = fs.snapshot();
    let d = at(&s, "/d");
    assert_eq!((d.mode, d.uid, d.gid), (0o1777, 5, 6));
    assert_eq!(d.mtime, Timestamp { sec: 42, nsec: 7 });
    assert_eq!(
        d.xattrs.get(&b"user.a"[..]).map(Vec::as_slice),
        Some(&b"lower"[..])
    );
    assert!(s.contains_key(&b"/d/child"[..]));
}

#[test]
fn file_over_file_replaces_the_inode() {
    let mut fs = build(&[&[file("f", "old").owner(1, 1), hardlink("g", "f")]]);
    apply(&mut fs, &[file("f", "new").mode(0o600)]).unwrap();
    let s = fs.snapshot();
    assert_eq!(content(&fs, "/f"), b"new");
    assert_eq!(
        content(&fs, "/g"),
        b"old",
        "the other name keeps the old inode"
    );
    assert_eq!(at(&s, "/f").hardlink_group, None);
    assert_eq!(at(&s, "/f").mode, 0o600);
}

#[test]
fn replacing_a_dir_holding_this_layers_entries_fails() {
    let mut fs = build(&[&[]]);
    let err = apply(&mut fs, &[dir("a"), file("a/x", "x"), file("a", "file")]).unwrap_err();
    assert!(
        matches!(&err, ApplyError::ReplacedDirectoryNotEmpty { path } if path == "a"),
        "{err}"
    );
}

#[test]
fn same_path_twice_in_a_layer_last_wins() {
    let mut fs = build(&[&[]]);
    apply(
        &mut fs,
        &[file("a", "1"), symlink("a", "t"), dir("b"), file("b", "2")],
    )
    .unwrap();
    let s = fs.snapshot();
    assert_eq!(at(&s, "/a").kind, FileType::Symlink);
    assert_eq!(content(&fs, "/b"), b"2");
}

#[test]
fn root_entry_sets_root_attrs_other_kinds_are_skipped() {
    let mut fs = build(&[&[]]);
    let r = apply(
        &mut fs,
        &[
            dir("./").mode(0o700).owner(3, 4).mtime(9, None),
            file("/", "x"),
            file("a/..", "y"),
        ],
    )
    .unwrap();
    let s = fs.snapshot();
    let root = at(&s, "/");
    assert_eq!(
        (root.mode, root.uid, root.gid, root.mtime.sec),
        (0o700, 3, 4, 9)
    );
    assert_eq!(s.len(), 1, "a/.. is the root: {:?}", paths(&s));
    assert_eq!(r.warnings.len(), 2);
}

#[test]
fn directories_are_restamped_after_the_archive() {
    let mut fs = build(&[&[]]);
    let layer = [
        dir("d").mtime(100, Some(5)),
        file("d/f", "x").mtime(200, None),
        dir("d/e").mtime(300, None),
        dir("d").mtime(111, None),
    ];
    apply(&mut fs, &layer).unwrap();
    let s = fs.snapshot();
    assert_eq!(at(&s, "/d").mtime, Timestamp { sec: 111, nsec: 0 });
    assert_eq!(at(&s, "/d/e").mtime.sec, 300);
    assert_eq!(at(&s, "/d/f").mtime.sec, 200);
}
