//! Engines that break the rules: each limit fails with its own error, and the runtime keeps
//! working afterwards.

mod common;

use std::io::Cursor;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::{hostile_wasm, layer_info, params, sha256};
use engine_runtime::{
    ConvertError, EngineHandle, LayerIo, LayerResult, NoLowers, Runtime, RuntimeConfig,
};

const TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const DEADLINE: Duration = Duration::from_millis(500);
const MEMORY: usize = 64 << 20;
const OUTPUT_MIN: u64 = 4 << 20;

fn engine() -> &'static EngineHandle {
    static ENGINE: OnceLock<EngineHandle> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let config = RuntimeConfig {
            memory_limit_bytes: MEMORY,
            layer_deadline: DEADLINE,
            output_cap_ratio: 1,
            output_cap_min_bytes: OUTPUT_MIN,
            ..RuntimeConfig::default()
        };
        Runtime::new(config)
            .expect("runtime")
            .load(hostile_wasm())
            .expect("load hostile")
    })
}

fn run(mode: &str, source: &[u8]) -> Result<LayerResult, ConvertError> {
    run_in(mode, source, &tempfile::tempdir().unwrap())
}

/// Like `run`, with the published blobs left in `work`.
fn run_in(
    mode: &str,
    source: &[u8],
    work: &tempfile::TempDir,
) -> Result<LayerResult, ConvertError> {
    let info = layer_info(TAR, source, sha256(source));
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };
    let result = engine().convert_layer(
        &params(&[("mode", mode)]),
        Cursor::new(source.to_vec()),
        info,
        NoLowers,
        &io,
    );
    if let Ok(result) = &result {
        // Read the blobs before the work dir goes away.
        for layer in &result.layers {
            assert_eq!(
                std::fs::read(&layer.blob_path).unwrap().len() as u64,
                layer.size
            );
        }
    }
    result
}

/// A well-behaved call right after a failure proves the failure left nothing broken.
fn assert_still_works() {
    let source = b"hello, layer".repeat(100);
    let result = run("ok", &source).expect("a normal conversion after a failure");
    assert_eq!(result.layers.len(), 1);
    assert_eq!(result.layers[0].digest, sha256(&source));
    assert_eq!(
        result.layers[0].diff_id,
        sha256(&source),
        "no diff_id means the blob's digest"
    );
}

#[test]
fn infinite_loop_hits_the_deadline() {
    let start = Instant::now();
    let err = run("loop", b"x").unwrap_err();
    assert!(
        matches!(err, ConvertError::Deadline(d) if d == DEADLINE),
        "unexpected error: {err}"
    );
    assert!(
        start.elapsed() < DEADLINE * 10,
        "interrupted only after {:?}",
        start.elapsed()
    );
    assert!(err.to_string().contains("deadline"));
    assert_still_works();
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let err = run("memory", b"x").unwrap_err();
    match &err {
        ConvertError::MemoryLimit { limit, requested } => {
            assert_eq!(*limit, MEMORY);
            assert!(requested > limit);
        }
        other => panic!("unexpected error: {other}"),
    }
    assert!(err.to_string().contains("memory limit"));
    assert_still_works();
}

#[test]
fn output_bomb_hits_the_output_cap() {
    let source = vec![0u8; 1000];
    let err = run("output", &source).unwrap_err();
    assert!(
        matches!(err, ConvertError::OutputCap { cap } if cap == OUTPUT_MIN + 1000),
        "unexpected error: {err}"
    );
    assert_still_works();
}

#[test]
fn panic_is_a_trap_with_the_message() {
    let err = run("trap", b"some bytes").unwrap_err();
    match &err {
        ConvertError::Trap { message } => {
            assert!(
                message.contains("hostile engine gave up after 4 bytes"),
                "message: {message}"
            );
        }
        other => panic!("unexpected error: {other}"),
    }
    assert_still_works();
}

#[test]
fn descriptor_naming_no_sink_is_malformed() {
    let err = run("bad-descriptor", b"x").unwrap_err();
    assert!(
        matches!(&err, ConvertError::MalformedDescriptor(msg) if msg.contains("no-such-sink")),
        "unexpected error: {err}"
    );
    assert_still_works();
}

#[test]
fn engine_sees_no_time_and_fixed_randomness() {
    let read = |result: LayerResult| std::fs::read_to_string(&result.layers[0].blob_path).unwrap();
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let info = layer_info(TAR, b"x", sha256(b"x"));
        let result = engine()
            .convert_layer(
                &params(&[("mode", "clock")]),
                Cursor::new(b"x".to_vec()),
                info,
                NoLowers,
                &io,
            )
            .expect("clock mode");
        outputs.push(read(result));
    }
    assert!(
        outputs[0].starts_with("now=0 "),
        "the engine saw a clock: {}",
        outputs[0]
    );
    assert_eq!(
        outputs[0], outputs[1],
        "HashMap order must not vary between runs"
    );
}

