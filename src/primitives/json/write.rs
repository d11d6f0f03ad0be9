//! JSON written straight into a line, field by field.
//!
//! Every request writes its record once, and each request is a fresh
//! instance, so the writer's code and its start-up are paid per request.
//! A writer of our own has nothing between the record and the line
//! (docs/performance.md has what it saved, issue 15). Field names are the
//! writer's own literals, never escaped; every value is.

use crate::primitives::words::{self, HIGH, ONES};

/// One JSON object being written into `out`; [`Object::close`] ends it.
pub struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    pub fn open(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, empty: true }
    }

    /// `,"name":` (no comma before the first field).
    fn key(&mut self, name: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        self.out.push('"');
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out
    }

    pub fn str(&mut self, name: &str, value: &str) {
        string(self.key(name), value);
    }

    /// Leaves the field out when there is no value.
    pub fn opt_str(&mut self, name: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(name, value);
        }
    }

    pub fn uint(&mut self, name: &str, value: u64) {
        self.key(name).push_str(itoa::Buffer::new().format(value));
    }

    /// Leaves the field out when there is no value.
    pub fn opt_uint(&mut self, name: &str, value: Option<u64>) {
        if let Some(value) = value {
            self.uint(name, value);
        }
    }

    pub fn int(&mut self, name: &str, value: i64) {
        self.key(name).push_str(itoa::Buffer::new().format(value));
    }

    pub fn bool(&mut self, name: &str, value: bool) {
        self.key(name)
            .push_str(if value { "true" } else { "false" });
    }

    /// `thousandths / 1000` as a decimal number: 12345 → `12.345`,
    /// 1500 → `1.5`, 2000 → `2.0`. That is the shortest text that reads
    /// back as the same `f64`, as a float serializer would write it (any
    /// decimal of up to 15 significant digits reads back exactly).
    pub fn thousandths(&mut self, name: &str, thousandths: i64) {
        let out = self.key(name);
        if thousandths < 0 {
            out.push('-');
        }
        let magnitude = thousandths.unsigned_abs();
        out.push_str(itoa::Buffer::new().format(magnitude / 1000));
        out.push('.');
        let fraction = magnitude % 1000;
        if fraction == 0 {
            out.push('0');
            return;
        }
        let digits = [fraction / 100, fraction / 10 % 10, fraction % 10];
        let last = digits.iter().rposition(|&d| d != 0).unwrap_or(0);
        for d in &digits[..=last] {
            out.push(char::from(b'0' + *d as u8));
        }
    }

    /// A list of strings, left out when empty.
    pub fn strings(&mut self, name: &str, values: &[String]) {
        if values.is_empty() {
            return;
        }
        let out = self.key(name);
        out.push('[');
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            string(out, value);
        }
        out.push(']');
    }

    /// Where the caller writes this field's value, as JSON.
    pub fn value(&mut self, name: &str) -> &mut String {
        self.key(name)
    }

    /// A nested object as this field's value.
    pub fn object(&mut self, name: &str) -> Object<'_> {
        Object::open(self.key(name))
    }

    pub fn close(self) {
        self.out.push('}');
    }
}

/// The bytes a JSON string cannot hold as they are: `"`, `\` and the
/// control characters. Where the writer escapes and the reader stops
/// copying. A table look-up a byte, as serde_json has, where three
/// comparisons took a third more instructions (docs/performance.md).
/// [`first_escaped`] looks at eight bytes at a time first.
pub(super) const ESCAPED: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = true;
        b += 1;
    }
    table[b'"' as usize] = true;
    table[b'\\' as usize] = true;
    table
};

/// Where the first byte of `bytes` that [`ESCAPED`] marks is: eight
/// bytes at a time, as one `u64`, then one at a time through the table.
/// The log line's values (paths, user agents) run to tens of bytes: the
/// record and its line took 15,288 instructions with the table alone,
/// 13,859 this way. The reader uses it too: natively its strings,
/// mostly keys shorter than a word, gained nothing (the snapshot's config
/// 41,392 → 43,056 instructions, a little worse), but run as Wasm
/// under Viceroy the whole request took 5,500 fewer
/// (`scripts/count-instructions`). Inlined into its two callers, as a
/// call it cost 5,300 instructions a request more (120 calls).
#[inline(always)]
pub(super) fn first_escaped(bytes: &[u8]) -> Option<usize> {
    words::first_marked(
        bytes,
        // Bytes below 0x20 (a borrow from the high bit), `"` and `\`.
        |x| {
            (x.wrapping_sub(ONES * 0x20) & !x & HIGH)
                | words::bytes_equal(x, b'"')
                | words::bytes_equal(x, b'\\')
        },
        |b| ESCAPED[usize::from(b)],
    )
}

