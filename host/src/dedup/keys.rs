//! Safe keys. Upstream keys a converted layer by the source chain ID alone and a manifest by
//! its source digest alone (upstream-convertor.md §3.3), so a record made with other options
//! (vsize, mkfs, sparse, referrer ...) or another tool version would be a wrong hit. Our
//! records append a `+convertor.<hex>` suffix to those key columns (`chain_id`,
//! `src_digest`): the hex is a SHA-256 over everything that decides the output bytes besides
//! the source. Upstream's lookups use the bare digest, so they never match our rows, and ours
//! never match theirs; both tools share the tables and their primary keys without conflict.
//! (Extra nullable columns would not do: upstream's queries ignore them and its primary key
//! would forbid our row beside theirs.)

use sha2::{Digest, Sha256};

/// Marks a key column value as ours.
pub const KEY_SUFFIX: &str = "+convertor.";
/// Bumped whenever what goes into a key changes.
const KEY_VERSION: &str = "convertor-dedup-v1";

/// What decides a target's output bytes besides its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    hex: String,
}

/// The inputs of a [`Variant`].
#[derive(Debug, Clone, Default)]
pub struct VariantInputs<'a> {
    pub engine_name: &'a str,
    pub engine_version: &'a str,
    /// SHA-256 of the engine component: any rebuild is another engine.
    pub engine_sha256: &'a str,
    /// The engine options the run passes (vsize, mkfs, sparse, fstype ...).
    pub options: &'a [(String, String)],
    /// Output media family (`oci` / `docker`).
    pub family: &'a str,
    /// Referrer mode's artifact type, when on.
    pub referrer: Option<&'a str>,
    /// `(name, sha256)` of every asset file the engine may read (the `--mkfs=false` base).
    pub assets: &'a [(String, String)],
    /// Annotations the run adds to every output manifest.
    pub manifest_annotations: &'a [(String, String)],
}

/// Length-prefixed fields, so no two different inputs hash the same bytes.
fn field(h: &mut Sha256, s: &str) {
    h.update((s.len() as u64).to_le_bytes());
    h.update(s.as_bytes());
}

impl Variant {
    pub fn new(i: &VariantInputs<'_>) -> Variant {
        let mut h = Sha256::new();
        for s in [
            KEY_VERSION,
            i.engine_name,
            i.engine_version,
            i.engine_sha256,
            i.family,
            i.referrer.unwrap_or(""),
        ] {
            field(&mut h, s);
        }
        field(&mut h, &i.referrer.is_some().to_string());
        let mut options = i.options.to_vec();
        options.sort();
        for list in [
            &options,
            &i.assets.to_vec(),
            &i.manifest_annotations.to_vec(),
        ] {
            field(&mut h, &list.len().to_string());
            for (k, v) in list {
                field(&mut h, k);
                field(&mut h, v);
            }
        }
        Variant {
            hex: hex::encode(h.finalize()),
        }
    }

    /// The `chain_id` column value of a layer: the source chain ID, plus a hash of the variant
    /// and of the source blobs up to this layer (an engine may read compressed source bytes,
    /// as TurboOCI's gzip index does, which the chain of diff IDs does not pin).
    pub fn layer_key(&self, chain_id: &str, source_digests: &[&str]) -> String {
        let mut h = Sha256::new();
        field(&mut h, &self.hex);
        for d in source_digests {
            field(&mut h, d);
        }
        format!("{chain_id}{KEY_SUFFIX}{}", hex::encode(h.finalize()))
    }

    /// The `src_digest` column value of a manifest.
    pub fn manifest_key(&self, source_digest: &str) -> String {
        format!("{source_digest}{KEY_SUFFIX}{}", self.hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_input_changes_the_key() {
        let opts = vec![("vsize".to_string(), "64".to_string())];
        let base = VariantInputs {
            engine_name: "overlaybd",
            engine_version: "1",
            engine_sha256: "aa",
            options: &opts,
            family: "docker",
            ..Default::default()
        };
        let key = |i: &VariantInputs<'_>| Variant::new(i).layer_key("sha256:c", &["sha256:d"]);
        let k0 = key(&base);
        assert!(k0.starts_with("sha256:c+convertor."));
        assert!(k0.len() < 255);
        let vsize = vec![("vsize".to_string(), "256".to_string())];
        let assets = vec![("baselayer".to_string(), "bb".to_string())];
        let annotations = vec![("engine".to_string(), "user".to_string())];
        for changed in [
            VariantInputs {
                engine_sha256: "ab",
                ..base.clone()
            },
            VariantInputs {
                engine_version: "2",
                ..base.clone()
            },
            VariantInputs {
                options: &vsize,
                ..base.clone()
            },
            VariantInputs {
                family: "oci",
                ..base.clone()
            },
            VariantInputs {
                referrer: Some("x"),
                ..base.clone()
            },
            VariantInputs {
                assets: &assets,
                ..base.clone()
            },
            VariantInputs {
                manifest_annotations: &annotations,
                ..base.clone()
            },
        ] {
            assert_ne!(key(&changed), k0);
        }
        let v = Variant::new(&base);
        assert_ne!(v.layer_key("sha256:c", &["sha256:e"]), k0);
        assert_eq!(v.layer_key("sha256:c", &["sha256:d"]), k0);
        assert!(
            v.manifest_key("sha256:m")
                .starts_with("sha256:m+convertor.")
        );
    }
}
