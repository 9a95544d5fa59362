//! `go_struct!` declares a struct together with its Go-compatible decoding and encoding, from
//! one table of (field, JSON name, omitempty), so the key order cannot drift from the decoder.

/// Declares a struct mirroring a Go struct with `json:"name[,omitempty]"` tags. Fields are
/// encoded in declaration order.
macro_rules! go_struct {
    (@omit) => { false };
    (@omit omitempty) => { true };
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty => $json:literal $([$opt:ident])? ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl $crate::gojson::GoStruct for $name {
            const FIELDS: &'static [&'static str] = &[$($json),*];
            fn decode_field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                name: &'static str,
                map: &mut A,
            ) -> Result<(), A::Error> {
                match name {
                    $( $json => map.next_value_seed($crate::gojson::InPlace(&mut self.$field)), )*
                    _ => map.next_value::<serde::de::IgnoredAny>().map(|_| ()),
                }
            }
        }

        impl $crate::gojson::GoDecode for $name {
            fn decode_in_place<'de, D: serde::Deserializer<'de>>(
                &mut self,
                d: D,
            ) -> Result<(), D::Error> {
                $crate::gojson::decode_struct(self, d)
            }
        }

        impl $crate::gojson::GoEncode for $name {
            fn encode(&self, out: &mut Vec<u8>) {
                out.push(b'{');
                let mut first = true;
                $(
                    let omit = go_struct!(@omit $($opt)?)
                        && $crate::gojson::GoEncode::is_empty_value(&self.$field);
                    if !omit {
                        if !first {
                            out.push(b',');
                        }
                        first = false;
                        $crate::gojson::write_key(out, $json);
                        $crate::gojson::GoEncode::encode(&self.$field, out);
                    }
                )*
                let _ = first;
                out.push(b'}');
            }
        }
    };
}
