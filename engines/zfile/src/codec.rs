//! Per-block compression: raw LZ4 blocks and single zstd frames with the content size.

use ruzstd::decoding::FrameDecoder;
use ruzstd::decoding::errors::FrameDecoderError;
use ruzstd::encoding::{CompressionLevel, compress_to_vec};

use crate::error::ZFileError;
use crate::options::Algorithm;

const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// Largest window a block frame may declare; real frames use at most the 64 KiB block size.
const ZSTD_MAX_WINDOW: u64 = 1 << 20;

/// Compresses one block (never empty) and appends it to `out`.
#[cfg(test)]
pub(crate) fn compress(
    algorithm: Algorithm,
    data: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), ZFileError> {
    let raw = compress_raw(algorithm, data);
    finish_block(algorithm, &raw, data.len() as u64, out)
}

/// What a [`BlockCodec`](crate::BlockCodec) makes of one block: a raw LZ4 block, or a zstd
/// frame as ruzstd writes it (no content size).
pub(crate) fn compress_raw(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
    match algorithm {
        Algorithm::Lz4 => lz4_flex::block::compress(data),
        // Fastest is the strongest level ruzstd implements.
        Algorithm::Zstd => compress_to_vec(data, CompressionLevel::Fastest),
    }
}

/// Appends the stored form of a block `compress_raw` (or a codec elsewhere) compressed.
pub(crate) fn finish_block(
    algorithm: Algorithm,
    raw: &[u8],
    original_len: u64,
    out: &mut Vec<u8>,
) -> Result<(), ZFileError> {
    match algorithm {
        Algorithm::Lz4 => {
            out.extend_from_slice(raw);
            Ok(())
        }
        Algorithm::Zstd => with_content_size(raw, original_len, out),
    }
}

/// ruzstd writes a window descriptor and no content size; upstream readers and libzstd's
/// one-shot output carry the content size, so the header is replaced by a single-segment one.
/// That is valid because every match of the frame refers inside its own (≤ 64 KiB) content.
fn with_content_size(frame: &[u8], content_size: u64, out: &mut Vec<u8>) -> Result<(), ZFileError> {
    let (Some(magic), Some(&descriptor)) = (frame.get(..4), frame.get(4)) else {
        return Err(ZFileError::ZstdFrameHeader);
    };
    let fcs_flag = descriptor >> 6;
    let single_segment = descriptor & 0x20 != 0;
    let checksum = descriptor & 0x04;
    let dict_flag = descriptor & 0x03;
    if magic != ZSTD_MAGIC || fcs_flag != 0 || single_segment || dict_flag != 0 {
        return Err(ZFileError::ZstdFrameHeader);
    }
    // Magic, descriptor and the one-byte window descriptor.
    let blocks = frame.get(6..).ok_or(ZFileError::ZstdFrameHeader)?;
    out.extend_from_slice(&ZSTD_MAGIC);
    if content_size < 256 {
        out.push(0x20 | checksum);
        out.push(content_size as u8);
    } else if content_size < 256 + 65536 {
        out.push(0x40 | 0x20 | checksum);
        out.extend_from_slice(&((content_size - 256) as u16).to_le_bytes());
    } else {
        out.push(0x80 | 0x20 | checksum);
        let size = u32::try_from(content_size).map_err(|_| ZFileError::ZstdFrameHeader)?;
        out.extend_from_slice(&size.to_le_bytes());
    }
    out.extend_from_slice(blocks);
    Ok(())
}

/// Reusable decompression state; one per reader.
pub(crate) struct Decoder {
    zstd: FrameDecoder,
}

impl Decoder {
    pub(crate) fn new() -> Self {
        let mut zstd = FrameDecoder::new();
        zstd.set_max_window_size(ZSTD_MAX_WINDOW);
        Decoder { zstd }
    }

    /// Decompresses block `block` into `dst` (block_size long); returns the decoded length.
    pub(crate) fn decompress(
        &mut self,
        algorithm: Algorithm,
        block: u64,
        src: &[u8],
        dst: &mut [u8],
    ) -> Result<usize, ZFileError> {
        let block_size = u32::try_from(dst.len()).unwrap_or(u32::MAX);
        match algorithm {
            Algorithm::Lz4 => lz4_flex::block::decompress_into(src, dst).map_err(|e| match e {
                lz4_flex::block::DecompressError::OutputTooSmall { .. } => {
                    ZFileError::BlockTooLarge { block, block_size }
                }
                other => ZFileError::Decompress {
                    block,
                    algorithm,
                    detail: other.to_string(),
                },
            }),
            Algorithm::Zstd => self.zstd.decode_all(src, dst).map_err(|e| match e {
                FrameDecoderError::TargetTooSmall => {
                    ZFileError::BlockTooLarge { block, block_size }
                }
                other => ZFileError::Decompress {
                    block,
                    algorithm,
                    detail: other.to_string(),
                },
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(algorithm: Algorithm, data: &[u8]) -> Vec<u8> {
        let mut c = Vec::new();
        compress(algorithm, data, &mut c).unwrap();
        let mut d = vec![0u8; 65536];
        let n = Decoder::new().decompress(algorithm, 0, &c, &mut d).unwrap();
        d.truncate(n);
        d
    }

    #[test]
    fn zstd_frames_carry_the_content_size() {
        for len in [1usize, 255, 256, 4096, 65535, 65536] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut c = Vec::new();
            compress(Algorithm::Zstd, &data, &mut c).unwrap();
            let mut dec = FrameDecoder::new();
            dec.init(&c[..]).unwrap();
            assert_eq!(dec.content_size(), len as u64);
            assert_eq!(round_trip(Algorithm::Zstd, &data), data);
        }
    }

    #[test]
    fn lz4_round_trips_incompressible_data() {
        let data: Vec<u8> = (0..65536u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert_eq!(round_trip(Algorithm::Lz4, &data), data);
    }

    #[test]
    fn oversized_output_is_a_typed_error() {
        let data = vec![7u8; 8192];
        for algorithm in [Algorithm::Lz4, Algorithm::Zstd] {
            let mut c = Vec::new();
            compress(algorithm, &data, &mut c).unwrap();
            let mut d = vec![0u8; 4096];
            let r = Decoder::new().decompress(algorithm, 3, &c, &mut d);
            assert!(
                matches!(
                    r,
                    Err(ZFileError::BlockTooLarge {
                        block: 3,
                        block_size: 4096
                    })
                ),
                "{algorithm:?}: {r:?}"
            );
        }
    }
}
