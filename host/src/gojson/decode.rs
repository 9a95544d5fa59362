//! Decoding side: values that decode the way Go's `json.Unmarshal` decodes into an existing Go
//! value. That matters for output bytes because upstream round-trips every document through
//! the Go structs: unknown keys vanish, `null` leaves strings alone, keys match fields
//! case-insensitively, and a repeated key decodes into what the earlier one left behind.

use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;

/// A value that can be decoded in place with Go's semantics.
pub trait GoDecode {
    /// Decodes one JSON value into `self`.
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error>;
}

/// Seed that decodes into an existing value.
pub struct InPlace<'a, T>(pub &'a mut T);

impl<'de, T: GoDecode> DeserializeSeed<'de> for InPlace<'_, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.decode_in_place(d)
    }
}

/// Scalars: `null` is a no-op, as in Go.
macro_rules! scalar {
    ($t:ty) => {
        impl GoDecode for $t {
            fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
                if let Some(v) = Option::<$t>::deserialize(d)? {
                    *self = v;
                }
                Ok(())
            }
        }
    };
}
scalar!(String);
scalar!(bool);
scalar!(i64);

/// Slices: `null` makes them nil (empty); an array reuses existing elements position by
/// position, then truncates.
impl<T: GoDecode + Default> GoDecode for Vec<T> {
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(NullOr(SliceVisitor(self)))
    }
}

/// Pointers (and nil-able slices): `null` sets `None`; anything else decodes into the existing
/// pointee, allocating a zero value first.
impl<T: GoDecode + Default> GoDecode for Option<T> {
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(PointerVisitor(self))
    }
}

/// Maps: `null` makes them nil; an object merges into the existing map, each value decoded
/// into a fresh zero value (Go does not reuse map elements).
impl<V: GoDecode + Default> GoDecode for BTreeMap<String, V> {
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        d.deserialize_option(NullOr(MapVisitor(self)))
    }
}

/// A Go struct: named fields, matched Go-style, unknown keys skipped.
pub trait GoStruct {
    /// JSON names of the fields, in declaration order.
    const FIELDS: &'static [&'static str];
    /// Decodes the current map value into the field called `name` (one of `FIELDS`).
    fn decode_field<'de, A: MapAccess<'de>>(
        &mut self,
        name: &'static str,
        map: &mut A,
    ) -> Result<(), A::Error>;
}

/// Decodes an object into a struct; `null` leaves it unchanged.
pub fn decode_struct<'de, T: GoStruct, D: Deserializer<'de>>(
    target: &mut T,
    d: D,
) -> Result<(), D::Error> {
    d.deserialize_option(StructVisitor(target))
}

struct StructVisitor<'a, T>(&'a mut T);

impl<'de, T: GoStruct> Visitor<'de> for StructVisitor<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match match_field(T::FIELDS, &key) {
                Some(name) => self.0.decode_field(name, &mut map)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Go's `struct{}` as a map value (`ExposedPorts`, `Volumes`): any object, contents ignored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Empty;

impl GoStruct for Empty {
    const FIELDS: &'static [&'static str] = &[];
    fn decode_field<'de, A: MapAccess<'de>>(
        &mut self,
        _name: &'static str,
        map: &mut A,
    ) -> Result<(), A::Error> {
        map.next_value::<IgnoredAny>().map(|_| ())
    }
}

impl GoDecode for Empty {
    fn decode_in_place<'de, D: Deserializer<'de>>(&mut self, d: D) -> Result<(), D::Error> {
        decode_struct(self, d)
    }
}

impl super::encode::GoEncode for Empty {
    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{}");
    }
}

struct NullOr<V>(V);

impl<'de, V: Visitor<'de, Value = ()> + NullTarget> Visitor<'de> for NullOr<V> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.0.expecting(f)
    }
    fn visit_none<E: serde::de::Error>(mut self) -> Result<(), E> {
        self.0.set_nil();
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(mut self) -> Result<(), E> {
        self.0.set_nil();
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.deserialize_from(d)
    }
}

trait NullTarget {
    fn set_nil(&mut self);
    fn deserialize_from<'de, D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error>;
}

struct SliceVisitor<'a, T>(&'a mut Vec<T>);

impl<T: GoDecode + Default> NullTarget for SliceVisitor<'_, T> {
    fn set_nil(&mut self) {
        self.0.clear();
    }
    fn deserialize_from<'de, D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: GoDecode + Default> Visitor<'de> for SliceVisitor<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let v = self.0;
        let mut n = 0usize;
        loop {
            if n == v.len() {
                v.push(T::default());
            }
            let Some(slot) = v.get_mut(n) else { break };
            match seq.next_element_seed(InPlace(slot))? {
                Some(()) => n += 1,
                None => break,
            }
        }
        v.truncate(n);
        Ok(())
    }
}

struct MapVisitor<'a, V>(&'a mut BTreeMap<String, V>);

impl<V: GoDecode + Default> NullTarget for MapVisitor<'_, V> {
    fn set_nil(&mut self) {
        self.0.clear();
    }
    fn deserialize_from<'de, D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, V: GoDecode + Default> Visitor<'de> for MapVisitor<'_, V> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let mut value = V::default();
            map.next_value_seed(InPlace(&mut value))?;
            self.0.insert(key, value);
        }
        Ok(())
    }
}

struct PointerVisitor<'a, T>(&'a mut Option<T>);

impl<'de, T: GoDecode + Default> Visitor<'de> for PointerVisitor<'_, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a value or null")
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        *self.0 = None;
        Ok(())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.0.get_or_insert_with(T::default).decode_in_place(d)
    }
}

/// Finds the struct field a JSON key decodes into: an exact match first, else Go's
/// case-insensitive match.
pub fn match_field(fields: &[&'static str], key: &str) -> Option<&'static str> {
    if let Some(f) = fields.iter().find(|f| **f == key) {
        return Some(f);
    }
    let folded = fold_name(key);
    fields.iter().copied().find(|f| fold_name(f) == folded)
}

/// Go's `foldName`: ASCII letters upper-cased, other runes mapped through
/// `ToUpper(ToLower(r))`. Only four non-ASCII runes fold onto ASCII letters, which is all
/// that matters when the field names are ASCII.
fn fold_name(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'a'..='z' => c.to_ascii_uppercase(),
            '\u{212a}' => 'K',            // Kelvin sign
            '\u{17f}' => 'S',             // long s
            '\u{130}' | '\u{131}' => 'I', // dotted capital I, dotless small i
            _ => c,
        })
        .collect()
}
