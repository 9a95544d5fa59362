//! The OCI image-spec v1.1 Go structs (`specs-go/v1`) that upstream decodes every document
//! into. Field sets and order are the Go ones; anything else in a source document is dropped.

use super::bytes::GoBytes;
use super::decode::Empty;
use super::time::GoTime;
use std::collections::BTreeMap;

/// `map[string]string`.
pub type Annotations = BTreeMap<String, String>;

go_struct! {
    /// `v1.Platform`.
    pub struct Platform {
        pub architecture: String => "architecture",
        pub os: String => "os",
        pub os_version: String => "os.version" [omitempty],
        pub os_features: Vec<String> => "os.features" [omitempty],
        pub variant: String => "variant" [omitempty],
    }
}

go_struct! {
    /// `v1.Descriptor`.
    pub struct Descriptor {
        pub media_type: String => "mediaType",
        pub digest: String => "digest",
        pub size: i64 => "size",
        pub urls: Vec<String> => "urls" [omitempty],
        pub annotations: Annotations => "annotations" [omitempty],
        pub data: GoBytes => "data" [omitempty],
        pub platform: Option<Platform> => "platform" [omitempty],
        pub artifact_type: String => "artifactType" [omitempty],
    }
}

go_struct! {
    /// `v1.Manifest` (with the embedded `specs.Versioned`).
    pub struct Manifest {
        pub schema_version: i64 => "schemaVersion",
        pub media_type: String => "mediaType" [omitempty],
        pub artifact_type: String => "artifactType" [omitempty],
        pub config: Descriptor => "config",
        /// `None` is a nil slice, written as `null`.
        pub layers: Option<Vec<Descriptor>> => "layers",
        pub subject: Option<Descriptor> => "subject" [omitempty],
        pub annotations: Annotations => "annotations" [omitempty],
    }
}

go_struct! {
    /// `v1.Index` (with the embedded `specs.Versioned`).
    pub struct Index {
        pub schema_version: i64 => "schemaVersion",
        pub media_type: String => "mediaType" [omitempty],
        pub artifact_type: String => "artifactType" [omitempty],
        /// `None` is a nil slice, written as `null`.
        pub manifests: Option<Vec<Descriptor>> => "manifests",
        pub subject: Option<Descriptor> => "subject" [omitempty],
        pub annotations: Annotations => "annotations" [omitempty],
    }
}

go_struct! {
    /// `v1.ImageConfig`: the only `config` keys that survive a round trip.
    pub struct ImageConfig {
        pub user: String => "User" [omitempty],
        pub exposed_ports: BTreeMap<String, Empty> => "ExposedPorts" [omitempty],
        pub env: Vec<String> => "Env" [omitempty],
        pub entrypoint: Vec<String> => "Entrypoint" [omitempty],
        pub cmd: Vec<String> => "Cmd" [omitempty],
        pub volumes: BTreeMap<String, Empty> => "Volumes" [omitempty],
        pub working_dir: String => "WorkingDir" [omitempty],
        pub labels: Annotations => "Labels" [omitempty],
        pub stop_signal: String => "StopSignal" [omitempty],
        pub args_escaped: bool => "ArgsEscaped" [omitempty],
    }
}

go_struct! {
    /// `v1.RootFS`.
    pub struct RootFs {
        pub kind: String => "type",
        /// `None` is a nil slice, written as `null`.
        pub diff_ids: Option<Vec<String>> => "diff_ids",
    }
}

go_struct! {
    /// `v1.History`.
    pub struct History {
        pub created: Option<GoTime> => "created" [omitempty],
        pub created_by: String => "created_by" [omitempty],
        pub author: String => "author" [omitempty],
        pub comment: String => "comment" [omitempty],
        pub empty_layer: bool => "empty_layer" [omitempty],
    }
}

go_struct! {
    /// `v1.Image`, with the embedded `Platform` fields inlined where Go puts them.
    pub struct Image {
        pub created: Option<GoTime> => "created" [omitempty],
        pub author: String => "author" [omitempty],
        pub architecture: String => "architecture",
        pub os: String => "os",
        pub os_version: String => "os.version" [omitempty],
        pub os_features: Vec<String> => "os.features" [omitempty],
        pub variant: String => "variant" [omitempty],
        /// `omitempty` has no effect on a Go struct: `config` is always written.
        pub config: ImageConfig => "config" [omitempty],
        pub rootfs: RootFs => "rootfs",
        pub history: Vec<History> => "history" [omitempty],
    }
}

impl Image {
    /// The platform the image config declares.
    pub fn platform(&self) -> Platform {
        Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
            variant: self.variant.clone(),
        }
    }

    /// The config's `diff_ids`, empty when nil.
    pub fn diff_ids(&self) -> &[String] {
        self.rootfs.diff_ids.as_deref().unwrap_or_default()
    }
}

impl Manifest {
    /// The layer descriptors, empty when nil.
    pub fn layers(&self) -> &[Descriptor] {
        self.layers.as_deref().unwrap_or_default()
    }
}

impl Index {
    /// The child descriptors, empty when nil.
    pub fn manifests(&self) -> &[Descriptor] {
        self.manifests.as_deref().unwrap_or_default()
    }
}

impl Descriptor {
    /// A descriptor carrying only media type, digest and size.
    pub fn new(media_type: &str, digest: &str, size: i64) -> Descriptor {
        Descriptor {
            media_type: media_type.to_string(),
            digest: digest.to_string(),
            size,
            ..Descriptor::default()
        }
    }

    /// `{mediaType, digest, size}` of this descriptor, everything else dropped.
    pub fn bare(&self) -> Descriptor {
        Descriptor::new(&self.media_type, &self.digest, self.size)
    }
}
