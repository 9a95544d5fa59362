//! Detection order of §2.9: tar wrapper, then ZFile, then the LSMT file itself.

use crate::{DynRead, LayerError};
use blockio::{ReadAt, Slice};
use zfile::ZFileReader;

/// The containers found around the LSMT stream, outermost first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Container {
    /// Payload (offset, length) inside the tar wrapper.
    pub tar: Option<(u64, u64)>,
    /// (compressed length, original length, block size, algorithm) of the ZFile.
    pub zfile: Option<ZFileInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZFileInfo {
    pub compressed: u64,
    pub original: u64,
    pub block_size: u32,
    pub blocks: u64,
    pub algorithm: zfile::Algorithm,
    pub header_flags: u32,
    pub index_from_header: bool,
}

pub struct OpenedBlob {
    pub container: Container,
    /// The innermost byte stream (normally an LSMT file).
    pub stream: DynRead,
}

/// Peels the tar wrapper and the ZFile off `blob`, whichever are present.
pub fn open_blob(blob: DynRead) -> Result<OpenedBlob, LayerError> {
    let mut container = Container::default();
    let mut stream: DynRead = match tarwrap::find_payload(&*blob)? {
        Some((offset, len)) => {
            container.tar = Some((offset, len));
            Box::new(Slice::new(blob, offset, len))
        }
        None => blob,
    };
    if is_zfile(&*stream)? {
        let compressed = stream.size();
        let z = ZFileReader::open(stream)?;
        container.zfile = Some(ZFileInfo {
            compressed,
            original: z.original_size(),
            block_size: z.block_size(),
            blocks: z.block_count(),
            algorithm: z.algorithm(),
            header_flags: z.header().flags32(),
            index_from_header: z.index_from_header(),
        });
        stream = Box::new(z);
    }
    Ok(OpenedBlob { container, stream })
}

fn is_zfile(r: &dyn ReadAt) -> std::io::Result<bool> {
    let mut magic = [0u8; 24];
    if r.size() < magic.len() as u64 {
        return Ok(false);
    }
    r.read_exact_at(0, &mut magic)?;
    Ok(magic[..8] == zfile::MAGIC0 && magic[8..] == zfile::MAGIC1)
}
