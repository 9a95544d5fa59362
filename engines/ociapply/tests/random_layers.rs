//! Random small layers of every kind (whiteouts, links, `..` names, loops) applied onto a
//! MemFs never panic and always leave it consistent, whether the apply succeeds or not.

mod common;
use common::*;
use ociapply::memfs::MemFs;
use proptest::prelude::*;

fn name() -> impl Strategy<Value = String> {
    let comp = prop_oneof![
        Just("a"),
        Just("b"),
        Just("c"),
        Just(".."),
        Just("."),
        Just(".wh.a"),
        Just(".wh.b"),
        Just(".wh..wh..opq"),
    ];
    (
        prop_oneof![Just(""), Just("/"), Just("./")],
        prop::collection::vec(comp, 0..4),
    )
        .prop_map(|(lead, c)| format!("{lead}{}", c.join("/")))
}

fn member() -> impl Strategy<Value = T> {
    let kind = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600).prop_map(Kind::File),
        Just(Kind::Dir),
        name().prop_map(|t| Kind::Symlink(t.into_bytes())),
        Just(Kind::Symlink(b"/".to_vec())),
        name().prop_map(|t| Kind::Hard(t.into_bytes())),
        Just(Kind::Char(1, 3)),
        Just(Kind::Block(8, 0)),
        Just(Kind::Fifo),
        Just(Kind::Raw(b'V')),
    ];
    (name(), kind, 0u32..0o10000, 0u32..3, any::<bool>()).prop_map(|(p, k, mode, uid, x)| {
        let m = T {
            path: p.into_bytes(),
            kind: k,
            mode,
            uid,
            gid: uid,
            mtime: 1,
            nsec: None,
            xattrs: Vec::new(),
        };
        if x { m.xattr("user.x", "1") } else { m }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn random_layers_keep_memfs_consistent(
        layers in prop::collection::vec(prop::collection::vec(member(), 0..12), 1..4),
        meta_only in any::<bool>(),
    ) {
        let mut fs = MemFs::with_fragmentation(2);
        for l in &layers {
            // apply_opts checks the MemFs after every apply, successful or not.
            let res = apply_opts(&mut fs, &tar(l), meta_only);
            if let Ok(r) = res {
                prop_assert!(r.entries == l.len() as u64);
            }
            prop_assert!(fs.check().is_ok());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// The fuzz target's check: a valid layer with random bytes flipped is still handled.
    #[test]
    fn corrupted_tars_never_panic(
        layer in prop::collection::vec(member(), 1..6),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        meta_only in any::<bool>(),
    ) {
        let mut bytes = tar(&layer);
        for (i, b) in flips {
            let at = i.index(bytes.len());
            bytes[at] ^= b;
        }
        let mut fs = MemFs::new();
        let _ = apply_opts(&mut fs, &bytes, meta_only);
        prop_assert!(fs.check().is_ok());
    }
}
