//! PAX extended header records (`x` per member, `g` global) and how they combine.

use crate::error::TarError;
use crate::number::{parse_decimal, parse_pax_time};
use std::collections::BTreeMap;

pub(crate) const XATTR_PREFIX: &[u8] = b"SCHILY.xattr.";
const SPARSE_PREFIX: &[u8] = b"GNU.sparse.";
const SPARSE_OFFSET: &[u8] = b"GNU.sparse.offset";
const SPARSE_NUMBYTES: &[u8] = b"GNU.sparse.numbytes";

type Records = BTreeMap<Vec<u8>, Vec<u8>>;
/// (keyword, value) slices of a PAX body.
type RecordRefs<'a> = Vec<(&'a [u8], &'a [u8])>;

/// Splits a PAX body into its `LEN KEY=VALUE\n` records. Values are binary-safe; NUL bytes
/// after the last record (block padding some writers count in the size) are tolerated.
pub(crate) fn parse_records(body: &[u8], offset: u64) -> Result<RecordRefs<'_>, TarError> {
    let bad = || TarError::BadPaxRecord { offset };
    let mut out = Vec::new();
    let mut rest = body;
    while !rest.iter().all(|&b| b == 0) {
        // The length prefix is a handful of digits; don't scan far into a bogus body for it.
        let space = rest
            .iter()
            .take(24)
            .position(|&b| b == b' ')
            .ok_or_else(bad)?;
        let len = rest
            .get(..space)
            .and_then(|t| parse_decimal(t).ok())
            .and_then(|l| usize::try_from(l).ok())
            .ok_or_else(bad)?;
        if len <= space + 1 || len > rest.len() {
            return Err(bad());
        }
        let (record, tail) = rest.split_at(len);
        let (last, kv) = record
            .get(space + 1..)
            .and_then(<[u8]>::split_last)
            .ok_or_else(bad)?;
        if *last != b'\n' {
            return Err(bad());
        }
        let eq = kv.iter().position(|&b| b == b'=').ok_or_else(bad)?;
        let (key, value) = kv.split_at(eq);
        let value = value.get(1..).unwrap_or_default();
        if key.is_empty() {
            return Err(bad());
        }
        out.push((key, value));
        rest = tail;
    }
    Ok(out)
}

/// Folds a global (`g`) body into the global records: later values replace earlier ones and
/// an empty value deletes the keyword. Sparse records describe one member and are not kept.
pub(crate) fn merge_global(global: &mut Records, body: &[u8], offset: u64) -> Result<(), TarError> {
    for (key, value) in parse_records(body, offset)? {
        if key.starts_with(SPARSE_PREFIX) {
            continue;
        }
        if value.is_empty() {
            global.remove(key);
        } else {
            global.insert(key.to_vec(), value.to_vec());
        }
    }
    Ok(())
}

/// The `x` records of one member.
#[derive(Default)]
pub(crate) struct LocalPax {
    /// Latest value per keyword; an empty value is kept as "deleted" so it hides a global one.
    pub records: Records,
    /// GNU sparse 0.0 repeats `GNU.sparse.offset`/`GNU.sparse.numbytes`, so order matters.
    pub sparse_pairs: Vec<(u64, u64)>,
    pending_sparse_offset: Option<u64>,
}

impl LocalPax {
    pub fn add(&mut self, body: &[u8], offset: u64) -> Result<(), TarError> {
        for (key, value) in parse_records(body, offset)? {
            if key == SPARSE_OFFSET {
                if self.pending_sparse_offset.is_some() {
                    return Err(TarError::BadSparseMap { offset });
                }
                self.pending_sparse_offset = Some(value_u64(key, value, offset)?);
            } else if key == SPARSE_NUMBYTES {
                let start = self
                    .pending_sparse_offset
                    .take()
                    .ok_or(TarError::BadSparseMap { offset })?;
                self.sparse_pairs
                    .push((start, value_u64(key, value, offset)?));
            } else {
                self.records.insert(key.to_vec(), value.to_vec());
            }
        }
        if self.pending_sparse_offset.is_some() {
            return Err(TarError::BadSparseMap { offset });
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty() && self.sparse_pairs.is_empty()
    }

    /// A member-only record (sparse keywords), deleted when empty.
    pub fn local(&self, key: &[u8]) -> Option<&[u8]> {
        self.records
            .get(key)
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty())
    }
}

/// The records in force for one member: its own `x` records over the globals.
pub(crate) struct Resolved<'a> {
    pub local: &'a LocalPax,
    pub global: &'a Records,
}

