//! The built-in `turbooci` engine: each OCI layer gets a small meta layer (the ext4 metadata,
//! with file extents pointing into the untouched original layer, plus its gzip index).
//!
//! The conversion is `overlaybd::turbo::convert_turbo`; this crate only wires it to the host:
//! options, the lower stack, scratch files, the sink and the descriptor.

use engine_guest::obd::{self, Flavour, ObdOptions};
use engine_guest::{
    AssetFile, EngineError, EngineInfo, Guest, HostFaults, LayerParams, LentLowers, LogLevel,
    LowerLayers, PublishedLayer, ScratchFile, SinkWriter, SourceLayer, SourceReader, host,
    with_lowers,
};
use overlaybd::annotations::{
    NATIVE_VERSION, TURBO_TARGET_DIGEST, TURBO_TARGET_MEDIA_TYPE, TURBO_VERSION,
};
use overlaybd::native::Base;
use overlaybd::source::{Compression, sniff};
use overlaybd::turbo::{TurboOptions, convert_turbo};

/// The sink of the meta layer.
const SINK: &str = "turboOCIv1.tar.gz";

struct TurboOci;

impl Guest for TurboOci {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "turbooci".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "application/vnd.containerd.overlaybd.turbo.v1+json".into(),
            accepts: obd::tar_types(false),
            options: ObdOptions::specs(Flavour::Turbo),
        }
    }

    fn convert_layer(
        params: LayerParams,
        source: &SourceLayer,
        lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let opts = ObdOptions::parse(&params.options, Flavour::Turbo)?;
        let faults = HostFaults::new();
        with_lowers(lowers, &faults, |lowers| {
            convert(&params, &opts, source, lowers, &faults)
        })
    }
}

fn convert(
    params: &LayerParams,
    opts: &ObdOptions,
    source: &SourceLayer,
    lowers: &LentLowers,
    faults: &HostFaults,
) -> Result<Vec<PublishedLayer>, EngineError> {
    let info = source.info();
    // Refuse zstd before anything is built (mkfs of a large device is not free).
    let (kind, reader) = sniff(SourceReader::new(source, faults))
        .map_err(|err| obd::convert_error(err.into(), faults))?;
    if kind == Compression::Zstd {
        return Err(EngineError::Unsupported(format!(
            "layer {} ({}) is zstd-compressed; TurboOCI needs a gzip or uncompressed layer",
            info.digest, info.media_type
        )));
    }

    let mut published = Vec::new();
    // The bottom layer of a `mkfs=false` image sits on the base layer, which upstream
    // publishes as the bare ext4_64 file.
    let base_asset = if !opts.mkfs && lowers.count() == 0 {
        let asset = AssetFile::open(obd::BASELAYER, faults)?;
        published.push(PublishedLayer {
            blob: asset.name().into(),
            media_type: obd::layer_media_type(params.family, false).into(),
            annotations: obd::blob_annotations(NATIVE_VERSION),
            diff_id: None,
        });
        Some(asset)
    } else {
        None
    };
    let stack = obd::open_lowers(lowers, base_asset, faults)?;
    let (base, depth) = match &stack {
        Some((stack, depth)) => (Base::Lower(stack), *depth),
        None => (Base::Mkfs { vsize: opts.vsize }, 0),
    };
    let turbo = TurboOptions {
        zfile: opts.zfile,
        lower_count: u8::try_from(depth).map_err(|_| {
            EngineError::Unsupported(format!("{depth} lower layers exceed the 255 LSMT allows"))
        })?,
    };

    let meta = ScratchFile::create(faults)?;
    let index = ScratchFile::create(faults)?;
    let mut sink = SinkWriter::create(SINK, faults)?;
    let (report, _) = convert_turbo(reader, base, meta, index, &mut sink, &turbo)
        .map_err(|err| obd::convert_error(err, faults))?;
    sink.finish()
        .map_err(|err| faults.or(EngineError::Io(err.to_string())))?;

    for warning in &report.warnings {
        host::log(
            LogLevel::Warn,
            &format!("layer {}: {warning}", params.index),
        );
    }
    host::log(
        LogLevel::Info,
        &format!(
            "layer {}: {} entries, {} remote records, meta layer of {} bytes",
            params.index, report.entries, report.remote_records, report.blob_len
        ),
    );
    let gzip = kind == Compression::Gzip;
    let target_family = if obd::is_docker_type(&info.media_type) {
        engine_guest::MediaFamily::Docker
    } else {
        engine_guest::MediaFamily::Oci
    };
    let mut annotations = obd::blob_annotations(TURBO_VERSION);
    annotations.push((TURBO_TARGET_DIGEST.into(), info.digest.clone()));
    annotations.push((
        TURBO_TARGET_MEDIA_TYPE.into(),
        obd::layer_media_type(target_family, gzip).into(),
    ));
    published.push(PublishedLayer {
        blob: SINK.into(),
        media_type: obd::layer_media_type(params.family, true).into(),
        annotations,
        diff_id: Some(report.diff_id),
    });
    Ok(published)
}

engine_guest::export_engine!(TurboOci);
