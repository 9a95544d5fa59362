//! String escaping exactly as Go's `encoding/json` does with HTML escaping on (the default of
//! `json.Marshal`).

const HEX: &[u8; 16] = b"0123456789abcdef";

/// Appends `s` as a quoted JSON string.
///
/// Go (1.22 and later) writes `\b` `\f` `\n` `\r` `\t` as short escapes, every other control
/// character as `\u00xx`, and escapes `<` `>` `&` U+2028 U+2029 so the output is safe inside
/// HTML `<script>` tags.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut start = 0;
    for (i, c) in s.char_indices() {
        let short: Option<&[u8]> = match c {
            '"' => Some(b"\\\""),
            '\\' => Some(b"\\\\"),
            '\u{8}' => Some(b"\\b"),
            '\u{c}' => Some(b"\\f"),
            '\n' => Some(b"\\n"),
            '\r' => Some(b"\\r"),
            '\t' => Some(b"\\t"),
            _ => None,
        };
        let needs_u = matches!(
            c,
            '\0'..='\u{1f}' | '<' | '>' | '&' | '\u{2028}' | '\u{2029}'
        );
        if short.is_none() && !needs_u {
            continue;
        }
        out.extend_from_slice(&s.as_bytes()[start..i]);
        start = i + c.len_utf8();
        match short {
            Some(esc) => out.extend_from_slice(esc),
            None => {
                let v = c as u32;
                out.extend_from_slice(b"\\u");
                for shift in [12u32, 8, 4, 0] {
                    out.push(HEX[((v >> shift) & 0xf) as usize]);
                }
            }
        }
    }
    out.extend_from_slice(&s.as_bytes()[start..]);
    out.push(b'"');
}
