//! Where entries and their data come from: the tar reader, or anything shaped like it.

use std::io::Read;

use tarstream::{Entry, TarReader};

use crate::error::ApplyError;

/// A stream of tar entries with the data of the current one, as `tarstream::TarReader`
/// provides it.
pub trait EntrySource {
    fn next_entry(&mut self) -> Result<Option<Entry>, ApplyError>;
    /// Stored data of the current regular file: its segments' bytes concatenated in order;
    /// 0 at the end.
    fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, ApplyError>;
    /// Skips what is left of the current entry's data.
    fn skip_data(&mut self) -> Result<(), ApplyError>;
}

impl<R: Read> EntrySource for TarReader<R> {
    fn next_entry(&mut self) -> Result<Option<Entry>, ApplyError> {
        Ok(TarReader::next_entry(self)?)
    }

    fn read_data(&mut self, buf: &mut [u8]) -> Result<usize, ApplyError> {
        Ok(TarReader::read_data(self, buf)?)
    }

    fn skip_data(&mut self) -> Result<(), ApplyError> {
        Ok(TarReader::skip_data(self)?)
    }
}
