//! The raw CRC32C of spec §2.5: register starts at the seed, no inversion on entry or exit.

/// Raw CRC32C (Castagnoli) of `data` with the register initialised to `seed`.
pub fn crc32c_raw(seed: u32, data: &[u8]) -> u32 {
    // crc32c_append inverts on entry and exit; cancelling both gives the raw register update.
    !crc32c::crc32c_append(!seed, data)
}

#[cfg(test)]
mod tests {
    use super::crc32c_raw;

    #[test]
    fn spec_vectors() {
        assert_eq!(crc32c_raw(0, b"123456789"), 0x58E3_FA20);
        assert_eq!(crc32c_raw(100_007, b"123456789"), 0x3C9B_D4E0);
        assert_eq!(crc32c_raw(100_007, b""), 0x0001_86A7);
        assert_eq!(crc32c_raw(0, &[0u8; 4096]), 0);
        assert_eq!(crc32c_raw(100_007, &[0u8; 4096]), 0x1874_6CCD);
        assert_eq!(crc32c::crc32c(b"123456789"), 0xE306_9283);
    }

    #[test]
    fn raw_crc_chains_across_splits() {
        let data = b"the quick brown fox jumps over the lazy dog";
        let (a, b) = data.split_at(17);
        assert_eq!(crc32c_raw(crc32c_raw(5, a), b), crc32c_raw(5, data));
    }
}
