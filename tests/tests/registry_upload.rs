//! Uploads of a registry run: layer blobs go up while later layers convert, large blobs in
//! 16 MiB PATCH chunks. An image of three layers, each one 20 MiB incompressible file, is
//! converted through the recording proxy; the pushed image is pulled back and checked.

mod common;
mod registry_support;

use common::work::Work;
use convertor_tests::oci::{Layout, sha256_hex};
use registry_support::check::flatten_fsck;
use registry_support::proxy::{Faults, Proxy};
use registry_support::{Auth, Registry, convertor, layout_doc, layout_tag, ok};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

const FILE_SIZE: usize = 20 << 20;

/// Deterministic incompressible bytes (xorshift64*).
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        out.extend_from_slice(&x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Three uncompressed tar layers of one big file each, tagged `big`.
fn write_big_image(root: &Path) {
    let mut layout = Layout::create(root).unwrap();
    let mut layers = Vec::new();
    let mut diff_ids = Vec::new();
    for i in 0..3u64 {
        let mut tar = tar::Builder::new(Vec::new());
        let data = noise(i + 7, FILE_SIZE);
        let mut h = tar::Header::new_ustar();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_entry_type(tar::EntryType::Regular);
        tar.append_data(&mut h, format!("big{i}.bin"), &data[..])
            .unwrap();
        let tar = tar.into_inner().unwrap();
        diff_ids.push(format!("sha256:{}", sha256_hex(&tar)));
        let digest = layout.put_blob(&tar).unwrap();
        layers.push(serde_json::json!({
            "mediaType": "application/vnd.oci.image.layer.v1.tar",
            "digest": digest,
            "size": tar.len(),
        }));
    }
    let config = serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64",
        "os": "linux",
        "rootfs": { "type": "layers", "diff_ids": diff_ids },
    }))
    .unwrap();
    let config_digest = layout.put_blob(&config).unwrap();
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": layers,
    }))
    .unwrap();
    let digest = layout.put_blob(&manifest).unwrap();
    layout.tag(
        "application/vnd.oci.image.manifest.v1+json",
        &digest,
        manifest.len(),
        "big",
    );
    layout.finish().unwrap();
}

#[test]
fn layer_blobs_upload_in_chunks_while_later_layers_convert() {
    let work = Work::new("registry-upload");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("src");
    write_big_image(&src);
    ok([
        "copy",
        "--plain",
        &format!("oci:{}:big", src.display()),
        &reg.repo("big:big"),
    ]);
    let proxy = Proxy::start(reg.port, Faults::default());
    let mut child = Command::new(convertor())
        .args([
            "-r",
            &format!("{}/big", proxy.host()),
            "--plain",
            "-i",
            "big",
        ])
        .args([
            "--overlaybd",
            "obd",
            "--turboOCI",
            "turbo",
            "--vsize",
            "1",
            "-d",
        ])
        .arg(work.path("w"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Each converted layer prints a line as it ends: note when.
    let mut lines: Vec<(Instant, String)> = Vec::new();
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        lines.push((Instant::now(), line.unwrap()));
    }
    assert!(child.wait().unwrap().success(), "convertor failed");
    assert_eq!(reg.tags("big"), ["big", "obd", "turbo"]);

    let back = work.path("back");
    ok([
        "copy",
        "--plain",
        &reg.repo("big:obd"),
        &format!("oci:{}:obd", back.display()),
    ]);
    flatten_fsck(&back, "obd", None, &work);
    let m = layout_doc(&back, layout_tag(&back, "obd")["digest"].as_str().unwrap());
    let obd_layers: Vec<(String, u64)> = m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["digest"].as_str().unwrap().to_string(),
                l["size"].as_u64().unwrap(),
            )
        })
        .collect();

    let requests = proxy.timed_requests();
    let closing_put = |digest: &str| {
        requests
            .iter()
            .position(|(_, r)| r.starts_with("PUT ") && r.contains(&format!("digest={digest}")))
            .unwrap_or_else(|| panic!("no upload of {digest}: {requests:#?}"))
    };
    // Each big blob: PATCH chunks of the session, then the closing PUT.
    for (digest, size) in &obd_layers {
        assert!(*size > 16 << 20, "{digest} is only {size} bytes");
        let put = closing_put(digest);
        let session = requests[put]
            .1
            .split("/blobs/uploads/")
            .nth(1)
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string();
        let chunks = requests
            .iter()
            .filter(|(_, r)| r.starts_with("PATCH ") && r.contains(&session))
            .count();
        assert_eq!(chunks as u64, size.div_ceil(16 << 20), "chunks of {digest}");
    }
    // The first layer's blob push (its HEAD, then POST, PATCHes, PUT) began before the last
    // layer's conversion ended.
    let last_done = lines
        .iter()
        .find(|(_, l)| l.starts_with("overlaybd layer 3/3"))
        .unwrap_or_else(|| panic!("no layer line: {lines:#?}"))
        .0;
    let head = format!("HEAD /v2/big/blobs/{}", obd_layers[0].0);
    let first_up = requests
        .iter()
        .find(|(_, r)| *r == head)
        .unwrap_or_else(|| panic!("no {head}"))
        .0;
    assert!(
        first_up < last_done,
        "layer 1's push began {:?} after layer 3 ended",
        first_up - last_done
    );
    // Documents only after every layer was converted.
    let last_layer = lines
        .iter()
        .rfind(|(_, l)| l.contains(" layer "))
        .unwrap()
        .0;
    let first_manifest = requests
        .iter()
        .find(|(_, r)| r.starts_with("PUT ") && r.contains("/manifests/"))
        .unwrap()
        .0;
    assert!(
        first_manifest > last_layer,
        "a manifest went up mid-conversion"
    );
}

#[test]
fn refused_chunks_fall_back_to_one_put() {
    let work = Work::new("registry-upload-monolithic");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let src = work.path("src");
    write_big_image(&src);
    ok([
        "copy",
        "--plain",
        &format!("oci:{}:big", src.display()),
        &reg.repo("big:big"),
    ]);
    let proxy = Proxy::start(
        reg.port,
        Faults {
            refuse_patch: true,
            ..Faults::default()
        },
    );
    ok([
        "-r",
        &format!("{}/big", proxy.host()),
        "--plain",
        "-i",
        "big",
        "--overlaybd",
        "obd",
        "--vsize",
        "1",
        "-d",
        &work.path("w").display().to_string(),
    ]);
    assert_eq!(reg.tags("big"), ["big", "obd"]);
    assert!(proxy.refused_patches() >= 3, "chunks were not tried");
    let requests = proxy.requests();
    assert!(!requests.iter().any(|r| r.starts_with("PATCH ")));
    // Each refused session was cancelled before the whole-file PUT.
    let deletes = requests.iter().filter(|r| r.starts_with("DELETE ")).count();
    assert_eq!(deletes, proxy.refused_patches(), "{requests:#?}");
    assert_eq!(reg.open_uploads("big"), 0);
    let back = work.path("back");
    ok([
        "copy",
        "--plain",
        &reg.repo("big:obd"),
        &format!("oci:{}:obd", back.display()),
    ]);
    flatten_fsck(&back, "obd", None, &work);
}
