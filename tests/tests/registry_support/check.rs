//! Checks of converted images pulled back from the registry.

use crate::common::debugfs::assert_fsck_clean;
use crate::common::obd::Args;
use crate::common::work::Work;
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
