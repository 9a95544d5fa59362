//! The edge image converted by the real `convertor` (both formats into the same OCI layout),
//! then flattened by `obdtool flatten --layout --tag` and checked like every edge device:
//! e2fsck clean, the kernel mount and debugfs both show expected-tree.json.

mod common;

use common::edge;
use common::work::Work;

#[test]
fn edge_image_through_convertor_both_formats() {
    let Some(edge) = edge::image() else { return };
    let work = Work::new("convertor-edge");
    let layout = work.path("layout");
    convertor_tests::cli::copy_layout(&edge.dir, &layout).unwrap();
    let tag = {
        let index: serde_json::Value =
            serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
        index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .expect("the edge image is tagged")
            .to_string()
    };
    common::convertor::both_formats_flattened(
        &layout,
        &tag,
        ["edge-obd", "edge-turbo"],
        &["--oci"],
        work.dir(),
        |_, raw| edge::assert_device(raw, &edge, &work),
    );
}
