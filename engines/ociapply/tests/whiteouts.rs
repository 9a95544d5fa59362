//! Whiteout and opaque-directory rules, with the sparing of this layer's own paths.

mod common;
use common::*;

#[test]
fn whiteout_deletes_recursively_and_is_never_created() {
    let lower = [
        dir("a"),
        file("a/keep", "k"),
        dir("a/tree"),
        dir("a/tree/sub"),
        file("a/tree/sub/f", "f"),
        file("a/gone", "g"),
    ];
    let mut fs = build(&[&lower]);
    let before = fs.inode_count();
    let r = apply(&mut fs, &[whiteout("a/.wh.tree"), whiteout("a/.wh.gone")]).unwrap();
    assert_eq!(r.entries, 2);
    let s = fs.snapshot();
    assert_eq!(paths(&s), ["/", "/a", "/a/keep"]);
    assert_eq!(fs.inode_count(), before - 4);
}

#[test]
fn whiteout_of_missing_target_or_parent_is_ignored() {
    let mut fs = build(&[&[dir("a"), file("a/x", "x")]]);
    let before = fs.snapshot();
    apply(
        &mut fs,
        &[whiteout("a/.wh.nothing"), whiteout("no/such/.wh.dir")],
    )
    .unwrap();
    assert_eq!(fs.snapshot(), before, "no parent is created for a whiteout");
}

#[test]
fn whiteout_spares_paths_of_this_layer() {
    let lower = [
        dir("d"),
        file("d/old", "lower"),
        dir("d/sub"),
        file("d/sub/lower", "l"),
    ];
    let mut fs = build(&[&lower]);
    // Out of the usual order: the whiteout comes after this layer re-created parts of d.
    let upper = [
        dir("d/sub"),
        file("d/sub/new", "n"),
        file("d/new2", "n2"),
        whiteout(".wh.d"),
    ];
    apply(&mut fs, &upper).unwrap();
    let s = fs.snapshot();
    assert_eq!(paths(&s), ["/", "/d", "/d/new2", "/d/sub", "/d/sub/new"]);
}

#[test]
fn opaque_clears_lower_children_but_keeps_this_layer() {
    let lower = [
        dir("o"),
        file("o/old1", "1"),
        dir("o/keepdir"),
        file("o/keepdir/lower", "l"),
        dir("o/olddir"),
        file("o/olddir/x", "x"),
        file("outside", "stays"),
    ];
    let mut fs = build(&[&lower]);
    let upper = [
        dir("o").mode(0o700),
        file("o/new", "n"),
        dir("o/keepdir"),
        file("o/keepdir/upper", "u"),
        whiteout("o/.wh..wh..opq"),
        file("o/after", "a"),
    ];
    apply(&mut fs, &upper).unwrap();
    let s = fs.snapshot();
    assert_eq!(
        paths(&s),
        [
            "/",
            "/o",
            "/o/after",
            "/o/keepdir",
            "/o/keepdir/upper",
            "/o/new",
            "/outside"
        ]
    );
    assert_eq!(
        at(&s, "/o").mode,
        0o700,
        "the opaque marker leaves the directory's attributes"
    );
}

#[test]
fn opaque_first_then_entries() {
    let mut fs = build(&[&[dir("o"), file("o/a", "1"), file("o/b", "2")]]);
    apply(
        &mut fs,
        &[dir("o"), whiteout("o/.wh..wh..opq"), file("o/b", "new")],
    )
    .unwrap();
    let s = fs.snapshot();
    assert_eq!(paths(&s), ["/", "/o", "/o/b"]);
    assert_eq!(content(&fs, "/o/b"), b"new");
}

#[test]
fn opaque_at_root_and_through_symlinked_parent() {
    let lower = [
        dir("usr"),
        dir("usr/lib"),
        file("usr/lib/a", "a"),
        symlink("lib", "usr/lib"),
    ];
    let mut fs = build(&[&lower]);
    apply(&mut fs, &[whiteout("lib/.wh..wh..opq")]).unwrap();
    assert_eq!(paths(&fs.snapshot()), ["/", "/lib", "/usr", "/usr/lib"]);
    apply(&mut fs, &[file("z", "z"), whiteout(".wh..wh..opq")]).unwrap();
    assert_eq!(paths(&fs.snapshot()), ["/", "/z"]);
}

#[test]
fn odd_whiteout_names_hide_nothing() {
    let mut fs = build(&[&[dir("a"), file("a/x", "x")]]);
    let r = apply(
        &mut fs,
        &[
            whiteout("a/.wh."),
            whiteout("a/.wh..wh.plnk"),
            whiteout("a/.wh.."),
        ],
    )
    .unwrap();
    assert_eq!(paths(&fs.snapshot()), ["/", "/a", "/a/x"]);
    assert_eq!(r.warnings.len(), 3, "{:?}", r.warnings);
}

#[test]
fn many_entries_then_opaque_spares_all_of_them() {
    let mut lower = vec![dir("m")];
    lower.extend((0..3000).map(|i| file(format!("m/lower{i:05}"), "l")));
    let mut fs = build(&[&lower]);
    let mut upper = vec![dir("m")];
    upper.extend((0..12000).map(|i| file(format!("m/upper{i:05}"), "")));
    upper.push(whiteout("m/.wh..wh..opq"));
    apply(&mut fs, &upper).unwrap();
    let s = fs.snapshot();
    assert_eq!(s.len(), 2 + 12000);
    assert!(s.keys().all(|k| !k.starts_with(b"/m/lower")));
}