#[test]
fn scratch_files_and_assets_work() {
    let dir = tempfile::tempdir().unwrap();
    let asset = dir.path().join("base.tar");
    let base = b"base layer bytes".repeat(50);
    std::fs::write(&asset, &base).unwrap();
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        assets: [("base".to_string(), asset.clone())].into(),
        ..LayerIo::default()
    };
    let info = layer_info(TAR, b"x", sha256(b"x"));

    let result = engine()
        .convert_layer(
            &params(&[("mode", "scratch")]),
            Cursor::new(b"x".to_vec()),
            info,
            NoLowers,
            &io,
        )
        .expect("scratch mode");

    assert_eq!(result.layers.len(), 2);
    assert_eq!(
        std::fs::read(&result.layers[0].blob_path).unwrap(),
        base,
        "the sink holds the asset's bytes"
    );
    assert_eq!(
        result.layers[1].blob_path, asset,
        "an asset is published in place"
    );
    assert_eq!(result.layers[1].digest, sha256(&base));
    assert_eq!(result.layers[1].size, base.len() as u64);
}

#[test]
fn engine_sees_its_limits() {
    let source = vec![0u8; 1000];
    let work = tempfile::tempdir().unwrap();
    let io = LayerIo {
        work_dir: work.path().into(),
        ..LayerIo::default()
    };
    let result = engine()
        .convert_layer(
            &params(&[("mode", "limits")]),
            Cursor::new(source.clone()),
            layer_info(TAR, &source, sha256(&source)),
            NoLowers,
            &io,
        )
        .expect("limits mode");
    let text = std::fs::read_to_string(&result.layers[0].blob_path).unwrap();
    assert_eq!(
        text,
        format!(
            "memory={MEMORY} deadline-ms={} output-cap={} max-read={}",
            DEADLINE.as_millis(),
            OUTPUT_MIN + 1000,
            16 << 20
        )
    );
}

#[test]
fn read_tar_decodes_gzip_and_zstd_and_passes_plain_tars() {
    let tar = common::make_tar(300_000);
    let gz = common::gzip(&tar);
    let zst =
        ruzstd::encoding::compress_to_vec(&tar[..], ruzstd::encoding::CompressionLevel::Fastest);
    for blob in [&gz, &zst, &tar] {
        let result = run("tar", blob).expect("read-tar");
        assert_eq!(result.layers[0].digest, sha256(&tar));
    }
}

#[test]
fn read_tar_of_corrupt_gzip_is_an_error_naming_it() {
    let mut gz = common::gzip(&common::make_tar(200_000));
    let mid = gz.len() / 2;
    gz[mid..mid + 64].fill(0xa5);
    let err = run("tar", &gz).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ConvertError::Engine(_)), "{err:?}");
    assert!(msg.contains("decompressing the source layer"), "{msg}");
    assert_still_works();
}

#[test]
fn block_compressor_returns_lz4_blocks_in_order() {
    let tar = common::make_tar(5 << 20);
    let work = tempfile::tempdir().unwrap();
    let result = run_in("compress", &common::gzip(&tar), &work).expect("compress");
    let out = std::fs::read(&result.layers[0].blob_path).unwrap();
    let mut at = 0;
    let mut back = Vec::new();
    while at < out.len() {
        let size = u32::from_le_bytes(out[at..at + 4].try_into().unwrap()) as usize;
        let block = &out[at + 4..at + 4 + size];
        let crc = u32::from_le_bytes(out[at + 4 + size..at + 8 + size].try_into().unwrap());
        at += 8 + size;
        // The raw register update from the seed: no inversion on entry or exit.
        assert_eq!(crc, !crc32c::crc32c_append(!100_007, block));
        back.extend(lz4_flex::block::decompress(block, 4096).expect("an LZ4 block"));
    }
    assert_eq!(back.len(), tar.len());
    assert!(back == tar, "blocks come back in submission order");
}

#[test]
fn one_compressor_too_many_hits_the_resource_limit() {
    let err = run("compressors", b"x").unwrap_err();
    assert!(
        err.to_string().contains("more than 4 block compressors"),
        "{err}"
    );
    assert_still_works();
}

#[test]
fn submitting_without_collecting_is_refused() {
    let err = run("flood", b"x").unwrap_err();
    assert!(
        err.to_string().contains("collect before submitting more"),
        "{err}"
    );
    assert_still_works();
}
