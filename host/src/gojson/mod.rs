//! JSON that matches Go's `encoding/json` byte for byte (upstream-convertor.md §2.9):
//! typed mirrors of the OCI Go structs, `omitempty`, sorted map keys, HTML-safe escaping and
//! RFC 3339 times. Decoding follows Go too, so unknown fields are dropped exactly as upstream
//! drops them.

#[macro_use]
mod gostruct;
mod bytes;
mod decode;
mod encode;
mod escape;
mod oci;
mod time;

pub use bytes::GoBytes;
pub use decode::{Empty, GoDecode, GoStruct, InPlace, decode_struct, match_field};
pub use encode::{GoEncode, write_key};
pub use escape::write_string;
pub use oci::{
    Annotations, Descriptor, History, Image, ImageConfig, Index, Manifest, Platform, RootFs,
};
pub use time::{GoTime, TimeError};

/// A document Go's `json.Unmarshal` rejects.
#[derive(Debug, thiserror::Error)]
#[error("invalid JSON document: {0}")]
pub struct DecodeError(#[from] serde_json::Error);

/// `json.Marshal`: compact, Go's key order and escaping.
pub fn to_vec<T: GoEncode + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    value.encode(&mut out);
    out
}

/// `json.Unmarshal` into a zero value. Trailing non-whitespace is an error, as in Go.
pub fn from_slice<T: GoDecode + Default>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut value = T::default();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    value.decode_in_place(&mut de)?;
    de.end()?;
    Ok(value)
}
