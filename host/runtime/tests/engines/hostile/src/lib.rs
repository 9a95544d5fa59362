//! An engine that breaks the rules on request, so the host's limits can be tested.
//!
//! `mode` option: `ok` (copies the source to a sink), `loop`, `memory`, `output`, `trap`,
//! `bad-descriptor`, `clock` (reports what time and randomness it sees), `limits` (reports what
//! `host.limits` says, new in convertor:engine@1.1.0); since 1.2.0: `tar` (copies `read-tar`),
//! `compress` (LZ4 blocks of 4 KiB of the tar through a `block-compressor`, each written as
//! a u32 LE length, the block and its raw CRC32C from seed 100007), `compressors` (one compressor too many), `flood` (submits
//! without collecting).

#![allow(clippy::too_many_arguments)] // in the generated bindings

wit_bindgen::generate!({
    path: "../../../../../wit",
    world: "engine",
});

use convertor::engine::host;
use convertor::engine::types::OptionSpec;
use std::hint::black_box;

struct Hostile;

impl Guest for Hostile {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "hostile".into(),
            version: "0.1.0".into(),
            artifact_type: "application/vnd.test.hostile".into(),
            accepts: vec![
                "application/vnd.oci.image.layer.v1.tar".into(),
                "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                "application/vnd.docker.image.rootfs.diff.tar.gzip".into(),
            ],
            options: vec![OptionSpec {
                name: "mode".into(),
                description: "the misbehaviour: ok, loop, memory, output, trap, bad-descriptor, \
                              clock, scratch, limits, tar, compress, compressors, flood"
                    .into(),
                default_value: "ok".into(),
                affects_output: true,
            }],
        }
    }

    fn convert_layer(
        params: LayerParams,
        source: &SourceLayer,
        _lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let mode = params
            .options
            .iter()
            .find(|(k, _)| k == "mode")
            .map(|(_, v)| v.as_str())
            .unwrap_or("ok");
        let sink = host::create_sink("out").map_err(EngineError::Io)?;
        match mode {
            "loop" => {
                let mut x = 0u64;
                loop {
                    x = black_box(x.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 16 << 20]);
                    black_box(&hoard);
                }
            }
            "output" => {
                let chunk = vec![7u8; 1 << 20];
                loop {
                    // An engine that ignores the error and keeps going must still fail.
                    let _ = sink.append(&chunk);
                    if sink.size() > (1 << 40) {
                        break;
                    }
                }
            }
            "trap" => {
                let data = source.read(4).map_err(EngineError::Io)?;
                sink.append(&data).map_err(EngineError::Io)?;
                panic!("hostile engine gave up after {} bytes", data.len());
            }
            "scratch" => {
                check_scratch().map_err(EngineError::Internal)?;
                let asset = host::open_asset("base").map_err(EngineError::Io)?;
                let data = asset
                    .read(0, asset.size() as u32)
                    .map_err(EngineError::Io)?;
                sink.append(&data).map_err(EngineError::Io)?;
                let mut layers = vec![layer("out")];
                layers.push(layer("base"));
                return Ok(layers);
            }
            "bad-descriptor" => {
                return Ok(vec![PublishedLayer {
                    blob: "no-such-sink".into(),
                    media_type: "application/octet-stream".into(),
                    annotations: vec![],
                    diff_id: None,
                }]);
            }
            "limits" => {
                let l = host::limits();
                let text = format!(
                    "memory={} deadline-ms={} output-cap={} max-read={}",
                    l.memory_bytes, l.deadline_ms, l.output_cap_bytes, l.max_read
                );
                sink.append(text.as_bytes()).map_err(EngineError::Io)?;
            }
            "tar" => loop {
                let data = source.read_tar(1 << 20).map_err(EngineError::InvalidInput)?;
                if data.is_empty() {
                    break;
                }
                sink.append(&data).map_err(EngineError::Io)?;
            },
            "compress" => {
                let c = host::BlockCompressor::new(host::Codec::Lz4Block, Some(100_007));
                let mut queued = 0;
                loop {
                    let data = source.read_tar(1 << 20).map_err(EngineError::InvalidInput)?;
                    if !data.is_empty() {
                        c.submit(&data, 4096).map_err(EngineError::Io)?;
                        queued += 1;
                    }
                    // Keep three batches in flight, then drain at the end.
                    while queued > 3 || (data.is_empty() && queued > 0) {
                        let batch = c.collect().map_err(EngineError::Io)?.ok_or_else(|| {
                            EngineError::Internal("a queued batch is missing".into())
                        })?;
                        queued -= 1;
                        let mut at = 0usize;
                        for (size, crc) in batch.sizes.iter().zip(&batch.checksums) {
                            let block = &batch.data[at..at + *size as usize];
                            at += *size as usize;
                            sink.append(&size.to_le_bytes()).map_err(EngineError::Io)?;
                            sink.append(block).map_err(EngineError::Io)?;
                            sink.append(&crc.to_le_bytes()).map_err(EngineError::Io)?;
                        }
                    }
                    if data.is_empty() {
                        break;
                    }
                }
                if c.collect().map_err(EngineError::Io)?.is_some() {
                    return Err(EngineError::Internal("a batch too many came back".into()));
                }
            }
            "compressors" => {
                let all: Vec<_> = (0..5)
                    .map(|_| host::BlockCompressor::new(host::Codec::ZstdFrame, None))
                    .collect();
                black_box(&all);
            }
            "flood" => {
                let c = host::BlockCompressor::new(host::Codec::Lz4Block, None);
                for _ in 0..9 {
                    c.submit(&[1u8; 4096], 4096).map_err(EngineError::Io)?;
                }
            }
            "clock" => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(u128::MAX);
                let mut map = std::collections::HashMap::new();
                for i in 0..32u32 {
                    map.insert(i, i);
                }
                let order: Vec<String> = map.keys().map(|k| k.to_string()).collect();
                let text = format!("now={now} order={}", order.join(","));
                sink.append(text.as_bytes()).map_err(EngineError::Io)?;
            }
            _ => loop {
                let data = source.read(1 << 16).map_err(EngineError::Io)?;
                if data.is_empty() {
                    break;
                }
                sink.append(&data).map_err(EngineError::Io)?;
            },
        }
        Ok(vec![layer("out")])
    }
}

fn layer(blob: &str) -> PublishedLayer {
    PublishedLayer {
        blob: blob.into(),
        media_type: "application/vnd.oci.image.layer.v1.tar".into(),
        annotations: vec![],
        diff_id: None,
    }
}

/// Sparse writes, hole punching and resizing behave as the WIT promises.
fn check_scratch() -> Result<(), String> {
    let expect = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(format!("scratch: {what}"))
        }
    };
    let s = host::create_scratch()?;
    s.write(1 << 20, b"abcdef")?;
    expect(s.size() == (1 << 20) + 6, "size after a sparse write")?;
    expect(s.read(0, 16)? == [0u8; 16], "unwritten bytes read as zeros")?;
    expect(s.read(1 << 20, 6)? == b"abcdef", "written bytes read back")?;
    s.punch(1 << 20, 3)?;
    expect(
        s.read(1 << 20, 6)? == b"\0\0\0def",
        "punched bytes read as zeros",
    )?;
    s.set_size(10)?;
    expect(s.size() == 10, "size after set-size")?;
    expect(s.read(0, 11).is_err(), "reads past the size fail")?;
    Ok(())
}

export!(Hostile);
