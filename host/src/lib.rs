//! The native host of the convertor: everything but layer formats. It reads and writes
//! images, manifests, configs, indexes and OCI layouts, and serializes them exactly as the Go
//! convertor does; conversion engines (wasm components) do the layer work.

pub mod assemble;
pub mod cli;
pub mod dedup;
pub mod gojson;
pub mod image;
pub mod interrupt;
pub mod layout;
pub mod pipeline;
pub mod plan;
pub mod progress;
pub mod registry;
