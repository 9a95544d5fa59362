//! Checks of converted images pulled back from the registry.

use crate::common::debugfs::assert_fsck_clean;
use crate::common::obd::Args;
use crate::common::work::Work;
use serde_json::Value;
use std::path::Path;

/// Flattens `tag` of `layout` (one platform of an index when given) and runs `e2fsck -fn`.
pub fn flatten_fsck(layout: &Path, tag: &str, platform: Option<&str>, work: &Work) {
    let raw = work.path(format!(
        "{tag}-{}.raw",
        platform.unwrap_or("").replace('/', "_")
    ));
    let mut a = Args::new("flatten")
        .opt("--layout", layout)
        .opt("--tag", tag)
        .opt("-o", &raw);
    if let Some(p) = platform {
        a = a.opt("--platform", p);
    }
    a.ok();
    assert_fsck_clean(&raw);
    std::fs::remove_file(&raw).unwrap();
}

/// Upstream's referrer check, recursively: output node `out` of `layout` has `subject` = the
/// source descriptor `src` and `artifactType` = `artifact`; index children pair up in order.
pub fn assert_referrer(layout: &Path, src: &Value, out: &Value, artifact: &str) {
    let out_doc = super::layout_doc(layout, out["digest"].as_str().unwrap());
    assert_eq!(out_doc["artifactType"], artifact);
    for k in ["mediaType", "digest", "size"] {
        assert_eq!(
            out_doc["subject"][k], src[k],
            "subject.{k} of {}",
            out["digest"]
        );
    }
    let src_doc = super::layout_doc(layout, src["digest"].as_str().unwrap());
    match (
        src_doc["manifests"].as_array(),
        out_doc["manifests"].as_array(),
    ) {
        (Some(s), Some(o)) => {
            assert_eq!(s.len(), o.len());
            for (s, o) in s.iter().zip(o) {
                assert_referrer(layout, s, o, artifact);
            }
        }
        (None, None) => {}
        _ => panic!("{} and {} differ in kind", src["digest"], out["digest"]),
    }
}
