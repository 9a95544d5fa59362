//! The layer record: what one source layer's conversion published (media type, digest, size,
//! annotations and diff ID of each output), stored as a small JSON blob beside the layers. A
//! layer row's `data_digest` names it, so a hit rebuilds the exact descriptors without running
//! the engine, for any engine and for conversions that publish more than one layer.

use crate::assemble::OutputLayer;
use crate::gojson::Descriptor;
use serde_json::{Value, json};

/// The record's bytes (deterministic: annotations are sorted).
pub fn encode(layers: &[OutputLayer]) -> Vec<u8> {
    let layers: Vec<Value> = layers
        .iter()
        .map(|l| {
            let d = &l.descriptor;
            json!({
                "mediaType": d.media_type,
                "digest": d.digest,
                "size": d.size,
                "annotations": d.annotations,
                "diffId": l.diff_id,
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "convertorLayerRecord": 1, "layers": layers })).unwrap_or_default()
}

/// The outputs a record lists; `None` when the bytes are not a record.
pub fn decode(bytes: &[u8]) -> Option<Vec<OutputLayer>> {
    let v: Value = serde_json::from_slice(bytes).ok()?;
    if v.get("convertorLayerRecord")?.as_u64()? != 1 {
        return None;
    }
    let layers = v.get("layers")?.as_array()?;
    if layers.is_empty() {
        return None;
    }
    layers
        .iter()
        .map(|l| {
            let s = |k: &str| l.get(k).and_then(Value::as_str);
            let mut d = Descriptor::new(s("mediaType")?, s("digest")?, l.get("size")?.as_i64()?);
            for (k, v) in l.get("annotations")?.as_object()? {
                d.annotations.insert(k.clone(), v.as_str()?.to_string());
            }
            Some(OutputLayer {
                descriptor: d,
                diff_id: s("diffId")?.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let mut d = Descriptor::new("application/x", "sha256:ab", 12);
        d.annotations.insert("k".into(), "v".into());
        let layers = vec![OutputLayer {
            descriptor: d,
            diff_id: "sha256:cd".into(),
        }];
        assert_eq!(decode(&encode(&layers)), Some(layers));
        assert_eq!(decode(b"{\"layers\":[]}"), None);
        assert_eq!(decode(b"not json"), None);
    }
}
