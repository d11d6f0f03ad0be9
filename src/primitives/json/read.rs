//! JSON config values, read in place.
//!
//! A handful of Config Store values are JSON (routes, log endpoints, the
//! shield plan, overrides, the snapshot), and every request parses the
//! ones in its store: each request is a fresh instance. serde_json's
//! deserializer and the visitors serde derives for each shape were about
//! 90 KB of the Wasm, paid at every instantiation (docs/performance.md,
//! issue 15). This reader is one small parser into a tree whose strings
//! borrow from the text unless they hold escapes, and [`Fields`], which
//! reads an object's fields by name and refuses the ones it does not know,
//! as `deny_unknown_fields` did.

use std::borrow::Cow;
use std::fmt;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    Null,
    Bool(bool),
    /// The number as written; the grammar is checked, the value read by
    /// whoever asks for it.
    Number(&'a str),
    String(Cow<'a, str>),
    Array(Vec<Value<'a>>),
    /// Entries in the order written, duplicates included.
    Object(Vec<(Cow<'a, str>, Value<'a>)>),
}

/// Why a value is not the JSON, or not the shape, that was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error {
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// The same error, said of `field`.
    fn in_field(self, field: &str) -> Error {
        Error(format!("{field}: {}", self.0))
    }
}

/// Deeper nesting than any config value needs is refused before it can
/// exhaust the stack.
const MAX_DEPTH: usize = 32;

/// Parses one JSON value, with nothing but whitespace around it.
pub fn parse(text: &str) -> Result<Value<'_>, Error> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let value = reader.value(0)?;
    reader.skip_space();
    if reader.at < reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn error(&self, what: &str) -> Error {
        Error(format!("{what} at byte {}", self.at))
    }

    fn skip_space(&mut self) {
        self.at += self.bytes[self.at..]
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(self.bytes.len() - self.at);
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_space();
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.at += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, Error> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        match self.peek() {
            Some(b'{') => {
                self.at += 1;
                let mut entries = Vec::new();
                if self.eat(b'}') {
                    return Ok(Value::Object(entries));
                }
                loop {
                    if self.peek() != Some(b'"') {
                        return Err(self.error("expected a field name in quotes"));
                    }
                    let name = self.string()?;
                    if !self.eat(b':') {
                        return Err(self.error("expected `:`"));
                    }
                    entries.push((name, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Ok(Value::Object(entries));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected `,` or `}`"));
                    }
                }
            }
            Some(b'[') => {
                self.at += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Ok(Value::Array(items));
                    }
                    if !self.eat(b',') {
                        return Err(self.error("expected `,` or `]`"));
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => {
                for (word, value) in [
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("null", Value::Null),
                ] {
                    if self.text[self.at..].starts_with(word) {
                        self.at += word.len();
                        return Ok(value);
                    }
                }
                Err(self.error("expected a JSON value"))
            }
            None => Err(self.error("expected a JSON value, found the end")),
        }
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<Value<'a>, Error> {
        let start = self.at;
        let digits = |r: &mut Self| {
            let from = r.at;
            while let Some(b'0'..=b'9') = r.bytes.get(r.at) {
                r.at += 1;
            }
            r.at - from
        };
        if self.bytes[self.at] == b'-' {
            self.at += 1;
        }
        let leading_zero = self.bytes.get(self.at) == Some(&b'0');
        let whole = digits(self);
        if whole == 0 || (leading_zero && whole > 1) {
            return Err(self.error("invalid number"));
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(Value::Number(&self.text[start..self.at]))
    }

    /// A string at `"`: borrowed from the text unless it holds escapes.
    fn string(&mut self) -> Result<Cow<'a, str>, Error> {
        self.at += 1;
        let mut owned: Option<String> = None;
        loop {
            // Runs of plain characters are copied (or borrowed) whole.
            let run = self.at;
            let Some(stop) = self.bytes[run..]
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            else {
                self.at = self.bytes.len();
                return Err(self.error("unterminated string"));
            };
            self.at += stop;
            let plain = &self.text[run..self.at];
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Ok(match owned {
                        None => Cow::Borrowed(plain),
                        Some(mut s) => {
                            s.push_str(plain);
                            Cow::Owned(s)
                        }
                    });
                }
                b'\\' => {
                    let s = owned.get_or_insert_with(String::new);
                    s.push_str(plain);
                    self.at += 1;
                    let escaped = match self.bytes.get(self.at) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.at += 1;
                            let c = self.unicode_escape()?;
                            owned.get_or_insert_with(String::new).push(c);
                            continue;
                        }
                        _ => return Err(self.error("invalid escape")),
                    };
                    owned.get_or_insert_with(String::new).push(escaped);
                    self.at += 1;
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    /// The four hex digits after `\u` (and a low surrogate's after a high).
    fn unicode_escape(&mut self) -> Result<char, Error> {
        let high = self.hex4()?;
        let code = match high {
            0xd800..=0xdbff => {
                if !self.text[self.at..].starts_with("\\u") {
                    return Err(self.error("unpaired surrogate"));
                }
                self.at += 2;
                let low = self.hex4()?;
                if !(0xdc00..=0xdfff).contains(&low) {
                    return Err(self.error("unpaired surrogate"));
                }
                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
            }
            0xdc00..=0xdfff => return Err(self.error("unpaired surrogate")),
            _ => high,
        };
        char::from_u32(code).ok_or_else(|| self.error("invalid escape"))
    }

    fn hex4(&mut self) -> Result<u32, Error> {
        let hex = self
            .text
            .get(self.at..self.at + 4)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("invalid \\u escape"))?;
        self.at += 4;
        Ok(u32::from_str_radix(hex, 16).expect("four hex digits"))
    }
}

impl<'a> Value<'a> {
    /// What this is, for an error message.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "an object",
        }
    }

    fn expected(&self, what: &str) -> Error {
        Error(format!("expected {what}, found {}", self.kind()))
    }

    pub fn as_str(&self) -> Result<&str, Error> {
        match self {
            Value::String(s) => Ok(s),
            other => Err(other.expected("a string")),
        }
    }

    pub fn as_array(&self) -> Result<&[Value<'a>], Error> {
        match self {
            Value::Array(items) => Ok(items),
            other => Err(other.expected("a list")),
        }
    }

    /// An object's entries, in order (a name written twice is there twice).
    pub fn as_entries(&self) -> Result<&[(Cow<'a, str>, Value<'a>)], Error> {
        match self {
            Value::Object(entries) => Ok(entries),
            other => Err(other.expected("an object")),
        }
    }

    pub fn as_bool(&self) -> Result<bool, Error> {
        match self {
            Value::Bool(b) => Ok(*b),
            other => Err(other.expected("true or false")),
        }
    }

    /// A whole number that fits `T`.
    pub fn as_uint<T: TryFrom<u64>>(&self) -> Result<T, Error> {
        match self {
            Value::Number(n) => n
                .parse::<u64>()
                .ok()
                .and_then(|n| T::try_from(n).ok())
                .ok_or_else(|| Error(format!("{n} is not a whole number in range"))),
            other => Err(other.expected("a whole number")),
        }
    }

    pub fn as_f64(&self) -> Result<f64, Error> {
        match self {
            Value::Number(n) => Ok(n.parse().expect("the JSON number grammar is checked")),
            other => Err(other.expected("a number")),
        }
    }

    /// A list of strings.
    pub fn as_strs(&self) -> Result<Vec<&str>, Error> {
        self.as_array()?
            .iter()
            .map(Value::as_str)
            .collect::<Result<_, _>>()
    }

    /// An object of strings, as `(name, value)` pairs in order.
    pub fn as_str_entries(&self) -> Result<Vec<(&str, &str)>, Error> {
        self.as_entries()?
            .iter()
            .map(|(name, value)| Ok((name.as_ref(), value.as_str().map_err(|e| e.in_field(name))?)))
            .collect()
    }

    /// The fields of an object with the given names, and no others.
    pub fn fields(&self, known: &'static [&'static str]) -> Result<Fields<'_, 'a>, Error> {
        let entries = self.as_entries()?;
        for (i, (name, _)) in entries.iter().enumerate() {
            if !known.contains(&name.as_ref()) {
                return Err(Error(format!(
                    "unknown field `{name}`, expected one of `{}`",
                    known.join("`, `")
                )));
            }
            if entries[..i].iter().any(|(other, _)| other == name) {
                return Err(Error(format!("field `{name}` appears twice")));
            }
        }
        Ok(Fields { entries })
    }
}

