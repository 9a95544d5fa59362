//! LSMT layers: writable layer, commit, warp (TurboOCI) layers, readers and stacked device.
//!
//! Byte layouts follow the overlaybd LSMT format; committed output is meant to be identical to
//! upstream `overlaybd-commit` for the same mapping list.

mod commit;
mod device;
mod error;
mod header;
mod rangemap;
mod record;
mod ro;
mod rw;
mod stack;
mod upper;
mod uuid;
mod warp;

pub use commit::{
    COPY_PIECE_SECTORS, CommitOptions, CommitSource, CommitSummary, INDEX_PAD_RECORDS, commit,
};
pub use device::LayeredDevice;
pub use error::{Error, Result};
pub use header::{
    BLOCK_SIZE, FLAG_DATA, FLAG_GC_LAYER, FLAG_HEADER, FLAG_INFO_VALID, FLAG_SEALED,
    FLAG_SPARSE_RW, Header, MAGIC0, MAGIC1, MAX_USER_TAG, STRUCT_SIZE,
};
pub use record::{
    INVALID_OFFSET, MAX_LENGTH, MAX_MOFFSET, RECORD_SIZE, Record, SECTOR, check_sorted, decode_all,
};
pub use ro::{LsmtFile, MAX_RO_INDEX_RECORDS};
pub use rw::{CreateOptions, MAX_IO_SIZE, MAX_RW_INDEX_RECORDS, RwLayer};
pub use stack::{Layer, MAX_LAYERS, MergedExtent, Stack};
pub use upper::{Piece, PieceSource, UpperLayer};
pub use uuid::{UUID_STRING_LEN, Uuid};
pub use warp::{TAG_META, TAG_REMOTE, WarpCreateOptions, WarpFile, WarpLayer};
