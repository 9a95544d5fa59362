//! What a run tells its caller while it goes: the CLI draws a bar per layer on a terminal and
//! prints one line per converted layer.

use crate::gojson::Descriptor;
use engine_runtime::ProgressFn;

pub trait Events: Sync {
    /// Layer `label` starts and will read `total` source bytes; the callback it returns (if
    /// any) receives the bytes read so far, as the engine reports them.
    fn layer_started(&self, label: &str, total: u64) -> Option<ProgressFn>;

    /// Layer `label` ended; `line` is its plain-output line when it succeeded.
    fn layer_ended(&self, label: &str, line: Option<&str>);

    /// The output blobs of a converted layer are stored in the output layout: a registry run
    /// starts uploading them while the next layers convert.
    fn layer_stored(&self, _blobs: &[Descriptor]) {}
}
