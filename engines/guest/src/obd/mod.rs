//! Glue the overlaybd-family engines share (feature `overlaybd`): options, descriptors, the
//! lower stack and the mapping of library errors onto `engine-error`.

mod codec;
mod descriptor;
mod errors;
mod options;
mod stack;

pub use codec::HostCodec;
pub use descriptor::{
    DIGEST_PLACEHOLDER, SIZE_PLACEHOLDER, blob_annotations, is_docker_type, layer_media_type,
    tar_types,
};
pub use errors::{convert_error, layer_error};
pub use options::{Flavour, ObdOptions};
pub use stack::{BASELAYER, open_lowers};

use crate::EngineError;
use lsmt::Uuid;

/// The LSMT UUID upstream derives from an OCI chain ID.
pub fn uuid(chain_id: &str) -> Result<Uuid, EngineError> {
    overlaybd::chain::uuid_from_chain_id(chain_id)
        .map_err(|err| EngineError::InvalidInput(err.to_string()))
}
