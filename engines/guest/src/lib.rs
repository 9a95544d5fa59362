//! The guest side of the `convertor:engine` world, shared by the built-in engines.
//!
//! The bindings are generated here once; an engine implements [`Guest`] and calls
//! [`export_engine!`]. The adapters turn host resources into the std and `blockio` traits the
//! format libraries are written against:
//!
//! * [`SourceReader`]: the source layer as a `Read`, in 1 MiB host calls, reporting progress;
//! * [`TarStream`]: its uncompressed tar, decoded by the host (`read-tar`);
//! * [`LentLowers`] / [`LowerBlob`]: one `ReadAt` per lower layer, for its published blob and
//!   for the source blob it was converted from;
//! * [`ScratchFile`]: a `ReadAt + WriteAt` scratch file;
//! * [`SinkWriter`]: an output blob as `Write + Seek` (appends at the end, patches before it);
//! * [`AssetFile`]: a user-supplied file as `ReadAt`.
//!
//! A failed host call becomes an `io::Error` and is also remembered in [`HostFaults`], so the
//! engine can report `engine-error::io` even when a library turned the failure into a
//! "corrupt data" error of its own.

// Lets the generated export macro name this crate by path from inside it too.
extern crate self as engine_guest;

/// The generated bindings. They live in a module because the exported macros land at the
/// crate root and would clash with the generator's own imports there.
#[allow(clippy::too_many_arguments)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "engine",
        pub_export_macro: true,
        export_macro_name: "export_engine",
        default_bindings_module: "engine_guest::bindings",
    });
}

mod asset;
mod chunks;
mod faults;
mod lowers;
#[cfg(feature = "overlaybd")]
pub mod obd;
mod scratch;
mod sink;
mod source;
mod stream;
mod tar;

pub use asset::AssetFile;
pub use bindings::convertor::engine::host::{self, LogLevel};
pub use bindings::convertor::engine::types::{LayerInfo, MediaFamily, OptionSpec};
pub use bindings::{
    EngineError, EngineInfo, Guest, LayerParams, LowerLayers, PublishedLayer, SourceLayer,
    export_engine,
};
pub use faults::HostFaults;
pub use lowers::{LentLowers, LowerBlob, with_lowers};
pub use scratch::ScratchFile;
pub use sink::SinkWriter;
pub use source::SourceReader;
pub use stream::ReadAtStream;
pub use tar::TarStream;

/// Bytes the source is read in per host call: crossing into the host costs about a
/// microsecond, so 1 MiB makes that negligible.
pub const CHUNK: usize = 1 << 20;

/// Largest read or write one host call is asked to carry (the host refuses reads over 16 MiB).
const MAX_CALL: usize = 4 << 20;
