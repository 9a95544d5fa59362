//! Options of the overlaybd-family engines, as `describe` lists them and as they are parsed.

use zfile::{Algorithm, BLOCK_SIZES};

use crate::{EngineError, OptionSpec};

/// Which engine the options are for: `sparse` is native only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Native,
    Turbo,
}

/// Parsed options; `Default` gives the values `describe` lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObdOptions {
    /// Virtual size of the block device in bytes (a whole number of GiB).
    pub vsize: u64,
    /// Format a fresh ext4 in layer 0; false stacks the layers on the `baselayer` asset.
    pub mkfs: bool,
    /// Sparse scratch data (native); false is upstream's `--disable-sparse` append mode.
    pub sparse: bool,
    pub zfile: zfile::Options,
}

const GIB: u64 = 1 << 30;
/// The device sizes the ext4 writer handles: 1 GiB ..= 256 TiB.
const MAX_VSIZE_GIB: u64 = 256 << 10;

impl Default for ObdOptions {
    fn default() -> Self {
        Self {
            vsize: 64 * GIB,
            mkfs: true,
            sparse: true,
            zfile: zfile::Options::default(),
        }
    }
}

impl ObdOptions {
    /// What `describe` lists for `flavour`; every option changes the output bytes.
    pub fn specs(flavour: Flavour) -> Vec<OptionSpec> {
        let spec = |name: &str, default: &str, description: &str| OptionSpec {
            name: name.into(),
            description: description.into(),
            default_value: default.into(),
            affects_output: true,
        };
        let mut specs = vec![
            spec(
                "vsize",
                "64",
                "virtual size of the block device in GiB (1 ..= 262144), set when layer 0 \
                 formats the filesystem",
            ),
            spec(
                "mkfs",
                "true",
                "`true` formats a fresh ext4 in layer 0; `false` builds on the `baselayer` asset \
                 and publishes it as the bottom layer",
            ),
        ];
        if flavour == Flavour::Native {
            specs.push(spec(
                "sparse",
                "true",
                "`true` keeps scratch data sparse; `false` is upstream's append mode \
                 (--disable-sparse)",
            ));
        }
        specs.extend([
            spec("algorithm", "lz4", "ZFile block codec: `lz4` or `zstd`"),
            spec("bs", "4", "ZFile block size in KiB: 4, 8, 16, 32 or 64"),
        ]);
        specs
    }

    /// Parses the options the host passes; later values of a name win, unknown names and
    /// malformed values are `invalid-option`.
    pub fn parse(options: &[(String, String)], flavour: Flavour) -> Result<Self, EngineError> {
        let mut out = Self::default();
        for (name, value) in options {
            match (name.as_str(), flavour) {
                ("vsize", _) => out.vsize = parse_vsize(value)?,
                ("mkfs", _) => out.mkfs = parse_bool(name, value)?,
                ("sparse", Flavour::Native) => out.sparse = parse_bool(name, value)?,
                ("algorithm", _) => out.zfile.algorithm = parse_algorithm(value)?,
                ("bs", _) => out.zfile.block_size = parse_block_size(value)?,
                _ => return Err(bad(format!("this engine has no option `{name}`"))),
            }
        }
        Ok(out)
    }
}

fn bad(message: String) -> EngineError {
    EngineError::InvalidOption(message)
}

fn parse_vsize(value: &str) -> Result<u64, EngineError> {
    match value.parse::<u64>() {
        Ok(gib @ 1..=MAX_VSIZE_GIB) => Ok(gib * GIB),
        _ => Err(bad(format!(
            "vsize must be a whole number of GiB in 1 ..= {MAX_VSIZE_GIB}, not `{value}`"
        ))),
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, EngineError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(bad(format!(
            "{name} must be `true` or `false`, not `{value}`"
        ))),
    }
}

fn parse_algorithm(value: &str) -> Result<Algorithm, EngineError> {
    match value {
        "lz4" => Ok(Algorithm::Lz4),
        "zstd" => Ok(Algorithm::Zstd),
        _ => Err(bad(format!(
            "algorithm must be `lz4` or `zstd`, not `{value}`"
        ))),
    }
}

fn parse_block_size(value: &str) -> Result<u32, EngineError> {
    value
        .parse::<u32>()
        .ok()
        .and_then(|kib| kib.checked_mul(1024))
        .filter(|bytes| BLOCK_SIZES.contains(bytes))
        .ok_or_else(|| {
            bad(format!(
                "bs must be 4, 8, 16, 32 or 64 (KiB), not `{value}`"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_match_what_describe_lists() {
        let parsed = ObdOptions::parse(&[], Flavour::Native).unwrap();
        assert_eq!(parsed, ObdOptions::default());
        let explicit: Vec<(String, String)> = ObdOptions::specs(Flavour::Native)
            .into_iter()
            .map(|s| (s.name, s.default_value))
            .collect();
        assert_eq!(
            ObdOptions::parse(&explicit, Flavour::Native).unwrap(),
            parsed
        );
        assert!(
            ObdOptions::specs(Flavour::Native)
                .iter()
                .all(|s| s.affects_output)
        );
    }

    #[test]
    fn values_are_parsed() {
        let o = ObdOptions::parse(
            &opts(&[
                ("vsize", "2"),
                ("mkfs", "false"),
                ("algorithm", "zstd"),
                ("bs", "64"),
            ]),
            Flavour::Turbo,
        )
        .unwrap();
        assert_eq!(o.vsize, 2 << 30);
        assert!(!o.mkfs);
        assert_eq!(o.zfile.algorithm, Algorithm::Zstd);
        assert_eq!(o.zfile.block_size, 65536);
    }

    #[test]
    fn bad_values_are_invalid_options() {
        for pairs in [
            [("vsize", "0")],
            [("vsize", "262145")],
            [("vsize", "-1")],
            [("mkfs", "yes")],
            [("bs", "12")],
            [("bs", "4294967295")],
            [("algorithm", "lzo")],
            [("sparse", "false")],
        ] {
            let err = ObdOptions::parse(&opts(&pairs), Flavour::Turbo).unwrap_err();
            assert!(
                matches!(err, EngineError::InvalidOption(_)),
                "{pairs:?}: {err:?}"
            );
        }
    }
}
