//! The 16-byte index record ("SegmentMapping").

use crate::error::{Error, Result};

/// Bytes per sector; every offset and length in an index is in sectors.
pub const SECTOR: u64 = 512;
/// Largest record length in sectors (14 bits).
pub const MAX_LENGTH: u32 = 16383;
/// Offset value of the invalid (padding) record: 2^50 - 1.
pub const INVALID_OFFSET: u64 = (1 << 50) - 1;
/// Largest moffset (55 bits).
pub const MAX_MOFFSET: u64 = (1 << 55) - 1;
/// Encoded size of one record.
pub const RECORD_SIZE: usize = 16;

/// One segment mapping: `length` sectors at device sector `offset` live at sector `moffset` of
/// the layer's file (or read as zeros when `zeroed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Record {
    pub offset: u64,
    pub length: u32,
    pub moffset: u64,
    pub zeroed: bool,
    pub tag: u8,
}

impl Record {
    /// The padding record readers drop.
    pub const INVALID: Record = Record {
        offset: INVALID_OFFSET,
        length: 0,
        moffset: 0,
        zeroed: false,
        tag: 0,
    };

    pub fn data(offset: u64, length: u32, moffset: u64) -> Self {
        Record {
            offset,
            length,
            moffset,
            zeroed: false,
            tag: 0,
        }
    }

    pub fn zeroed(offset: u64, length: u32, moffset: u64) -> Self {
        Record {
            zeroed: true,
            ..Record::data(offset, length, moffset)
        }
    }

    pub fn is_invalid(&self) -> bool {
        self.offset == INVALID_OFFSET
    }

    /// First device sector after the record.
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.length)
    }

    /// First file sector after the record's data (the data start for zeroed records).
    pub fn mend(&self) -> u64 {
        if self.zeroed {
            self.moffset
        } else {
            self.moffset + u64::from(self.length)
        }
    }

    /// Fields masked to their bit widths, so encoding never spills into a neighbour field.
    pub fn encode(&self) -> [u8; RECORD_SIZE] {
        let w0 = (self.offset & INVALID_OFFSET) | (u64::from(self.length & MAX_LENGTH) << 50);
        let w1 = (self.moffset & MAX_MOFFSET)
            | (u64::from(self.zeroed) << 55)
            | (u64::from(self.tag) << 56);
        let mut out = [0u8; RECORD_SIZE];
        out[..8].copy_from_slice(&w0.to_le_bytes());
        out[8..].copy_from_slice(&w1.to_le_bytes());
        out
    }

    pub fn decode(bytes: &[u8; RECORD_SIZE]) -> Self {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[..8]);
        let w0 = u64::from_le_bytes(w);
        w.copy_from_slice(&bytes[8..]);
        let w1 = u64::from_le_bytes(w);
        Record {
            offset: w0 & INVALID_OFFSET,
            length: (w0 >> 50) as u32,
            moffset: w1 & MAX_MOFFSET,
            zeroed: (w1 >> 55) & 1 == 1,
            tag: (w1 >> 56) as u8,
        }
    }

    /// Checks that every field fits its bit width (a valid record never uses the invalid offset).
    pub fn validate(&self) -> Result<()> {
        if self.offset >= INVALID_OFFSET || self.end() > INVALID_OFFSET {
            return Err(Error::RecordField {
                field: "offset",
                value: self.offset,
            });
        }
        if self.length > MAX_LENGTH {
            return Err(Error::RecordField {
                field: "length",
                value: u64::from(self.length),
            });
        }
        if self.moffset > MAX_MOFFSET {
            return Err(Error::RecordField {
                field: "moffset",
                value: self.moffset,
            });
        }
        Ok(())
    }

    /// Upstream's moffset window check: data must lie in `[begin, end)`, a zeroed record's
    /// moffset in `[begin, end]`.
    pub fn within(&self, begin: u64, end: u64) -> bool {
        if self.zeroed {
            return begin <= self.moffset && self.moffset <= end;
        }
        let mend = self.mend();
        begin <= self.moffset && self.moffset < end && begin < mend && mend <= end
    }
}

/// Decodes a byte run of records, skipping invalid ones; a trailing partial record is ignored.
pub fn decode_all(bytes: &[u8]) -> Vec<Record> {
    bytes
        .chunks_exact(RECORD_SIZE)
        .filter_map(|c| {
            let mut b = [0u8; RECORD_SIZE];
            b.copy_from_slice(c);
            let r = Record::decode(&b);
            (!r.is_invalid()).then_some(r)
        })
        .collect()
}

/// Checks sort order and overlap of a record list.
pub fn check_sorted(records: &[Record]) -> Result<()> {
    for (i, w) in records.windows(2).enumerate() {
        if w[0].end() > w[1].offset {
            return Err(Error::UnsortedRecords { index: i + 1 });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_record_bytes() {
        assert_eq!(
            Record::INVALID.encode(),
            [
                0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        assert!(Record::decode(&Record::INVALID.encode()).is_invalid());
    }

    #[test]
    fn round_trip_all_fields() {
        let r = Record {
            offset: 0x3_0000_0000_0001,
            length: 16383,
            moffset: MAX_MOFFSET,
            zeroed: true,
            tag: 0xA5,
        };
        assert_eq!(Record::decode(&r.encode()), r);
        let b = Record::data(2048, 8, 16).encode();
        assert_eq!(
            u64::from_le_bytes(b[..8].try_into().unwrap()),
            2048 | 8 << 50
        );
        assert_eq!(u64::from_le_bytes(b[8..].try_into().unwrap()), 16);
    }

    #[test]
    fn validation_and_window() {
        assert!(Record::data(0, 16384, 8).validate().is_err());
        assert!(Record::data(INVALID_OFFSET, 1, 8).validate().is_err());
        assert!(Record::data(0, 8, 8).within(8, 16));
        assert!(!Record::data(0, 9, 8).within(8, 16));
        assert!(Record::zeroed(0, 100, 16).within(8, 16));
        assert!(!Record::data(0, 0, 8).within(8, 16));
        assert!(check_sorted(&[Record::data(0, 8, 8), Record::data(7, 1, 16)]).is_err());
    }
}
