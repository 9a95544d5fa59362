//! The current engine world plus `wasi:sockets/instance-network`: the host must refuse it before
//! running anything, since engines get no network.

#![allow(clippy::too_many_arguments)] // in the generated bindings

wit_bindgen::generate!({
    path: ["../../../../../wit", "wit/sockets.wit"],
    inline: "
        package test:sockets;
        world engine {
            include convertor:engine/engine@1.2.0;
            import wasi:sockets/instance-network@0.3.0;
        }
    ",
    world: "test:sockets/engine",
    generate_all,
});

struct Sockets;

impl Guest for Sockets {
    fn describe() -> EngineInfo {
        EngineInfo {
            name: "sockets".into(),
            version: "0.1.0".into(),
            artifact_type: "application/vnd.test.sockets".into(),
            accepts: vec!["application/vnd.oci.image.layer.v1.tar".into()],
            options: vec![],
        }
    }

    fn convert_layer(
        _params: LayerParams,
        _source: &SourceLayer,
        _lowers: &LowerLayers,
    ) -> Result<Vec<PublishedLayer>, EngineError> {
        let _network = wasi::sockets::instance_network::instance_network();
        Err(EngineError::Internal("the network call returned".into()))
    }
}

export!(Sockets);
