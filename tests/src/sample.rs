//! The project's own sample image: three gzip layers exercising the common corners (symlinked
//! parents as in merged-/usr images, whiteouts, an opaque directory, hard links, xattrs,
//! devices, a long name, a large directory). Deterministic: the same bytes on every run.

use crate::oci::{Layout, sha256_hex};
use anyhow::Result;
use flate2::{Compression, write::GzEncoder};
use std::io::Write;
use std::path::Path;

const MTIME: u64 = 1_700_000_000;

/// Writes the sample image into an OCI layout at `root`, tagged `latest`.
pub fn write_sample_image(root: &Path) -> Result<()> {
    let layers = [base_layer()?, update_layer()?, small_layer()?];
    let mut layout = Layout::create(root)?;
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for tar in &layers {
        let mut gz = GzEncoder::new(Vec::new(), Compression::new(6));
        gz.write_all(tar)?;
        let blob = gz.finish()?;
        let digest = layout.put_blob(&blob)?;
        diff_ids.push(format!("sha256:{}", sha256_hex(tar)));
        descriptors.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
            "digest": digest,
            "size": blob.len(),
        }));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "config": { "Cmd": ["/usr/bin/hello"], "Env": ["PATH=/usr/bin"] },
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))?;
    let config_digest = layout.put_blob(&config)?;
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": descriptors,
    }))?;
    let manifest_digest = layout.put_blob(&manifest)?;
    layout.tag(
        "application/vnd.oci.image.manifest.v1+json",
        &manifest_digest,
        manifest.len(),
        "latest",
    );
    layout.finish()
}

/// The uncompressed layer tars, bottom first (for tests that apply them directly).
pub fn sample_layer_tars() -> Result<Vec<Vec<u8>>> {
    Ok(vec![base_layer()?, update_layer()?, small_layer()?])
}

fn base_layer() -> Result<Vec<u8>> {
    let mut t = TarWriter::new();
    for d in [
        "etc",
        "usr",
        "usr/bin",
        "usr/lib",
        "usr/share",
        "usr/share/many",
        "tmp",
        "dev",
    ] {
        t.dir(d, if d == "tmp" { 0o1777 } else { 0o755 })?;
    }
    t.symlink("bin", "usr/bin")?;
    t.symlink("lib", "usr/lib")?;
    t.file("etc/hostname", 0o644, b"sample\n")?;
    t.file(
        "etc/os-release",
        0o644,
        b"NAME=\"convertor sample\"\nID=sample\n",
    )?;
    t.file("usr/bin/hello", 0o755, &pseudo_random(1 << 20, 7, true))?;
    t.hardlink("usr/bin/hello-link", "usr/bin/hello")?;
    t.file_xattr(
        "usr/bin/ping",
        0o755,
        &pseudo_random(40_000, 9, true),
        &[(
            "security.capability",
            &[
                1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            ],
        )],
    )?;
    t.file("usr/bin/su", 0o4755, &pseudo_random(10_000, 11, true))?;
    t.file(
        "usr/lib/libdemo.so",
        0o644,
        &pseudo_random(256 << 10, 13, false),
    )?;
    t.device("dev/null", tar::EntryType::Char, 1, 3)?;
    t.device("dev/sda", tar::EntryType::Block, 8, 0)?;
    t.device("dev/initctl", tar::EntryType::Fifo, 0, 0)?;
    for i in 0..300 {
        t.file(
            &format!("usr/share/many/entry-{i:04}.txt"),
            0o644,
            format!("entry {i}\n").as_bytes(),
        )?;
    }
    t.finish()
}

fn update_layer() -> Result<Vec<u8>> {
    let mut t = TarWriter::new();
    t.file("etc/.wh.hostname", 0o644, b"")?;
    t.dir("usr/share/many", 0o755)?;
    t.file("usr/share/many/.wh..wh..opq", 0o644, b"")?;
    t.file(
        "usr/share/many/kept.txt",
        0o644,
        b"only this one survives the opaque marker\n",
    )?;
    // Written through the `lib -> usr/lib` symlink of the base layer, as merged-/usr images do.
    t.file(
        "lib/libextra.so",
        0o644,
        &pseudo_random(64 << 10, 17, false),
    )?;
    let deep = "usr/share/a-rather-long-directory-name-for-testing/".repeat(3);
    t.file(
        &format!("{deep}and-a-file-whose-full-path-is-longer-than-one-hundred-bytes.txt"),
        0o600,
        b"long\n",
    )?;
    t.file(
        "usr/lib/libdemo.so",
        0o644,
        &pseudo_random(300 << 10, 19, false),
    )?;
    t.finish()
}

fn small_layer() -> Result<Vec<u8>> {
    let mut t = TarWriter::new();
    t.file("usr/bin/.wh.hello-link", 0o644, b"")?;
    t.file("hello.txt", 0o644, b"hello from the top layer\n")?;
    t.finish()
}

/// Deterministic bytes; `text` makes them compress like program text, otherwise like data.
fn pseudo_random(len: usize, seed: u64, text: bool) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if text {
                b"abcdefgh \n"[(x % 10) as usize]
            } else {
                x as u8
            }
        })
        .collect()
}

struct TarWriter {
    builder: tar::Builder<Vec<u8>>,
}

impl TarWriter {
    fn new() -> Self {
        let mut builder = tar::Builder::new(Vec::new());
        builder.mode(tar::HeaderMode::Deterministic);
        Self { builder }
    }

    fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_size(size);
        h.set_mtime(MTIME);
        h.set_uid(0);
        h.set_gid(0);
        h
    }

    fn dir(&mut self, path: &str, mode: u32) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Directory, mode, 0);
        self.builder
            .append_data(&mut h, format!("{path}/"), std::io::empty())?;
        Ok(())
    }

    fn file(&mut self, path: &str, mode: u32, data: &[u8]) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Regular, mode, data.len() as u64);
        self.builder.append_data(&mut h, path, data)?;
        Ok(())
    }

    fn file_xattr(
        &mut self,
        path: &str,
        mode: u32,
        data: &[u8],
        xattrs: &[(&str, &[u8])],
    ) -> Result<()> {
        let records: Vec<(String, &[u8])> = xattrs
            .iter()
            .map(|(k, v)| (format!("SCHILY.xattr.{k}"), *v))
            .collect();
        self.builder
            .append_pax_extensions(records.iter().map(|(k, v)| (k.as_str(), *v)))?;
        self.file(path, mode, data)
    }

    fn symlink(&mut self, path: &str, target: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Symlink, 0o777, 0);
        self.builder.append_link(&mut h, path, target)?;
        Ok(())
    }

    fn hardlink(&mut self, path: &str, target: &str) -> Result<()> {
        let mut h = Self::header(tar::EntryType::Link, 0o755, 0);
        self.builder.append_link(&mut h, path, target)?;
        Ok(())
    }

    fn device(&mut self, path: &str, kind: tar::EntryType, major: u32, minor: u32) -> Result<()> {
        let mut h = Self::header(kind, 0o666, 0);
        h.set_device_major(major)?;
        h.set_device_minor(minor)?;
        self.builder.append_data(&mut h, path, std::io::empty())?;
        Ok(())
    }

    fn finish(self) -> Result<Vec<u8>> {
        Ok(self.builder.into_inner()?)
    }
}
