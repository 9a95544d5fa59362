//! The project's sample image through the `convertor` binary into both formats: tags, blobs,
//! e2fsck-clean flattened devices, determinism, cleanup of the work directory, and failures
//! that leave no tag behind.

mod pipeline_common;

use convertor::gojson::{self, Image, Manifest};
use convertor::layout::{Layout, Verify};
use convertor_tests::sample::write_sample_image;
use pipeline_common::{assert_ok, checked_manifest, convertor, flatten_and_fsck, tags, tempdir};
use std::path::Path;

fn sample(dir: &Path) -> String {
    let layout = dir.join("layout");
    write_sample_image(&layout).unwrap();
    layout.display().to_string()
}

/// Tags as `tag` a variant of the sample image whose manifest and config `edit` changed.
fn tag_variant(layout: &Layout, tag: &str, edit: impl FnOnce(&mut Manifest, &mut Image)) {
    let src = layout.resolve_tag("latest").unwrap();
    let mut m: Manifest =
        gojson::from_slice(&layout.read_blob(&src.digest, Verify::Yes).unwrap()).unwrap();
    let mut config: Image =
        gojson::from_slice(&layout.read_blob(&m.config.digest, Verify::Yes).unwrap()).unwrap();
    edit(&mut m, &mut config);
    m.config = layout
        .put_json(&m.config.media_type.clone(), &config)
        .unwrap();
    let desc = layout
        .put_json("application/vnd.oci.image.manifest.v1+json", &m)
        .unwrap();
    layout.tag(tag, &desc).unwrap();
}

fn both_formats(layout: &str, work: &Path) -> std::process::Output {
    convertor(&[
        "-r",
        &format!("oci:{layout}"),
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "--vsize",
        "4",
        "-d",
        &work.display().to_string(),
    ])
}

#[test]
fn sample_image_converts_to_both_formats_deterministically() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let work = dir.path().join("work");

    let start = std::time::Instant::now();
    let stdout = assert_ok(&both_formats(&layout_dir, &work));
    eprintln!(
        "sample image, both formats: {:.2?}\n{stdout}",
        start.elapsed()
    );
    // One line per converted layer (3 per format), then one per tag.
    assert_eq!(stdout.lines().filter(|l| l.contains(" layer ")).count(), 6);
    assert!(stdout.contains("overlaybd: tagged obd -> "), "{stdout}");
    assert!(stdout.contains("turboOCI: tagged turbo -> "), "{stdout}");

    let first = tags(Path::new(&layout_dir));
    let names: Vec<&str> = first.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(names, ["latest", "obd", "turbo"]);

    let layout = Layout::open(&layout_dir).unwrap();
    let source = layout.resolve_tag("latest").unwrap();
    let source_manifest: Manifest =
        gojson::from_slice(&layout.read_blob(&source.digest, Verify::Yes).unwrap()).unwrap();
    for (tag, layer_type) in [
        ("obd", "application/vnd.docker.image.rootfs.diff.tar"),
        ("turbo", "application/vnd.docker.image.rootfs.diff.tar.gzip"),
    ] {
        let desc = layout.resolve_tag(tag).unwrap();
        assert_eq!(
            desc.media_type,
            "application/vnd.docker.distribution.manifest.v2+json"
        );
        let m = checked_manifest(&layout, &desc);
        assert_eq!(m.layers().len(), 3, "{tag}");
        for (out, src) in m.layers().iter().zip(source_manifest.layers()) {
            assert_eq!(out.media_type, layer_type);
            assert_eq!(
                out.annotations["containerd.io/snapshot/overlaybd/blob-digest"],
                out.digest
            );
            assert_eq!(
                out.annotations["containerd.io/snapshot/overlaybd/blob-size"],
                out.size.to_string()
            );
            if tag == "turbo" {
                assert_eq!(
                    out.annotations["containerd.io/snapshot/overlaybd/turbo-oci/target-digest"],
                    src.digest
                );
            }
        }
        let fsck = flatten_and_fsck(&layout, &m, &dir.path().join(format!("{tag}.raw")));
        let summary = fsck
            .lines()
            .find(|l| l.contains(" files ("))
            .unwrap_or_default();
        assert!(!summary.is_empty(), "{fsck}");
        eprintln!("{tag}: {summary}");
    }
    // Nothing is left in the work directory but the directory itself.
    assert_eq!(std::fs::read_dir(&work).unwrap().count(), 0);

    // A second run gives the same documents (the tags are replaced in place).
    let out = convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--turboOCI",
        "turbo",
        "--vsize",
        "4",
        "-d",
        &work.display().to_string(),
        "--json",
    ]);
    let json: serde_json::Value = serde_json::from_str(assert_ok(&out).trim()).unwrap();
    assert_eq!(tags(Path::new(&layout_dir)), first);
    let targets = json["targets"].as_array().unwrap();
    assert_eq!(targets.len(), 2);
    for (t, (tag, digest)) in targets.iter().zip(&first[1..]) {
        assert_eq!(t["tag"], tag.as_str());
        assert_eq!(t["tagged"], true);
        assert_eq!(t["descriptor"]["digest"], digest.as_str());
        let layers = t["images"][0]["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 3);
        assert!(layers.iter().all(|l| l["seconds"].as_f64().unwrap() >= 0.0));
    }
}

