//! Media types of the OCI and Docker schema2 families, and what kind of graph node each is.

use super::ImageError;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar";
pub const OCI_LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub const OCI_LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";

pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
pub const DOCKER_MANIFEST_LIST: &str = "application/vnd.docker.distribution.manifest.list.v2+json";
pub const DOCKER_CONFIG: &str = "application/vnd.docker.container.image.v1+json";
pub const DOCKER_LAYER: &str = "application/vnd.docker.image.rootfs.diff.tar";
pub const DOCKER_LAYER_GZIP: &str = "application/vnd.docker.image.rootfs.diff.tar.gzip";
pub const DOCKER_FOREIGN_LAYER_GZIP: &str =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
pub const DOCKER_SCHEMA1_SIGNED: &str = "application/vnd.docker.distribution.manifest.v1+prettyjws";

/// Annotation naming a tag inside an OCI layout's `index.json`.
pub const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// Index-entry annotation BuildKit puts on attestation manifests.
pub const ANNOTATION_DOCKER_REFERENCE_TYPE: &str = "vnd.docker.reference.type";
pub const ATTESTATION_MANIFEST: &str = "attestation-manifest";

/// Which family of media types output documents use (`--oci` or Docker schema2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaFamily {
    Oci,
    Docker,
}

impl MediaFamily {
    pub fn manifest(self) -> &'static str {
        match self {
            MediaFamily::Oci => OCI_MANIFEST,
            MediaFamily::Docker => DOCKER_MANIFEST,
        }
    }
    pub fn config(self) -> &'static str {
        match self {
            MediaFamily::Oci => OCI_CONFIG,
            MediaFamily::Docker => DOCKER_CONFIG,
        }
    }
    pub fn layer(self) -> &'static str {
        match self {
            MediaFamily::Oci => OCI_LAYER,
            MediaFamily::Docker => DOCKER_LAYER,
        }
    }
    pub fn layer_gzip(self) -> &'static str {
        match self {
            MediaFamily::Oci => OCI_LAYER_GZIP,
            MediaFamily::Docker => DOCKER_LAYER_GZIP,
        }
    }
    /// The family a media type belongs to; Docker types share the `application/vnd.docker.`
    /// prefix, everything else counts as OCI.
    pub fn of(media_type: &str) -> MediaFamily {
        if media_type.starts_with("application/vnd.docker.") {
            MediaFamily::Docker
        } else {
            MediaFamily::Oci
        }
    }
}

/// What a descriptor points at, as far as the graph walk cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Manifest,
    Index,
}

/// Classifies a node media type; anything but the four manifest/index types is unsupported,
/// as upstream (schema1, artifacts, a missing media type).
pub fn node_kind(media_type: &str) -> Result<NodeKind, ImageError> {
    match media_type {
        OCI_MANIFEST | DOCKER_MANIFEST => Ok(NodeKind::Manifest),
        OCI_INDEX | DOCKER_MANIFEST_LIST => Ok(NodeKind::Index),
        other => Err(ImageError::UnsupportedMediaType(other.to_string())),
    }
}
