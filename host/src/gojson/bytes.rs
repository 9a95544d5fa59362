//! Go `[]byte`: base64 (standard alphabet, padded) in JSON.

use super::decode::GoDecode;
use super::encode::GoEncode;
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use serde::{Deserialize, Deserializer};

/// `base64.StdEncoding`: padding required, non-zero trailing bits tolerated.
const STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical),
);

/// Raw bytes serialized as a base64 string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoBytes(pub Vec<u8>);

impl GoEncode for GoBytes {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'"');
        out.extend_from_slice(STD.encode(&self.0).as_bytes());
        out.push(b'"');
    }
    fn is_empty_value(&self) -> bool {
        self.0.is_empty()
    }
}

impl GoDecode for GoBytes {
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        match Option::<String>::deserialize(d)? {
            None => self.0.clear(),
            Some(s) => {
                // Go's decoder skips CR and LF inside base64 text.
                let clean: String = s.chars().filter(|c| *c != '\r' && *c != '\n').collect();
                self.0 = STD.decode(clean).map_err(serde::de::Error::custom)?;
            }
        }
        Ok(())
    }
}
