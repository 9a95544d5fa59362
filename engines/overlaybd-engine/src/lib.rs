//! The built-in `overlaybd` engine: each OCI layer becomes a native overlaybd layer (the ext4
//! blocks it changes, as a committed LSMT in a ZFile in the `overlaybd.commit` tar).
//!
//! The conversion is `overlaybd::native::convert_native`; this crate only wires it to the
//! host: options, the lower stack, scratch files, the sink and the descriptor. The host does
//! the codec work it can do on other threads: it decodes the source (`read-tar`) and
//! compresses the ZFile's blocks (`block-compressor`).

mod baselayer;

use engine_guest::obd::{self, Flavour, ObdOptions};
use engine_guest::{
    AssetFile, EngineError, EngineInfo, Guest, HostFaults, LayerParams, LentLowers, LogLevel,
    LowerLayers, PublishedLayer, ScratchFile, SinkWriter, SourceLayer, TarStream, host,
    with_lowers,
};
use overlaybd::annotations::NATIVE_VERSION;
use overlaybd::native::{Base, NativeOptions, convert_native};

/// The sink of the converted layer.
const SINK: &str = "overlaybd.commit";

struct Overlaybd;

impl Guest for Overlaybd {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "overlaybd".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            artifact_type: "application/vnd.containerd.overlaybd.native.v1+json".into(),
            accepts: obd::tar_types(true),
            options: ObdOptions::specs(Flavour::Native),
        }
    }

    fn convert_layer(
        params: LayerParams,
        source: &SourceLayer,
        lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let opts = ObdOptions::parse(&params.options, Flavour::Native)?;
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
    let native = NativeOptions {
        sparse: opts.sparse,
        zfile: opts.zfile,
        codec: |options| Box::new(obd::HostCodec::new(options)),
        uuid: Some(obd::uuid(&params.chain_id)?),
        parent_uuid: params
            .parent_chain_id
            .as_deref()
            .map(obd::uuid)
            .transpose()?,
    };
    let mut published = Vec::new();
    // The bottom layer of a `mkfs=false` image sits on the base layer, published below it.
    let base_asset = if !opts.mkfs && lowers.count() == 0 {
        let asset = AssetFile::open(obd::BASELAYER, faults)?;
        published.push(baselayer::publish(&asset, params.family, faults)?);
        Some(asset)
    } else {
        None
    };
    let stack = obd::open_lowers(lowers, base_asset, faults)?;
    let base = match &stack {
        Some((stack, _)) => Base::Lower(stack),
        None => Base::Mkfs { vsize: opts.vsize },
    };

    // The host decodes the tar on a thread of its own (checking its diff_id on the way).
    let tar = TarStream::new(source);
    let data = ScratchFile::create(faults)?;
    let index = ScratchFile::create(faults)?;
    let mut sink = SinkWriter::create(SINK, faults)?;
    let (report, _) = convert_native(tar, base, data, index, &mut sink, &native)
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
            "layer {}: {} entries, {} KiB of ext4 blocks, blob of {} bytes",
            params.index,
            report.entries,
            report.layer_sectors / 2,
            report.blob_len
        ),
    );
    published.push(PublishedLayer {
        blob: SINK.into(),
        media_type: obd::layer_media_type(params.family, false).into(),
        annotations: obd::blob_annotations(NATIVE_VERSION),
        diff_id: None,
    });
    Ok(published)
}

engine_guest::export_engine!(Overlaybd);
