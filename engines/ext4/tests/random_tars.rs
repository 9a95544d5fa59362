//! Random tar layers (whiteouts, replacements, links, `..` names, symlinked parents) applied
//! onto a real ext4: whether the apply succeeds or fails half-way, the filesystem flushed
//! afterwards is one e2fsck accepts.

use ext4::{Ext4, MkfsOptions};
use ociapply::{ApplyOptions, apply_layer};
use proptest::prelude::*;
use std::fs::{File, OpenOptions};
use std::path::PathBuf;
use std::process::Command;
use tarstream::TarReader;

#[derive(Debug, Clone)]
enum Kind {
    File(usize),
    Dir,
    Symlink(String),
    Hard(String),
    Fifo,
}

fn name() -> impl Strategy<Value = String> {
    let comp = prop_oneof![
        Just("a"),
        Just("b"),
        Just("c"),
        Just(".."),
        Just(".wh.a"),
        Just(".wh.b"),
        Just(".wh..wh..opq"),
    ];
    prop::collection::vec(comp, 1..4).prop_map(|c| c.join("/"))
}

fn member() -> impl Strategy<Value = (String, Kind, u32)> {
    let kind = prop_oneof![
        (0usize..20_000).prop_map(Kind::File),
        Just(Kind::Dir),
        name().prop_map(Kind::Symlink),
        Just(Kind::Symlink("/".into())),
        name().prop_map(Kind::Hard),
        Just(Kind::Fifo),
    ];
    (name(), kind, 0u32..0o10000)
}

fn tar(members: &[(String, Kind, u32)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, kind, mode) in members {
        let mut h = tar::Header::new_gnu();
        h.set_mode(*mode);
        h.set_mtime(1_700_000_000);
        let _ = h.set_path(path);
        let data = match kind {
            Kind::File(n) => {
                h.set_entry_type(tar::EntryType::Regular);
                vec![b'x'; *n]
            }
            Kind::Dir => {
                h.set_entry_type(tar::EntryType::Directory);
                vec![]
            }
            Kind::Symlink(t) | Kind::Hard(t) => {
                let link = matches!(kind, Kind::Hard(_));
                h.set_entry_type(if link {
                    tar::EntryType::Link
                } else {
                    tar::EntryType::Symlink
                });
                let _ = h.set_link_name(t);
                vec![]
            }
            Kind::Fifo => {
                h.set_entry_type(tar::EntryType::Fifo);
                vec![]
            }
        };
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append(&h, data.as_slice()).unwrap();
    }
    b.into_inner().unwrap()
}

fn image() -> (PathBuf, File) {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("random-tars-{n}.raw"));
    let f = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    f.set_len(1 << 30).unwrap();
    (path, f)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn random_layers_leave_a_consistent_filesystem(
        layers in prop::collection::vec(prop::collection::vec(member(), 0..14), 1..4),
        meta_only in any::<bool>(),
    ) {
        let (path, dev) = image();
        let mut fs = Ext4::mkfs(dev, &MkfsOptions { size: 1 << 30 }).unwrap();
        for layer in &layers {
            let bytes = tar(layer);
            // Success or a typed error are both fine; a panic or a broken image are not.
            let _ = apply_layer(&mut fs, &mut TarReader::new(bytes.as_slice()), &ApplyOptions { meta_only });
            fs.flush().unwrap();
        }
        drop(fs);
        let out = Command::new("e2fsck").arg("-fn").arg(&path).output().unwrap();
        let _ = std::fs::remove_file(&path);
        prop_assert!(
            out.status.success(),
            "e2fsck after {:?}:\n{}",
            layers,
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
