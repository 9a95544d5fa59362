//! An engine built against `convertor:engine@1.0.0` (`wit/previous`): copies the source layer to
//! a sink and reports the host-computed digest as its diff_id.

#![allow(clippy::too_many_arguments)] // in the generated bindings

wit_bindgen::generate!({
    path: "../../../../../wit/previous",
    world: "engine",
});

use convertor::engine::host;

struct Legacy;

impl Guest for Legacy {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "legacy".into(),
            version: "1.0.0".into(),
            artifact_type: "application/vnd.test.legacy".into(),
            accepts: vec![
                "application/vnd.oci.image.layer.v1.tar".into(),
                "application/vnd.oci.image.layer.v1.tar+gzip".into(),
                "application/vnd.docker.image.rootfs.diff.tar.gzip".into(),
            ],
            options: vec![],
        }
    }

    fn convert_layer(
        params: LayerParams,
        source: &SourceLayer,
        _lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let sink = host::create_sink("copy").map_err(EngineError::Io)?;
        let hasher = host::Hasher::new();
        loop {
            let data = source.read(1 << 16).map_err(EngineError::Io)?;
            if data.is_empty() {
                break;
            }
            hasher.update(&data);
            sink.append(&data).map_err(EngineError::Io)?;
        }
        host::log(
            host::LogLevel::Info,
            &format!("layer {} copied", params.index),
        );
        Ok(vec![PublishedLayer {
            blob: "copy".into(),
            media_type: source.info().media_type,
            annotations: vec![("test.legacy.sha256".into(), hasher.finish())],
            diff_id: Some(source.info().diff_id),
        }])
    }
}

export!(Legacy);
