//! The base layer of `mkfs=false` images, published the way upstream's Go `archive/tar` wraps
//! `ext4_64`: one ustar member `overlaybd.commit`, mode 0444, then padding and two zero blocks.

use std::io::Write;

use blockio::ReadAt;
use engine_guest::obd;
use engine_guest::{
    AssetFile, CHUNK, EngineError, HostFaults, MediaFamily, PublishedLayer, SinkWriter,
};
use overlaybd::annotations::NATIVE_VERSION;

const SINK: &str = "baselayer.commit";
const MEMBER: &str = "overlaybd.commit";

pub fn publish(
    asset: &AssetFile,
    family: MediaFamily,
    faults: &HostFaults,
) -> Result<PublishedLayer, EngineError> {
    let size = asset.size();
    let header = tarwrap::plain_ustar_header(MEMBER, size, 0o444)
        .map_err(|err| EngineError::InvalidInput(format!("the base layer asset: {err}")))?;
    let mut sink = SinkWriter::create(SINK, faults)?;
    let io = |err: std::io::Error| faults.or(EngineError::Io(err.to_string()));
    sink.write_all(&header).map_err(io)?;
    let mut buf = vec![0u8; CHUNK];
    let mut at = 0u64;
    while at < size {
        let n = asset.read_at(at, &mut buf).map_err(io)?;
        if n == 0 {
            return Err(faults.or(EngineError::Io(format!(
                "the base layer asset ended at {at} of {size} bytes"
            ))));
        }
        sink.write_all(&buf[..n]).map_err(io)?;
        at += n as u64;
    }
    let suffix = usize::try_from(tarwrap::suffix_len(size))
        .map_err(|_| EngineError::Internal("tar suffix length overflows".into()))?;
    sink.write_all(&vec![0u8; suffix]).map_err(io)?;
    sink.finish().map_err(io)?;
    Ok(PublishedLayer {
        blob: SINK.into(),
        media_type: obd::layer_media_type(family, false).into(),
        annotations: obd::blob_annotations(NATIVE_VERSION),
        diff_id: None,
    })
}