/// A layer blob whose bytes no longer match its digest.
#[test]
fn corrupt_layer_blob_fails_without_tagging() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let layout = Layout::open(&layout_dir).unwrap();
    let src = layout.resolve_tag("latest").unwrap();
    let m: Manifest =
        gojson::from_slice(&layout.read_blob(&src.digest, Verify::Yes).unwrap()).unwrap();
    let path = layout.blob_path(&m.layers()[1].digest).unwrap();
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();

    let before = tags(Path::new(&layout_dir));
    let out = both_formats(&layout_dir, &dir.path().join("work"));
    assert_eq!(out.status.code(), Some(1));
    let err = error_line(&out);
    assert!(err.contains("is corrupt"), "{err}");
    assert_eq!(tags(Path::new(&layout_dir)), before);
}

/// A layer with a valid digest that is not a tar: the engine rejects it.
#[test]
fn engine_failure_fails_without_tagging() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let layout = Layout::open(&layout_dir).unwrap();
    // An uncompressed "tar" whose diff_id is right, so the host's checks pass and the engine
    // is the one to find it is no tar.
    let garbage: Vec<u8> = (0..20_000u32).map(|i| (i * 7 + 3) as u8).collect();
    let (digest, size) = layout.write_blob(&garbage).unwrap();
    tag_variant(&layout, "broken", |m, config| {
        let layers = m.layers.as_mut().unwrap();
        layers[1].digest = digest.clone();
        layers[1].size = size as i64;
        layers[1].media_type = "application/vnd.oci.image.layer.v1.tar".into();
        config.rootfs.diff_ids.as_mut().unwrap()[1] = digest;
    });

    let before = tags(Path::new(&layout_dir));
    for format in ["--overlaybd", "--turboOCI"] {
        let out = convertor(&[
            "-r",
            &format!("oci:{layout_dir}"),
            "-i",
            "broken",
            format,
            "out",
            "-d",
            &dir.path().join("work").display().to_string(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let err = error_line(&out);
        assert!(err.contains("failed to convert layer 1"), "{err}");
        assert!(err.contains("the engine failed"), "{err}");
        assert_eq!(tags(Path::new(&layout_dir)), before, "{format}");
    }
}

/// A config whose diff_id does not match the layer's content: the host's check names both.
#[test]
fn wrong_diff_id_fails_without_tagging() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let layout = Layout::open(&layout_dir).unwrap();
    let wrong = format!("sha256:{}", "ab".repeat(32));
    tag_variant(&layout, "lying", |_, config| {
        config.rootfs.diff_ids.as_mut().unwrap()[2] = wrong.clone();
    });

    let before = tags(Path::new(&layout_dir));
    let out = convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "lying",
        "--overlaybd",
        "out",
        "-d",
        &dir.path().join("work").display().to_string(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = error_line(&out);
    assert!(
        err.contains(&format!("the image config says its diff_id is {wrong}")),
        "{err}"
    );
    assert_eq!(tags(Path::new(&layout_dir)), before);
}

#[test]
fn missing_engine_component_is_one_clear_error() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let out = convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--engine",
        "overlaybd=/nonexistent/engine.wasm",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = error_line(&out);
    assert!(err.contains("/nonexistent/engine.wasm"), "{err}");
    assert!(!tags(Path::new(&layout_dir)).iter().any(|(t, _)| t == "obd"));
}

/// The only `error:` line on stderr; there must be exactly one.
fn error_line(out: &std::process::Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "stderr:\n{stderr}");
    errors[0].to_string()
}

