//! Encoding side: values that write themselves the way Go's `json.Marshal` writes the
//! corresponding Go type.

use super::escape::write_string;
use std::collections::BTreeMap;

/// A value with a Go `encoding/json` rendering.
pub trait GoEncode {
    /// Appends the compact JSON form.
    fn encode(&self, out: &mut Vec<u8>);

    /// Go's `isEmptyValue`, which decides `omitempty`: false, 0, "", nil pointers and
    /// zero-length slices and maps. Structs are never empty.
    fn is_empty_value(&self) -> bool {
        false
    }
}

impl GoEncode for String {
    fn encode(&self, out: &mut Vec<u8>) {
        write_string(out, self);
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

impl GoEncode for bool {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if *self { b"true" } else { b"false" });
    }
    fn is_empty_value(&self) -> bool {
        !*self
    }
}

impl GoEncode for i64 {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.to_string().as_bytes());
    }
    fn is_empty_value(&self) -> bool {
        *self == 0
    }
}

/// A Go slice that was never assigned (nil) and one that is empty both count as empty; a
/// `Vec` stands for slices whose field has `omitempty`, so nil never reaches the output.
impl<T: GoEncode> GoEncode for Vec<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            item.encode(out);
        }
        out.push(b']');
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

/// `Option` is a Go pointer, or a nil-able slice in a field without `omitempty`: `None` is
/// `null`. A non-nil pointer is never empty.
impl<T: GoEncode> GoEncode for Option<T> {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.encode(out),
            None => out.extend_from_slice(b"null"),
        }
    }
    fn is_empty_value(&self) -> bool {
        self.is_none()
    }
}

/// Go sorts map keys by their bytes; a `BTreeMap<String, _>` iterates in that order.
impl<V: GoEncode> GoEncode for BTreeMap<String, V> {
    fn encode(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (k, v)) in self.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_string(out, k);
            out.push(b':');
            v.encode(out);
        }
        out.push(b'}');
    }
    fn is_empty_value(&self) -> bool {
        self.is_empty()
    }
}

/// Writes `"key":` for a struct field.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    write_string(out, key);
    out.push(b':');
}
