//! A sample conversion engine: re-compresses a gzip (or plain) tar layer as zstd.
//!
//! It is written only against the `convertor:engine` WIT world and is meant as the template for
//! third-party engines: read the source through the host, hash in the host, write to a sink the
//! host publishes, and describe the result. The uncompressed tar is unchanged, so the layer's
//! diff_id stays the same; the engine proves it by hashing the stream it compresses.

mod io;
mod options;

/// Guest bindings for the `convertor:engine` world.
#[allow(clippy::too_many_arguments)] // in the generated code
mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "engine",
    });
}

use std::io::Read;

use bindings::convertor::engine::host::{self, Hasher, LogLevel};
use bindings::{
    EngineError, EngineInfo, Guest, LayerParams, LowerLayers, PublishedLayer, SourceLayer,
};

use crate::io::{HashingReader, SinkWriter, SourceReader};
use crate::options::Level;

const ZSTD_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const GZIP_TYPES: [&str; 2] = [
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar.gzip",
];
const PLAIN_TYPES: [&str; 2] = [
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.docker.image.rootfs.diff.tar",
];
/// The sink the converted blob goes to; `published-layer.blob` names it.
const SINK_NAME: &str = "layer.tar.zst";

struct Recompress;

impl Guest for Recompress {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "recompress".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "application/vnd.convertor.recompress.v1".into(),
            accepts: GZIP_TYPES
                .iter()
                .chain(&PLAIN_TYPES)
                .map(|t| t.to_string())
                .collect(),
            options: vec![options::level_spec()],
        }
    }

    fn convert_layer(
        params: LayerParams,
        source: &SourceLayer,
        _lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let level = Level::from_options(&params.options)?;
        let info = source.info();
        let gzip = GZIP_TYPES.contains(&info.media_type.as_str());
        if !gzip && !PLAIN_TYPES.contains(&info.media_type.as_str()) {
            return Err(EngineError::Unsupported(format!(
                "media type {} is not a tar layer",
                info.media_type
            )));
        }
        host::log(
            LogLevel::Info,
            &format!(
                "layer {}: {} -> zstd ({level:?})",
                params.index, info.media_type
            ),
        );

        let sink = host::create_sink(SINK_NAME).map_err(EngineError::Io)?;
        let mut reader = SourceReader::new(source);
        let hasher = Hasher::new();
        let mut sink_writer = SinkWriter::new(&sink);
        {
            let tar: Box<dyn Read + '_> = if gzip {
                Box::new(flate2::read::MultiGzDecoder::new(&mut reader))
            } else {
                Box::new(&mut reader)
            };
            let mut tar = HashingReader::new(tar, &hasher);
            ruzstd::encoding::compress(&mut tar, &mut sink_writer, level.zstd());
            // ruzstd cannot report I/O errors, so the adapters keep the first one for us.
            if let Some(err) = tar.take_error() {
                return Err(err);
            }
        }
        sink_writer.finish()?;
        if let Some(err) = reader.take_error() {
            return Err(err);
        }

        let diff_id = hasher.finish();
        if diff_id != info.diff_id {
            return Err(EngineError::InvalidInput(format!(
                "uncompressed layer hashes to {diff_id}, but its diff_id is {}",
                info.diff_id
            )));
        }
        Ok(vec![PublishedLayer {
            blob: SINK_NAME.into(),
            media_type: ZSTD_LAYER.into(),
            annotations: Vec::new(),
            diff_id: Some(diff_id),
        }])
    }
}

bindings::export!(Recompress with_types_in bindings);
