//! Hard links and symlinks.

mod common;
use common::*;
use ociapply::{ApplyError, FileType};

#[test]
fn hardlinks_in_one_layer_share_an_inode() {
    let fs = build(&[&[
        file("a", "shared").owner(7, 7).mode(0o640),
        hardlink("b", "a").owner(7, 7).mode(0o640),
        hardlink("sub/c", "./a").owner(7, 7).mode(0o640),
    ]]);
    let s = fs.snapshot();
    for p in ["/a", "/b", "/sub/c"] {
        assert_eq!(at(&s, p).hardlink_group.as_deref(), Some(&b"/a"[..]), "{p}");
        assert_eq!(at(&s, p).sha256, at(&s, "/a").sha256);
    }
    assert_eq!(fs.nlink(fs.lookup_path(b"a").unwrap()), Some(3));
}

#[test]
fn hardlink_to_lower_layer_file_reapplies_its_header() {
    let mut fs = build(&[&[dir("f"), file("f/lower", "data").mode(0o644).owner(1, 1)]]);
    apply(
        &mut fs,
        &[hardlink("f/up", "/f/lower")
            .mode(0o600)
            .owner(2, 3)
            .mtime(5, Some(6))],
    )
    .unwrap();
    let s = fs.snapshot();
    let a = at(&s, "/f/lower");
    assert_eq!(
        (a.mode, a.uid, a.gid, a.mtime.sec, a.mtime.nsec),
        (0o600, 2, 3, 5, 6)
    );
    assert_eq!(
        at(&s, "/f/up").hardlink_group.as_deref(),
        Some(&b"/f/lower"[..])
    );
}

#[test]
fn hardlink_onto_its_own_inode_only_updates_attrs() {
    let mut fs = build(&[&[file("a", "x"), hardlink("b", "a")]]);
    let ino = fs.lookup_path(b"b");
    apply(
        &mut fs,
        &[
            hardlink("b", "a").mode(0o400),
            hardlink("a", "a").mode(0o444),
        ],
    )
    .unwrap();
    assert_eq!(fs.lookup_path(b"b"), ino);
    assert_eq!(fs.nlink(ino.unwrap()), Some(2));
    assert_eq!(at(&fs.snapshot(), "/b").mode, 0o444);
}

#[test]
fn hardlink_to_missing_or_directory_fails() {
    for target in ["nope", "d", "d/x/y", "", "/"] {
        let mut fs = build(&[&[dir("d")]]);
        let err = apply(&mut fs, &[hardlink("l", target)]).unwrap_err();
        assert!(
            matches!(&err, ApplyError::HardLinkTargetMissing { path, target: t } if path == "l" && t == target),
            "{target}: {err}"
        );
    }
}

#[test]
fn hardlink_target_resolves_through_symlinked_parents() {
    let mut fs = build(&[&[
        dir("usr/lib"),
        file("usr/lib/x.so", "elf"),
        symlink("lib", "usr/lib"),
    ]]);
    apply(&mut fs, &[hardlink("y.so", "lib/x.so")]).unwrap();
    assert_eq!(
        at(&fs.snapshot(), "/y.so").hardlink_group.as_deref(),
        Some(&b"/usr/lib/x.so"[..])
    );
}

#[test]
fn hardlink_replacing_a_dir_that_held_its_target_fails_cleanly() {
    let mut fs = build(&[&[dir("d"), file("d/t", "t")]]);
    let err = apply(&mut fs, &[hardlink("d", "d/t")]).unwrap_err();
    assert!(
        matches!(err, ApplyError::HardLinkTargetMissing { .. }),
        "{err}"
    );
}

#[test]
fn symlink_targets_are_kept_verbatim() {
    let long = format!("../{}files/one", "./".repeat(94));
    let max = format!("{}z", "a/".repeat(2047));
    let fs = build(&[&[
        symlink("fast", "./a/../b/"),
        symlink("long", &long),
        symlink("max", &max),
        symlink("abs", "/etc/passwd"),
        symlink("loop", "loop").owner(4, 5).mode(0o755),
    ]]);
    let s = fs.snapshot();
    assert_eq!(at(&s, "/fast").target.as_deref(), Some(&b"./a/../b/"[..]));
    assert_eq!(at(&s, "/long").target.as_deref(), Some(long.as_bytes()));
    assert_eq!(at(&s, "/long").size, 200);
    assert_eq!(at(&s, "/max").size, 4095);
    assert_eq!(at(&s, "/abs").target.as_deref(), Some(&b"/etc/passwd"[..]));
    let l = at(&s, "/loop");
    assert_eq!(
        (l.kind, l.mode, l.uid, l.gid),
        (FileType::Symlink, 0o777, 4, 5)
    );
}
