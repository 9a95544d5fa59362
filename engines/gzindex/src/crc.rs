//! Raw CRC32C (no pre/post inversion), as overlaybd computes it (spec §2.5).

/// CRC32C register update from `seed` over `data` without the usual bit inversions.
pub fn raw_crc32c(seed: u32, data: &[u8]) -> u32 {
    !crc32c::crc32c_append(!seed, data)
}

#[cfg(test)]
mod tests {
    use super::raw_crc32c;

    #[test]
    fn spec_vectors() {
        assert_eq!(raw_crc32c(0, b"123456789"), 0x58E3_FA20);
        assert_eq!(raw_crc32c(100_007, b"123456789"), 0x3C9B_D4E0);
        assert_eq!(raw_crc32c(100_007, b""), 0x0001_86A7);
        assert_eq!(raw_crc32c(0, &[0u8; 4096]), 0);
        assert_eq!(raw_crc32c(100_007, &[0u8; 4096]), 0x1874_6CCD);
    }
}