/// `value` as a JSON string: `"` and `\` escaped, control characters as
/// `\n`-style or `\u00XX` escapes, everything else (UTF-8 included) as is.
pub fn string(out: &mut String, value: &str) {
    out.push('"');
    let mut rest = value;
    // Runs with nothing to escape, nearly every value whole, are copied
    // in one piece.
    while let Some(i) = first_escaped(rest.as_bytes()) {
        // Only ASCII bytes stop the scan, so the cut is on a character
        // boundary.
        out.push_str(&rest[..i]);
        let b = rest.as_bytes()[i];
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x08 => out.push_str("\\b"),
            0x0c => out.push_str("\\f"),
            _ => {
                out.push_str("\\u00");
                crate::primitives::hex::push(out, &[b]);
            }
        }
        rest = &rest[i + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

#[cfg(test)]
mod tests {
    /// The word-at-a-time scan finds what a byte-by-byte look-up in the
    /// table finds, for every byte value at every place in a word, past
    /// it, and after an earlier non-ASCII byte.
    #[test]
    fn first_escaped_agrees_with_the_table() {
        let table = |bytes: &[u8]| bytes.iter().position(|&b| super::ESCAPED[usize::from(b)]);
        crate::primitives::words::each_byte_at_each_place(0xe2, |bytes, case| {
            assert_eq!(super::first_escaped(bytes), table(bytes), "{case}");
        });
        assert_eq!(super::first_escaped(b""), None);
        assert_eq!(super::first_escaped(b"0123456789abcdef\\"), Some(16));
        assert_eq!(super::first_escaped(b"\x1f\"\\"), Some(0));
    }

    use super::*;

    fn one_field(write: impl FnOnce(&mut Object<'_>)) -> String {
        let mut out = String::new();
        let mut object = Object::open(&mut out);
        write(&mut object);
        object.close();
        out
    }

    /// Every string reads back as itself, and is written as serde_json
    /// writes it, hostile ones included.
    #[test]
    fn strings_read_back_as_themselves() {
        let all_controls: String = (0u8..0x20).map(char::from).collect();
        for value in [
            "",
            "plain",
            "quote \" and backslash \\",
            "line\nbreak\r\ttab",
            &all_controls,
            "\u{7f}del",
            "ünïcødé ✓ 🚀",
            "\u{2028}\u{2029}",
            "ends with \\",
            "\"",
        ] {
            let line = one_field(|o| o.str("v", value));
            let parsed: serde_json::Value = serde_json::from_str(&line).unwrap();
            assert_eq!(parsed["v"], value, "{line}");
            let reference = serde_json::json!({ "v": value }).to_string();
            assert_eq!(line, reference);
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn thousandths_are_the_shortest_decimal_of_the_float() {
        for n in [
            0i64,
            1,
            10,
            100,
            999,
            1000,
            1500,
            12_345,
            12_340,
            12_300,
            60_000,
            -1_500,
            1_795_257_906_123,
            1_795_257_906_100,
            1_795_257_906_000,
            999_999_999_999_999,
        ] {
            let line = one_field(|o| o.thousandths("t", n));
            let reference = serde_json::json!({ "t": n as f64 / 1000.0 }).to_string();
            assert_eq!(line, reference, "{n}");
        }
    }

    #[test]
    fn fields_are_joined_and_optional_ones_left_out() {
        let line = one_field(|o| {
            o.uint("a", u64::MAX);
            o.opt_uint("none", None);
            o.opt_str("none", None);
            o.int("b", -7);
            o.bool("c", true);
            o.strings("empty", &[]);
            o.strings("d", &["x".to_owned(), "y\"".to_owned()]);
            let mut inner = o.object("e");
            inner.bool("f", false);
            inner.close();
            o.object("g").close();
        });
        assert_eq!(
            line,
            r#"{"a":18446744073709551615,"b":-7,"c":true,"d":["x","y\""],"e":{"f":false},"g":{}}"#
        );
    }
}