impl<'a> Resolved<'a> {
    pub fn get(&self, key: &[u8]) -> Option<&'a [u8]> {
        match self.local.records.get(key) {
            Some(v) if v.is_empty() => None,
            Some(v) => Some(v),
            None => self.global.get(key).map(Vec::as_slice),
        }
    }

    /// `SCHILY.xattr.NAME` records in force, sorted by NAME.
    pub fn xattrs(&self) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut out: Records = BTreeMap::new();
        for (key, value) in with_prefix(self.global, XATTR_PREFIX) {
            out.insert(key.to_vec(), value.to_vec());
        }
        for (key, value) in with_prefix(&self.local.records, XATTR_PREFIX) {
            if value.is_empty() {
                out.remove(key);
            } else {
                out.insert(key.to_vec(), value.to_vec());
            }
        }
        out.into_iter().filter(|(k, _)| !k.is_empty()).collect()
    }
}

/// (keyword without the prefix, value) for every record whose keyword starts with `prefix`.
fn with_prefix<'m>(
    map: &'m Records,
    prefix: &'m [u8],
) -> impl Iterator<Item = (&'m [u8], &'m [u8])> + 'm {
    map.range(prefix.to_vec()..)
        .take_while(move |(k, _)| k.starts_with(prefix))
        .map(move |(k, v)| (k.get(prefix.len()..).unwrap_or_default(), v.as_slice()))
}

fn bad_value(key: &[u8], offset: u64) -> TarError {
    TarError::BadPaxValue {
        key: String::from_utf8_lossy(key).into_owned(),
        offset,
    }
}

pub(crate) fn value_u64(key: &[u8], value: &[u8], offset: u64) -> Result<u64, TarError> {
    parse_decimal(value).map_err(|_| bad_value(key, offset))
}

pub(crate) fn value_u32(key: &[u8], value: &[u8], offset: u64) -> Result<u32, TarError> {
    u32::try_from(value_u64(key, value, offset)?).map_err(|_| bad_value(key, offset))
}

pub(crate) fn value_time(key: &[u8], value: &[u8], offset: u64) -> Result<(i64, u32), TarError> {
    parse_pax_time(value).map_err(|_| bad_value(key, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One well-formed record.
    fn rec(key: &str, value: &[u8]) -> Vec<u8> {
        let body_len = key.len() + value.len() + 3;
        let mut len = body_len + 1;
        while len.to_string().len() + body_len != len {
            len = len.to_string().len() + body_len;
        }
        let mut out = format!("{len} {key}=").into_bytes();
        out.extend_from_slice(value);
        out.push(b'\n');
        out
    }

    #[test]
    fn records_split_with_binary_values() {
        let mut body = rec("mtime", b"1700000000.123456789");
        body.extend(rec("SCHILY.xattr.a", b"\0\n"));
        let r = parse_records(&body, 0).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0], (&b"mtime"[..], &b"1700000000.123456789"[..]));
        assert_eq!(r[1], (&b"SCHILY.xattr.a"[..], &b"\0\n"[..]));
    }

    #[test]
    fn malformed_records_are_errors() {
        assert_eq!(rec("path", b"abc"), b"12 path=abc\n");
        for body in [
            &b"13 path=abc\n"[..], // length past the end
            b"12 path=abc!",       // no newline at the end
            b"11 pathabc\n",       // no '='
            b"x path=abc\n",       // length is not a number
            b"5 =a\n",             // empty keyword
            b"1 \n",               // length shorter than its own prefix
            b"12 path=abc\n\x01",  // garbage after the last record
        ] {
            assert!(
                matches!(
                    parse_records(body, 7),
                    Err(TarError::BadPaxRecord { offset: 7 })
                ),
                "{body:?}"
            );
        }
        assert_eq!(parse_records(b"12 path=abc\n\0\0\0", 0).unwrap().len(), 1);
    }

    #[test]
    fn local_overrides_and_deletes_globals() {
        let mut global = BTreeMap::new();
        let mut g = rec("uid", b"42");
        g.extend(rec("SCHILY.xattr.user.g", b"1"));
        merge_global(&mut global, &g, 0).unwrap();
        let mut local = LocalPax::default();
        let mut x = rec("uid", b"");
        x.extend(rec("SCHILY.xattr.user.x", b"2"));
        local.add(&x, 0).unwrap();
        let r = Resolved {
            local: &local,
            global: &global,
        };
        assert_eq!(r.get(b"uid"), None);
        assert_eq!(
            r.xattrs(),
            vec![
                (b"user.g".to_vec(), b"1".to_vec()),
                (b"user.x".to_vec(), b"2".to_vec())
            ]
        );
    }

    #[test]
    fn sparse_pairs_keep_order() {
        let mut body = Vec::new();
        for (k, v) in [
            ("offset", "5"),
            ("numbytes", "3"),
            ("offset", "9"),
            ("numbytes", "1"),
        ] {
            body.extend(rec(&format!("GNU.sparse.{k}"), v.as_bytes()));
        }
        let mut local = LocalPax::default();
        local.add(&body, 0).unwrap();
        assert_eq!(local.sparse_pairs, vec![(5, 3), (9, 1)]);
        let mut bad = LocalPax::default();
        assert!(matches!(
            bad.add(&rec("GNU.sparse.numbytes", b"3"), 0),
            Err(TarError::BadSparseMap { .. })
        ));
    }
}
