//! Our index of the edge image's layers against upstream's gzip.meta files.

mod common;

use gzindex::{GzIndex, Header, IndexBuilder};
use std::io::Read;

fn build(blob: &[u8]) -> (GzIndex, Vec<u8>) {
    let mut b = IndexBuilder::new(blob).unwrap();
    let mut data = Vec::new();
    b.read_to_end(&mut data).unwrap();
    (b.finish().unwrap(), data)
}

#[test]
fn edge_layers_match_upstream_checkpoints() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let mut identical = Vec::new();
    for i in 0..4 {
        let Some(blob) = common::edge_layer_blob(i) else {
            return;
        };
        let upstream_bytes =
            std::fs::read(shared.join(format!("golden/edge-turbo/layer-{i}.gzip.meta"))).unwrap();
        let upstream = GzIndex::from_bytes(&upstream_bytes).unwrap();
        let (ours, data) = build(&blob);

        assert_eq!(data.len() as u64, ours.uncompress_file_size, "layer {i}");
        assert_eq!(ours.span, upstream.span, "layer {i}");
        assert_eq!(ours.gzip_file_size, upstream.gzip_file_size, "layer {i}");
        assert_eq!(
            ours.uncompress_file_size, upstream.uncompress_file_size,
            "layer {i}"
        );
        let pos = |g: &GzIndex| {
            g.entries
                .iter()
                .map(|c| (c.de_pos, c.en_pos, c.bits))
                .collect::<Vec<_>>()
        };
        assert_eq!(pos(&ours), pos(&upstream), "layer {i} checkpoint positions");
        for (n, (a, b)) in ours.entries.iter().zip(&upstream.entries).enumerate() {
            assert!(
                a.window == b.window,
                "layer {i} checkpoint {n} window differs"
            );
        }
        assert_eq!(ours, upstream, "layer {i}");

        let our_bytes = ours.to_bytes().unwrap();
        assert_eq!(GzIndex::from_bytes(&our_bytes).unwrap(), ours);
        let mut h_ours = Header::decode(our_bytes.first_chunk().unwrap());
        let mut h_up = Header::decode(upstream_bytes.first_chunk().unwrap());
        for h in [&mut h_ours, &mut h_up] {
            // Fields that depend on how the windows and the table were deflated.
            (h.index_start, h.index_area_len, h.index_file_size, h.crc) = (0, 0, 0, 0);
        }
        assert_eq!(h_ours, h_up, "layer {i} header");
        if our_bytes == upstream_bytes {
            identical.push(i);
        }
    }
    eprintln!("layers whose gzip.meta is byte-identical to upstream's: {identical:?}");
}
