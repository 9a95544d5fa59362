//! Media types and annotations of published overlaybd layers.

use overlaybd::annotations::{BLOB_DIGEST, BLOB_SIZE, VERSION};

use crate::MediaFamily;

/// Annotation values the host replaces with the published blob's digest and decimal size:
/// the engine cannot know them, the host hashes the sink after the call.
pub const DIGEST_PLACEHOLDER: &str = "{digest}";
pub const SIZE_PLACEHOLDER: &str = "{size}";

const OCI_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
const OCI_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
const OCI_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
const DOCKER_TAR: &str = "application/vnd.docker.image.rootfs.diff.tar";
const DOCKER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
const DOCKER_ZSTD: &str = "application/vnd.docker.image.rootfs.diff.tar.zstd";

/// Layer media types of both families: plain and gzip, plus zstd when asked.
pub fn tar_types(zstd: bool) -> Vec<String> {
    let mut types = vec![OCI_TAR, OCI_GZIP, DOCKER_TAR, DOCKER_GZIP];
    if zstd {
        types.extend([OCI_ZSTD, DOCKER_ZSTD]);
    }
    types.into_iter().map(String::from).collect()
}

/// The plain or gzip layer type of `family`.
pub fn layer_media_type(family: MediaFamily, gzip: bool) -> &'static str {
    match (family, gzip) {
        (MediaFamily::Oci, false) => OCI_TAR,
        (MediaFamily::Oci, true) => OCI_GZIP,
        (MediaFamily::Docker, false) => DOCKER_TAR,
        (MediaFamily::Docker, true) => DOCKER_GZIP,
    }
}

/// Whether a source media type belongs to the Docker family (upstream's prefix test).
pub fn is_docker_type(media_type: &str) -> bool {
    media_type.starts_with("application/vnd.docker.")
}

/// `blob-digest` and `blob-size` (as placeholders) and `version`.
pub fn blob_annotations(version: &str) -> Vec<(String, String)> {
    vec![
        (BLOB_DIGEST.into(), DIGEST_PLACEHOLDER.into()),
        (BLOB_SIZE.into(), SIZE_PLACEHOLDER.into()),
        (VERSION.into(), version.into()),
    ]
}
