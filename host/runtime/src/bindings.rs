//! Host bindings for the `convertor:engine` world, with host resources mapped to our types.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "engine",
    // Every import may trap: a handle the table does not know is a host bug or a hostile guest,
    // and either way the call must stop.
    imports: { default: trappable },
    with: {
        "convertor:engine/host.source-layer": crate::resources::source::SourceLayer,
        "convertor:engine/host.lower-layers": crate::resources::lowers::LowerLayersRes,
        "convertor:engine/host.scratch": crate::resources::scratch::Scratch,
        "convertor:engine/host.sink": crate::resources::sink::SinkHandle,
        "convertor:engine/host.hasher": crate::resources::hasher::HostHasher,
        "convertor:engine/host.lower-blob": crate::resources::asset::Asset,
        "convertor:engine/host.block-compressor": crate::resources::compressor::BlockCompressor,
    },
});