/// `--mkfs=false`: both formats stack the sample on upstream's ext4_64 base layer, published
/// as the bottom layer (tar-wrapped for native, bare for TurboOCI) with its digest prepended
/// to the config's diff_ids.
#[test]
fn mkfs_false_builds_on_the_base_layer() {
    let Some(shared) = convertor_tests::shared_dir() else {
        eprintln!("note: ../shared is absent; skipping the base layer test");
        return;
    };
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let out = pipeline_common::convertor_cmd()
        .env("CONVERTOR_BASELAYER", shared.join("golden/ext4_64"))
        .args([
            "-r",
            &format!("oci:{layout_dir}"),
            "-i",
            "latest",
            "--overlaybd",
            "obd",
            "--turboOCI",
            "turbo",
            "--mkfs=false",
            "--oci",
            "-d",
            &dir.path().join("work").display().to_string(),
        ])
        .output()
        .unwrap();
    assert_ok(&out);
    let layout = Layout::open(&layout_dir).unwrap();
    for (tag, base) in [
        (
            "obd",
            "sha256:a8b5fca80efae55088290f3da8110d7742de55c2a378d5ab53226a483f390e21",
        ),
        (
            "turbo",
            "sha256:c3a417552a6cf9ffa959b541850bab7d7f08f4255425bf8b48c85f7b36b378d9",
        ),
    ] {
        let desc = layout.resolve_tag(tag).unwrap();
        let m = checked_manifest(&layout, &desc);
        assert_eq!(m.layers().len(), 4, "{tag}");
        assert_eq!(m.layers()[0].digest, base, "{tag}");
        assert_eq!(
            m.layers()[0].media_type,
            "application/vnd.oci.image.layer.v1.tar"
        );
        let config: convertor::gojson::Image =
            gojson::from_slice(&layout.read_blob(&m.config.digest, Verify::Yes).unwrap()).unwrap();
        assert_eq!(config.diff_ids().len(), 4);
        assert_eq!(config.diff_ids()[0], base);
        flatten_and_fsck(&layout, &m, &dir.path().join(format!("{tag}.raw")));
    }
}

#[test]
fn algorithm_and_block_size_reach_the_zfile() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let out = convertor(&[
        "-r",
        &format!("oci:{layout_dir}"),
        "-i",
        "latest",
        "--overlaybd",
        "obd",
        "--algorithm",
        "zstd",
        "--bs",
        "64",
        "--vsize",
        "4",
        "-d",
        &dir.path().join("work").display().to_string(),
    ]);
    assert_ok(&out);
    let layout = Layout::open(&layout_dir).unwrap();
    let m = checked_manifest(&layout, &layout.resolve_tag("obd").unwrap());
    for l in m.layers() {
        let blob = layout.blob_path(&l.digest).unwrap();
        // obdtool is built beside convertor (`just test` builds the workspace first).
        let obdtool = Path::new(env!("CARGO_BIN_EXE_convertor")).with_file_name("obdtool");
        let info = std::process::Command::new(&obdtool)
            .arg("info")
            .arg(&blob)
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", obdtool.display()));
        let obd = String::from_utf8_lossy(&info.stdout);
        assert!(
            obd.contains("zfile: Zstd, block size 65536"),
            "layer {}: {obd}",
            l.digest
        );
    }
    flatten_and_fsck(&layout, &m, &dir.path().join("obd.raw"));
}

/// A gzip layer above the first whose deflate stream is broken but whose digest is right:
/// native reads it from the tar decoded ahead of its conversion (spooled), TurboOCI inflates it
/// itself; both fail naming the layer, and nothing is tagged.
#[test]
fn broken_gzip_above_the_first_layer_fails_without_tagging() {
    let dir = tempdir();
    let layout_dir = sample(dir.path());
    let layout = Layout::open(&layout_dir).unwrap();
    let src = layout.resolve_tag("latest").unwrap();
    let m: Manifest =
        gojson::from_slice(&layout.read_blob(&src.digest, Verify::Yes).unwrap()).unwrap();
    let last = m.layers().len() - 1;
    let good = &m.layers()[last];
    assert!(good.media_type.ends_with("+gzip"), "{}", good.media_type);
    let mut bytes = layout.read_blob(&good.digest, Verify::Yes).unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 32] {
        *b ^= 0x5a;
    }
    let (digest, size) = layout.write_blob(&bytes).unwrap();
    tag_variant(&layout, "broken-gzip", |m, _| {
        let layers = m.layers.as_mut().unwrap();
        layers[last].digest = digest.clone();
        layers[last].size = size as i64;
    });

    let before = tags(Path::new(&layout_dir));
    for format in ["--overlaybd", "--turboOCI"] {
        let work = dir.path().join(format!("work{format}"));
        let out = convertor(&[
            "-r",
            &format!("oci:{layout_dir}"),
            "-i",
            "broken-gzip",
            format,
            "out",
            "-d",
            &work.display().to_string(),
        ]);
        assert_eq!(out.status.code(), Some(1), "{format}");
        let err = error_line(&out);
        assert!(err.contains(&digest), "{format}: {err}");
        assert!(err.contains("does not decompress"), "{format}: {err}");
        assert_eq!(tags(Path::new(&layout_dir)), before, "{format}");
    }
}