/// An object's fields, read by name. Every getter says which field a
/// wrong value was in.
pub struct Fields<'v, 'a> {
    entries: &'v [(Cow<'a, str>, Value<'a>)],
}

impl<'v, 'a> Fields<'v, 'a> {
    /// The field, if present and not null.
    pub fn get(&self, name: &str) -> Option<&'v Value<'a>> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
            .filter(|v| **v != Value::Null)
    }

    /// The field, which must be present.
    pub fn required(&self, name: &str) -> Result<&'v Value<'a>, Error> {
        self.get(name)
            .ok_or_else(|| Error(format!("missing field `{name}`")))
    }

    /// The field read by `read`, if present; an error names the field.
    pub fn read<T>(
        &self,
        name: &str,
        read: impl FnOnce(&'v Value<'a>) -> Result<T, Error>,
    ) -> Result<Option<T>, Error> {
        self.get(name)
            .map(|v| read(v).map_err(|e| e.in_field(name)))
            .transpose()
    }

    /// The field read by `read`, which must be present.
    pub fn read_required<T>(
        &self,
        name: &str,
        read: impl FnOnce(&'v Value<'a>) -> Result<T, Error>,
    ) -> Result<T, Error> {
        read(self.required(name)?).map_err(|e| e.in_field(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every value reads as serde_json reads it, escapes and all.
    #[test]
    fn reads_what_serde_json_reads() {
        for text in [
            "null",
            "true",
            " false ",
            "0",
            "-0",
            "12",
            "-3.25e+2",
            "1E5",
            r#""plain""#,
            r#""esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude80 é""#,
            "[]",
            "[1, [2, [3]], {}]",
            r#"{"a": {"b": ["c", null]}, "d": 0.5}"#,
            "\n\t{ \"spaced\" : [ true , false ] }\r\n",
        ] {
            let ours = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(to_serde(&ours), theirs, "{text}");
        }
    }

    fn to_serde(value: &Value<'_>) -> serde_json::Value {
        match value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Number(n) => serde_json::from_str(n).unwrap(),
            Value::String(s) => s.as_ref().into(),
            Value::Array(items) => items.iter().map(to_serde).collect(),
            Value::Object(entries) => entries
                .iter()
                .map(|(k, v)| (k.to_string(), to_serde(v)))
                .collect::<serde_json::Map<_, _>>()
                .into(),
        }
    }

    /// What serde_json refuses, this refuses too, with a reason and where.
    #[test]
    fn refuses_what_is_not_json() {
        for (text, why) in [
            ("", "expected a JSON value, found the end at byte 0"),
            ("splunk", "expected a JSON value at byte 0"),
            ("[1,]", "expected a JSON value at byte 3"),
            ("[1 2]", "expected `,` or `]` at byte 3"),
            ("{\"a\" 1}", "expected `:` at byte 5"),
            ("{a: 1}", "expected a field name in quotes at byte 1"),
            ("{\"a\":1,}", "expected a field name in quotes at byte 7"),
            ("01", "invalid number at byte 2"),
            ("1.", "invalid number at byte 2"),
            ("-", "invalid number at byte 1"),
            ("1e", "invalid number at byte 2"),
            ("\"abc", "unterminated string at byte 4"),
            ("\"a\nb\"", "control character in a string at byte 2"),
            (r#""\x""#, "invalid escape at byte 2"),
            (r#""\u12""#, "invalid \\u escape at byte 3"),
            (r#""\ud800""#, "unpaired surrogate at byte 7"),
            (r#""\udc00""#, "unpaired surrogate at byte 7"),
            ("{} x", "trailing characters at byte 3"),
            ("nul", "expected a JSON value at byte 0"),
        ] {
            assert_eq!(parse(text).map(|_| ()), Err(Error::new(why)), "{text:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert_eq!(
            parse(&deep).map(|_| ()),
            Err(Error::new("nested too deep at byte 33"))
        );
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let text = r#"["plain", "tab\t"]"#;
        let value = parse(text).unwrap();
        let items = value.as_array().unwrap();
        assert!(matches!(&items[0], Value::String(Cow::Borrowed("plain"))));
        assert!(matches!(&items[1], Value::String(Cow::Owned(s)) if s == "tab\t"));
    }

    #[test]
    fn fields_are_read_by_name_and_unknown_ones_refused() {
        const KNOWN: &[&str] = &["name", "rate", "on", "list"];
        let value = parse(r#"{"name":"x","rate":0.5,"on":true,"list":["a"],"n":null}"#).unwrap();
        assert_eq!(
            value.fields(KNOWN).map(|_| ()),
            Err(Error::new(
                "unknown field `n`, expected one of `name`, `rate`, `on`, `list`"
            ))
        );
        let value = parse(r#"{"name":"x","rate":0.5,"on":true,"list":["a"]}"#).unwrap();
        let fields = value.fields(KNOWN).unwrap();
        assert_eq!(fields.read_required("name", Value::as_str), Ok("x"));
        assert_eq!(fields.read("rate", Value::as_f64), Ok(Some(0.5)));
        assert_eq!(fields.read("on", Value::as_bool), Ok(Some(true)));
        assert_eq!(fields.read("list", Value::as_strs), Ok(Some(vec!["a"])));
        assert_eq!(
            fields.read("name", Value::as_bool),
            Err(Error::new("name: expected true or false, found a string"))
        );
        let empty = parse("{}").unwrap();
        let none = empty.fields(KNOWN).unwrap();
        assert_eq!(none.read("rate", Value::as_f64), Ok(None));
        assert_eq!(
            none.read_required("name", Value::as_str),
            Err(Error::new("missing field `name`"))
        );
        let twice = parse(r#"{"name":"a","name":"b"}"#).unwrap();
        assert_eq!(
            twice.fields(KNOWN).map(|_| ()),
            Err(Error::new("field `name` appears twice"))
        );
    }

    #[test]
    fn whole_numbers_must_fit() {
        let read = |text: &str| parse(text).unwrap().as_uint::<u8>();
        assert_eq!(read("100"), Ok(100));
        for text in ["256", "-1", "1.0", "1e2"] {
            assert_eq!(
                read(text),
                Err(Error::new(format!("{text} is not a whole number in range")))
            );
        }
        assert_eq!(
            read("\"1\""),
            Err(Error::new("expected a whole number, found a string"))
        );
    }
}
