//! Converting one OCI layer into the overlaybd formats.
//!
//! * [`native`]: mkfs (or the lower stack) → apply the layer tar with the ext4 engine → commit
//!   the written blocks as an LSMT layer → ZFile → `overlaybd.commit` tar wrapper.
//! * [`turbo`]: one streaming pass builds the gzip index while the tar is applied in meta-only
//!   mode; the warp LSMT (metadata plus records pointing into the original tar) is ZFile'd and
//!   packed with the index into the `turboOCIv1.tar.gz` meta layer.
//!
//! Everything here is generic over positioned I/O so the same code runs natively (obdtool,
//! tests, benchmarks) and inside the engine components.

pub mod chain;
mod error;
pub mod native;
pub mod source;
pub mod turbo;
mod zeros;

pub use error::ConvertError;
pub use zeros::Zeros;

/// The usual annotation keys of overlaybd layers.
pub mod annotations {
    pub const BLOB_DIGEST: &str = "containerd.io/snapshot/overlaybd/blob-digest";
    pub const BLOB_SIZE: &str = "containerd.io/snapshot/overlaybd/blob-size";
    pub const VERSION: &str = "containerd.io/snapshot/overlaybd/version";
    pub const TURBO_TARGET_DIGEST: &str =
        "containerd.io/snapshot/overlaybd/turbo-oci/target-digest";
    pub const TURBO_TARGET_MEDIA_TYPE: &str =
        "containerd.io/snapshot/overlaybd/turbo-oci/target-media-type";
    pub const NATIVE_VERSION: &str = "0.1.0";
    pub const TURBO_VERSION: &str = "0.1.0-turbo.ociv1";
}
