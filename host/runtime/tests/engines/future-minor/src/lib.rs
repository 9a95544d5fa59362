//! Built for `convertor:engine@1.3.0`: the host must refuse it before running anything.

wit_bindgen::generate!({
    path: "wit",
    world: "engine",
});

struct Unsupported;

impl Guest for Unsupported {
    fn describe() -> String {
        convertor::engine::host::log_line("describe ran");
        "engine for convertor:engine@1.3.0".into()
    }
}

export!(Unsupported);
