//! The shared edge image through a registry: loaded with `convertor copy`, converted to both
//! formats by `convertor -r HOST/REPO`, pulled back with `convertor copy`, then flattened by
//! obdtool and checked like every edge device (e2fsck, kernel mount, debugfs tree).

mod common;
mod registry_support;

use common::edge;
use common::obd::Args;
use common::work::Work;
use registry_support::{Auth, Registry, json, layout_tag, ok};

#[test]
fn edge_image_round_trips_through_the_registry() {
    let Some(edge) = edge::image() else { return };
    let work = Work::new("registry-edge");
    let reg = Registry::start(&work.path("registry"), Auth::Plain);
    let tag = json(&edge.dir.join("index.json"))["manifests"][0]["annotations"]
        ["org.opencontainers.image.ref.name"]
        .as_str()
        .expect("the edge image is tagged")
        .to_string();
    ok([
        "copy",
        "--plain",
        &format!("oci:{}:{tag}", edge.dir.display()),
        &reg.repo(&format!("edge:{tag}")),
    ]);
    ok([
        "-r",
        &reg.repo("edge"),
        "--plain",
        "-i",
        &tag,
        "--overlaybd",
        "edge-obd",
        "--turboOCI",
        "edge-turbo",
        "--oci",
        "-d",
        &work.path("convert-work").display().to_string(),
    ]);
    let back = work.path("back");
    for t in [tag.as_str(), "edge-obd", "edge-turbo"] {
        ok([
            "copy",
            "--plain",
            &reg.repo(&format!("edge:{t}")),
            &format!("oci:{}:{t}", back.display()),
        ]);
    }
    assert_eq!(
        layout_tag(&back, &tag)["digest"],
        layout_tag(&edge.dir, &tag)["digest"],
        "the source came back byte for byte"
    );
    for t in ["edge-obd", "edge-turbo"] {
        let raw = work.path(format!("{t}.raw"));
        Args::new("flatten")
            .opt("--layout", &back)
            .opt("--tag", t)
            .opt("-o", &raw)
            .ok();
        edge::assert_device(&raw, &edge, &work);
        std::fs::remove_file(&raw).unwrap();
    }
}
