//! Name cleaning, confinement and parent resolution.

mod common;
use common::*;
use ociapply::{ApplyError, FileType, Timestamp};

#[test]
fn dotdot_and_absolute_names_stay_inside() {
    let fs = build(&[&[
        file("../../escape", "1"),
        file("/abs/file", "2"),
        file("a/b/../../../c", "3"),
        file(".//x/./y", "4"),
    ]]);
    assert_eq!(
        paths(&fs.snapshot()),
        ["/", "/abs", "/abs/file", "/c", "/escape", "/x", "/x/y"]
    );
}

#[test]
fn missing_parents_are_created_plain() {
    let fs = build(&[&[file("p/q/r", "x").owner(9, 9).mtime(5, None)]]);
    let s = fs.snapshot();
    for p in ["/p", "/p/q"] {
        let e = at(&s, p);
        assert_eq!(
            (e.kind, e.mode, e.uid, e.gid),
            (FileType::Directory, 0o755, 0, 0)
        );
        assert_eq!(e.mtime, Timestamp::default());
    }
}

#[test]
fn parents_are_followed_through_symlinks_inside_the_image() {
    let lower = [
        dir("usr/lib"),
        symlink("lib", "usr/lib"),
        symlink("abs", "/usr"),
        symlink("up", "../../../../usr"),
        dir("etc"),
        symlink("etc/chain", "../lib"),
    ];
    let mut fs = build(&[&lower]);
    apply(
        &mut fs,
        &[
            file("lib/a.so", "a"),
            file("abs/lib/b.so", "b"),
            file("up/c", "c"),
            file("etc/chain/d", "d"),
            file("lib/new/e", "e"),
        ],
    )
    .unwrap();
    let s = fs.snapshot();
    for p in [
        "/usr/lib/a.so",
        "/usr/lib/b.so",
        "/usr/c",
        "/usr/lib/d",
        "/usr/lib/new/e",
    ] {
        assert_eq!(at(&s, p).kind, FileType::Regular, "{p}");
    }
    assert_eq!(
        at(&s, "/lib").kind,
        FileType::Symlink,
        "the last component is never followed"
    );
}

#[test]
fn symlink_loops_fail() {
    let mut fs = build(&[&[symlink("a", "b"), symlink("b", "a")]]);
    let err = apply(&mut fs, &[file("a/x", "x")]).unwrap_err();
    assert!(
        matches!(&err, ApplyError::SymlinkLoop { path } if path == "a/x"),
        "{err}"
    );
}

#[test]
fn file_where_a_parent_should_be_fails() {
    for lower in [file("f", "x"), symlink("f", "file"), symlink("f", "")] {
        let mut fs = build(&[&[lower.clone(), file("file", "x")]]);
        let err = apply(&mut fs, &[file("f/child", "c")]).unwrap_err();
        assert!(
            matches!(&err, ApplyError::ParentNotDirectory { path } if path == "f/child"),
            "{lower:?}: {err}"
        );
    }
}

#[test]
fn names_longer_than_255_bytes_fail() {
    let ok = "n".repeat(255);
    build(&[&[file(&ok, "fine")]]);
    let long = "n".repeat(256);
    for p in [long.clone(), format!("{long}/x"), format!("d/.wh.{long}")] {
        let mut fs = build(&[&[]]);
        let err = apply(&mut fs, &[file(&p, "x")]).unwrap_err();
        assert!(
            matches!(&err, ApplyError::NameTooLong { path } if *path == p),
            "{err}"
        );
        assert_eq!(fs.snapshot().len(), 1, "nothing was created for {p}");
    }
    // A whiteout of a 255-byte name is 259 bytes long and still valid.
    let mut fs = build(&[&[file(&ok, "x")]]);
    apply(&mut fs, &[whiteout(format!(".wh.{ok}"))]).unwrap();
    assert_eq!(fs.snapshot().len(), 1);
}
