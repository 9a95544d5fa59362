//! Both conversions read back through the layer crate give the tree the tars describe, and the
//! device passes e2fsck.

use ext4::Ext4;
use ociapply::{FileType, Filesystem};
use overlaybd::native::{Base, NativeOptions, convert_native};
use overlaybd::turbo::{TurboOptions, convert_turbo};
use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Command;

const VSIZE: u64 = 1 << 30;

fn dir(name: &str) -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn scratch(d: &Path, name: &str) -> File {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(d.join(name))
        .unwrap()
}

fn tar(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (path, data) in entries {
        let mut h = tar::Header::new_gnu();
        if path.ends_with('/') {
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
        } else {
            h.set_mode(0o644);
        }
        h.set_size(data.len() as u64);
        h.set_mtime(1_700_000_000);
        b.append_data(&mut h, path, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A layer that writes a file, replaces it (freeing its blocks) and then adds metadata: the
/// freed blocks must not end up behind both a remote record and a directory block.
fn churn_layer() -> Vec<u8> {
    let big = vec![7u8; 64 << 10];
    let mut entries: Vec<(String, Vec<u8>)> = vec![
        ("gone".into(), big.clone()),
        ("gone".into(), b"replaced\n".to_vec()),
    ];
    for i in 0..400 {
        entries.push((format!("d{i}/"), vec![]));
        entries.push((format!("d{i}/f"), format!("file {i}\n").into_bytes()));
    }
    entries.push(("kept".into(), big));
    let refs: Vec<(&str, &[u8])> = entries
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_slice()))
        .collect();
    tar(&refs)
}

fn base_layer() -> Vec<u8> {
    tar(&[("etc/", b""), ("etc/os", b"base\n"), ("old", &[1u8; 20000])])
}

fn flatten(stack: &lsmt::Stack<'_>, d: &Path) -> PathBuf {
    let raw = d.join("device.raw");
    let mut out = File::create(&raw).unwrap();
    out.set_len(stack.virtual_size()).unwrap();
    layer::flatten(stack, &mut out).unwrap();
    let fsck = Command::new("e2fsck")
        .arg("-fn")
        .arg(&raw)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stdout)
    );
    raw
}

fn check_tree(raw: &Path) {
    let mut fs = Ext4::open(File::open(raw).unwrap().try_clone().map(ReadOnly).unwrap()).unwrap();
    let root = fs.root();
    let (gone, _) = fs.lookup(root, b"gone").unwrap().unwrap();
    assert_eq!(fs.read(gone as u32, 0, 1 << 20).unwrap(), b"replaced\n");
    assert!(fs.lookup(root, b"old").unwrap().is_some());
    let (kept, kind) = fs.lookup(root, b"kept").unwrap().unwrap();
    assert_eq!(kind, FileType::Regular);
    assert_eq!(
        fs.read(kept as u32, 0, 1 << 20).unwrap(),
        vec![7u8; 64 << 10]
    );
    for i in [0, 199, 399] {
        let (d, _) = fs
            .lookup(root, format!("d{i}").as_bytes())
            .unwrap()
            .unwrap();
        let (f, _) = fs.lookup(d, b"f").unwrap().unwrap();
        assert_eq!(
            fs.read(f as u32, 0, 100).unwrap(),
            format!("file {i}\n").into_bytes()
        );
    }
}

/// Opens a raw image for reading only: writes are refused.
struct ReadOnly(File);
impl blockio::ReadAt for ReadOnly {
    fn size(&self) -> u64 {
        self.0.size()
    }
    fn read_at(&self, o: u64, b: &mut [u8]) -> std::io::Result<usize> {
        self.0.read_at(o, b)
    }
}
impl blockio::WriteAt for ReadOnly {
    fn write_at(&mut self, _: u64, _: &[u8]) -> std::io::Result<()> {
        Err(std::io::Error::other("read-only"))
    }
}

#[test]
fn native_two_layers_round_trip() {
    let d = dir("native");
    let mut blobs = Vec::new();
    for (i, t) in [base_layer(), churn_layer()].iter().enumerate() {
        let sources = blobs
            .iter()
            .map(|p: &PathBuf| layer::LayerSource::Native(Box::new(File::open(p).unwrap())))
            .collect::<Vec<_>>();
        let stack = (!sources.is_empty()).then(|| layer::open_stack(sources).unwrap());
        let base = stack
            .as_ref()
            .map_or(Base::Mkfs { vsize: VSIZE }, Base::Lower);
        let out = d.join(format!("l{i}.commit"));
        convert_native(
            t.as_slice(),
            base,
            scratch(&d, "data"),
            scratch(&d, "index"),
            File::create(&out).unwrap(),
            &NativeOptions::default(),
        )
        .unwrap();
        blobs.push(out);
    }
    let sources = blobs
        .iter()
        .map(|p| layer::LayerSource::Native(Box::new(File::open(p).unwrap())))
        .collect();
    check_tree(&flatten(&layer::open_stack(sources).unwrap(), &d));
}

#[test]
fn turbo_two_layers_round_trip_with_deleted_files() {
    let d = dir("turbo");
    let originals = [gzip(&base_layer()), gzip(&churn_layer())];
    let mut metas: Vec<Vec<u8>> = Vec::new();
    let open = |metas: &[Vec<u8>]| {
        let sources = metas
            .iter()
            .zip(&originals)
            .map(|(tgz, orig)| {
                layer::LayerSource::from_meta_layer(tgz.as_slice(), Box::new(orig.clone())).unwrap()
            })
            .collect();
        layer::open_stack(sources).unwrap()
    };
    for orig in &originals {
        let stack = (!metas.is_empty()).then(|| open(&metas));
        let base = stack
            .as_ref()
            .map_or(Base::Mkfs { vsize: VSIZE }, Base::Lower);
        let opts = TurboOptions {
            lower_count: metas.len() as u8,
            ..Default::default()
        };
        let (report, tgz) = convert_turbo(
            orig.as_slice(),
            base,
            scratch(&d, "meta"),
            scratch(&d, "index"),
            Vec::new(),
            &opts,
        )
        .unwrap();
        assert!(report.remote_records > 0);
        metas.push(tgz);
    }
    check_tree(&flatten(&open(&metas), &d));
}

#[test]
fn conversions_are_deterministic() {
    let run = || {
        let d = dir("determinism");
        let (_, native) = convert_native(
            churn_layer().as_slice(),
            Base::<&[u8]>::Mkfs { vsize: VSIZE },
            scratch(&d, "data"),
            scratch(&d, "index"),
            std::io::Cursor::new(Vec::new()),
            &NativeOptions::default(),
        )
        .unwrap();
        let (report, turbo) = convert_turbo(
            gzip(&churn_layer()).as_slice(),
            Base::<&[u8]>::Mkfs { vsize: VSIZE },
            scratch(&d, "meta"),
            scratch(&d, "index"),
            Vec::new(),
            &TurboOptions::default(),
        )
        .unwrap();
        (native.into_inner(), turbo, report.diff_id)
    };
    assert_eq!(run(), run());
}
