//! JSON config values, read in place.
//!
//! A handful of Config Store values are JSON (routes, log endpoints, the
//! shield plan, overrides, the snapshot), and every request parses the
//! ones in its store: each request is a fresh instance. serde_json's
//! deserializer and the visitors serde derives for each shape were about
//! 90 KB of the Wasm, paid at every instantiation (docs/performance.md,
//! issue 15). This reader walks the text once, as serde does, with no
//! tree in between: the caller asks for what it expects next (a string, a
//! list, an object's [`Reader::fields`] by name), and strings borrow from
//! the text unless they hold escapes.

use std::borrow::Cow;
use std::fmt;

use crate::primitives::{few, words};

/// Why a value is not the JSON, or not the shape, that was expected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error {
    #[cfg(test)]
    pub fn new(message: impl Into<String>) -> Error {
        Error(message.into())
    }

    /// The same error, said of `field`.
    pub fn in_field(self, field: &str) -> Error {
        Error(format!("{field}: {}", self.0))
    }
}

/// A field that must be there.
pub fn required<T>(value: Option<T>, name: &str) -> Result<T, Error> {
    value.ok_or_else(|| Error(format!("missing field `{name}`")))
}

/// Reads all of `text` with `read`: one value, nothing but whitespace
/// around it.
pub fn read<'a, T>(
    text: &'a str,
    read: impl FnOnce(&mut Reader<'a>) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
    };
    let value = read(&mut reader)?;
    if reader.peek().is_some() {
        return Err(reader.error("trailing characters"));
    }
    Ok(value)
}

/// Deeper nesting than any config value needs is refused before it can
/// exhaust the stack.
const MAX_DEPTH: usize = 32;

/// What the next value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Null,
    Bool,
    Number,
    String,
    List,
    Object,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool => "a boolean",
            Kind::Number => "a number",
            Kind::String => "a string",
            Kind::List => "a list",
            Kind::Object => "an object",
        }
    }
}

/// A cursor over one JSON text.
pub struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    /// Where the reader is: the byte the next value starts at, once
    /// [`Reader::kind`] has looked at it.
    pub fn position(&self) -> usize {
        self.at
    }

    /// `what` went wrong at the reader's position.
    pub fn error(&self, what: &str) -> Error {
        Error(format!("{what} at byte {}", self.at))
    }

    /// The next byte that is not a space. Inlined: it runs before every
    /// token (about 300 times a request), and as a call it cost 48
    /// instructions each under Viceroy (docs/performance.md).
    #[inline(always)]
    fn peek(&mut self) -> Option<u8> {
        match self.bytes.get(self.at) {
            // Config values are mostly written without spaces.
            Some(b' ' | b'\t' | b'\n' | b'\r') => self.skip_space(),
            next => next.copied(),
        }
    }

    /// Past a run of spaces, to the byte after it.
    #[inline(never)]
    fn skip_space(&mut self) -> Option<u8> {
        self.at += self.bytes[self.at..]
            .iter()
            .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .unwrap_or(self.bytes.len() - self.at);
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

    /// What the next value is, without reading it. Strings, lists and
    /// objects, nearly every value read, are told inline (as a call
    /// `kind` cost 5,000 instructions a request); the rest out of line.
    #[inline(always)]
    pub fn kind(&mut self) -> Result<Kind, Error> {
        match self.peek() {
            Some(b'"') => Ok(Kind::String),
            Some(b'{') => Ok(Kind::Object),
            Some(b'[') => Ok(Kind::List),
            next => self.scalar_kind(next),
        }
    }

    /// What the next value is when it is not a string, list or object:
    /// `next` is its first byte.
    #[inline(never)]
    fn scalar_kind(&self, next: Option<u8>) -> Result<Kind, Error> {
        Ok(match next {
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b't' | b'f' | b'n') => {
                let rest = &self.text[self.at..];
                if rest.starts_with("true") || rest.starts_with("false") {
                    Kind::Bool
                } else if rest.starts_with("null") {
                    Kind::Null
                } else {
                    return Err(self.error("expected a JSON value"));
                }
            }
            Some(_) => return Err(self.error("expected a JSON value")),
            None => return Err(self.error("expected a JSON value, found the end")),
        })
    }

    /// The next value must be `kind`.
    fn expect(&mut self, kind: Kind, what: &str) -> Result<(), Error> {
        match self.kind()? {
            found if found == kind => Ok(()),
            found => Err(Error(format!("expected {what}, found {}", found.name()))),
        }
    }

    /// Reads a `null` if that is what comes next.
    pub fn null(&mut self) -> Result<bool, Error> {
        let null = self.kind()? == Kind::Null;
        if null {
            self.at += "null".len();
        }
        Ok(null)
    }

    pub fn bool(&mut self) -> Result<bool, Error> {
        // `kind` has seen the whole word.
        self.expect(Kind::Bool, "true or false")?;
        let value = self.bytes[self.at] == b't';
        self.at += if value { "true".len() } else { "false".len() };
        Ok(value)
    }

    pub fn str(&mut self) -> Result<Cow<'a, str>, Error> {
        self.expect(Kind::String, "a string")?;
        self.string_at_quote()
    }

    /// A string, owned.
    pub fn string(&mut self) -> Result<String, Error> {
        self.str().map(Cow::into_owned)
    }

    /// A string that must be one of `words`, read as its value; any other
    /// is refused as `"text" {otherwise}`.
    pub fn one_of<T: Copy>(&mut self, words: &[(&str, T)], otherwise: &str) -> Result<T, Error> {
        let text = self.str()?;
        words
            .iter()
            .find(|(word, _)| words::same(word.as_bytes(), text.as_bytes()))
            .map(|&(_, value)| value)
            .ok_or_else(|| Error(format!("{text:?} {otherwise}")))
    }

    /// A whole number that fits `T`.
    pub fn uint<T: TryFrom<u64>>(&mut self) -> Result<T, Error> {
        self.expect(Kind::Number, "a whole number")?;
        let n = self.number()?;
        n.parse::<u64>()
            .ok()
            .and_then(|n| T::try_from(n).ok())
            .ok_or_else(|| Error(format!("{n} is not a whole number in range")))
    }

    pub fn f64(&mut self) -> Result<f64, Error> {
        self.expect(Kind::Number, "a number")?;
        let n = self.number()?;
        Ok(n.parse().expect("the JSON number grammar is checked"))
    }

    /// A list, each item read by `item`.
    pub fn list(&mut self, item: impl FnMut(&mut Self) -> Result<(), Error>) -> Result<(), Error> {
        self.expect(Kind::List, "a list")?;
        self.items(b']', item)
    }

    /// A list, each item read by `item`, collected.
    pub fn list_of<T>(
        &mut self,
        mut item: impl FnMut(&mut Self) -> Result<T, Error>,
    ) -> Result<Vec<T>, Error> {
        let mut items = Vec::new();
        self.list(|r| {
            items.push(item(r)?);
            Ok(())
        })?;
        Ok(items)
    }

    /// A list of strings.
    pub fn strs(&mut self) -> Result<Vec<Cow<'a, str>>, Error> {
        self.list_of(Self::str)
    }

    /// An object, each entry's value read by `entry` given its name, in
    /// the order written (a name written twice comes twice).
    pub fn entries(
        &mut self,
        mut entry: impl FnMut(&mut Self, Cow<'a, str>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.expect(Kind::Object, "an object")?;
        self.items(b'}', |r| {
            if r.peek() != Some(b'"') {
                return Err(r.error("expected a field name in quotes"));
            }
            let name = r.string_at_quote()?;
            if !r.eat(b':') {
                return Err(r.error("expected `:`"));
            }
            entry(r, name)
        })
    }

    /// An object of strings, by name (a name written twice keeps its
    /// last value).
    pub fn strings_by_name(&mut self) -> Result<few::Map<String, String>, Error> {
        let mut map = few::Map::new();
        self.entries(|r, name| {
            let value = r.string().map_err(|e| e.in_field(&name))?;
            map.insert(name.into_owned(), value);
            Ok(())
        })?;
        Ok(map)
    }

    /// An object with the fields `known` and no others, each at most once,
    /// each read by `field` given its name from `known`. A field that is
    /// null counts as absent. An error in a field's value names the field.
    pub fn fields(
        &mut self,
        known: &'static [&'static str],
        mut field: impl FnMut(&mut Self, &'static str) -> Result<(), Error>,
    ) -> Result<(), Error> {
        // One bit per known field; every shape read has far fewer.
        debug_assert!(known.len() <= 64, "fields reads at most 64 known names");
        let mut seen = 0u64;
        self.entries(|r, name| {
            let Some(i) = known
                .iter()
                .position(|k| words::same(k.as_bytes(), name.as_bytes()))
            else {
                return Err(Error(format!(
                    "unknown field `{name}`, expected one of `{}`",
                    known.join("`, `")
                )));
            };
            if seen & (1 << i) != 0 {
                return Err(Error(format!("field `{name}` appears twice")));
            }
            seen |= 1 << i;
            if r.null()? {
                return Ok(());
            }
            field(r, known[i]).map_err(|e| e.in_field(known[i]))
        })
    }

    /// Passes over the next list or object by its brackets alone: they
    /// must pair (at most `MAX_DEPTH` deep) and its strings must close,
    /// but what is between them is not read. For text that is read in
    /// full later (a snapshot's values), which [`Reader::skip`] would
    /// read twice.
    pub fn skip_brackets(&mut self) -> Result<(), Error> {
        // Past any spaces to the opening bracket.
        self.peek();
        // One bit per open bracket, innermost lowest: 1 for `{`.
        let mut open = 0u64;
        let mut depth = 0;
        loop {
            let Some(&b) = self.bytes.get(self.at) else {
                return Err(self.error("unterminated list or object"));
            };
            match b {
                b'[' | b'{' if depth == MAX_DEPTH => return Err(self.error("nested too deep")),
                b'[' | b'{' => {
                    open = open << 1 | u64::from(b == b'{');
                    depth += 1;
                }
                b']' | b'}' if depth == 0 || (open & 1 == 1) != (b == b'}') => {
                    return Err(self.error("unpaired bracket"));
                }
                b']' | b'}' => {
                    open >>= 1;
                    depth -= 1;
                }
                _ if depth == 0 => return Err(self.error("expected a list or an object")),
                b'"' => {
                    self.at += 1;
                    self.at += self.raw_len(self.at);
                    if self.at == self.bytes.len() {
                        return Err(self.error("unterminated string"));
                    }
                }
                _ => {}
            }
            self.at += 1;
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Passes over the next value, whatever it is.
    pub fn skip(&mut self) -> Result<(), Error> {
        match self.kind()? {
            Kind::Null => self.null().map(drop),
            Kind::Bool => self.bool().map(drop),
            Kind::Number => self.number().map(drop),
            Kind::String => self.skip_string(),
            Kind::List => self.list(Self::skip),
            Kind::Object => self.entries(|r, _| r.skip()),
        }
    }

    /// The items of a list or an object, past its opening bracket up to
    /// `close`, each read by `item`, one level deeper.
    fn items(
        &mut self,
        close: u8,
        mut item: impl FnMut(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if self.depth == MAX_DEPTH {
            return Err(self.error("nested too deep"));
        }
        self.at += 1;
        self.depth += 1;
        // After each item one look at the next byte tells the end, the
        // next item or an error: one inlined `peek` where two `eat`
        // calls were (6,100 fewer instructions a request under Viceroy).
        let mut read = || {
            if self.eat(close) {
                return Ok(());
            }
            loop {
                item(self)?;
                match self.peek() {
                    Some(b) if b == close => {
                        self.at += 1;
                        return Ok(());
                    }
                    Some(b',') => self.at += 1,
                    _ => {
                        let expected = if close == b']' {
                            "`,` or `]`"
                        } else {
                            "`,` or `}`"
                        };
                        return Err(self.error(&format!("expected {expected}")));
                    }
                }
            }
        };
        let result = read();
        self.depth -= 1;
        result
    }

    /// `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`
    fn number(&mut self) -> Result<&'a str, Error> {
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
        let exponent = matches!(self.bytes.get(self.at), Some(b'e' | b'E'));
        if exponent {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            if digits(self) == 0 {
                return Err(self.error("invalid number"));
            }
        }
        let number = &self.text[start..self.at];
        // As serde_json: a number no f64 can hold is refused, not infinity.
        // Without an exponent, fewer than 309 whole digits always fit
        // (f64::MAX is about 1.8e308), so only the rest is converted to
        // check: the geolocation record's coordinates, read on every
        // request, are not.
        let may_overflow = exponent || whole > 308;
        if may_overflow && !number.parse::<f64>().is_ok_and(f64::is_finite) {
            return Err(self.error("number out of range"));
        }
        Ok(number)
    }

    /// Past a string at `"`, checked as [`Self::string_at_quote`] checks
    /// it, but not built: the snapshot's values are skipped this way, 17
    /// of them a request, with no escapes. One with an escape, a control
    /// character or no end is read the full way, which tells what is
    /// wrong with it.
    fn skip_string(&mut self) -> Result<(), Error> {
        let text = &self.bytes[self.at + 1..];
        match super::write::first_escaped(text) {
            Some(stop) if text[stop] == b'"' => {
                self.at += stop + 2;
                Ok(())
            }
            _ => self.string_at_quote().map(drop),
        }
    }

    /// A string at `"`: borrowed from the text unless it holds escapes.
    fn string_at_quote(&mut self) -> Result<Cow<'a, str>, Error> {
        self.at += 1;
        let mut owned: Option<String> = None;
        loop {
            // Runs of plain characters are copied (or borrowed) whole.
            let run = self.at;
            let Some(stop) = super::write::first_escaped(&self.bytes[run..]) else {
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
                    // Sized once: the unescaped text is never longer.
                    let s = owned.get_or_insert_with(|| String::with_capacity(self.raw_len(run)));
                    s.push_str(plain);
                    self.at += 1;
                    let escaped = match self.bytes.get(self.at) {
                        Some(b'u') => {
                            self.at += 1;
                            self.unicode_escape()?
                        }
                        Some(&b) => {
                            let c = match b {
                                b'"' => '"',
                                b'\\' => '\\',
                                b'/' => '/',
                                b'b' => '\u{8}',
                                b'f' => '\u{c}',
                                b'n' => '\n',
                                b'r' => '\r',
                                b't' => '\t',
                                _ => return Err(self.error("invalid escape")),
                            };
                            self.at += 1;
                            c
                        }
                        None => return Err(self.error("invalid escape")),
                    };
                    s.push(escaped);
                }
                _ => return Err(self.error("control character in a string")),
            }
        }
    }

    /// Bytes from `from` to the closing quote of the string it is in
    /// (to the end of the text if it has none).
    fn raw_len(&self, from: usize) -> usize {
        let mut i = from;
        while let Some(&b) = self.bytes.get(i) {
            match b {
                b'"' => break,
                b'\\' => i += 2,
                _ => i += 1,
            }
        }
        i.min(self.bytes.len()) - from
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Builds serde_json's tree through the reader, to compare the two.
    fn to_serde(r: &mut Reader<'_>) -> Result<serde_json::Value, Error> {
        Ok(match r.kind()? {
            Kind::Null => {
                r.null()?;
                serde_json::Value::Null
            }
            Kind::Bool => r.bool()?.into(),
            Kind::Number => serde_json::from_str(r.number()?).unwrap(),
            Kind::String => r.str()?.as_ref().into(),
            Kind::List => r.list_of(to_serde)?.into(),
            Kind::Object => {
                let mut map = serde_json::Map::new();
                r.entries(|r, name| {
                    map.insert(name.into_owned(), to_serde(r)?);
                    Ok(())
                })?;
                map.into()
            }
        })
    }

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
            let ours = read(text, to_serde).unwrap_or_else(|e| panic!("{text}: {e}"));
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs, "{text}");
            // Passing over it reads just as far.
            assert_eq!(read(text, Reader::skip), Ok(()), "{text}");
            // So does passing over a list or an object by its brackets.
            if text.trim_start().starts_with(['[', '{']) {
                assert_eq!(read(text, Reader::skip_brackets), Ok(()), "{text}");
            }
        }
    }

    #[test]
    fn brackets_must_pair_and_strings_close_but_nothing_else_is_read() {
        for (text, error) in [
            ("[}", "unpaired bracket at byte 1"),
            ("{]", "unpaired bracket at byte 1"),
            ("[[]", "unterminated list or object at byte 3"),
            (r#"["a]"#, "unterminated string at byte 4"),
            (r#"["a\"#, "unterminated string at byte 4"),
            (r#"["a\"]"#, "unterminated string at byte 6"),
            ("1", "expected a list or an object at byte 0"),
            (r#""s""#, "expected a list or an object at byte 0"),
        ] {
            assert_eq!(
                read(text, Reader::skip_brackets).map_err(|e| e.to_string()),
                Err(error.to_owned()),
                "{text}"
            );
        }
        let deep = format!("{}{}", "[".repeat(33), "]".repeat(33));
        assert!(read(&deep, Reader::skip_brackets).is_err(), "too deep");
        let deepest = format!("{}{}", "[".repeat(32), "]".repeat(32));
        assert_eq!(read(&deepest, Reader::skip_brackets), Ok(()));
        // Brackets inside strings do not count; what is between is not read.
        for text in [r#"["]", "\"]"]"#, "[1 2 :]", r#"{"a" "b"}"#] {
            assert_eq!(read(text, Reader::skip_brackets), Ok(()), "{text}");
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
            ("tru", "expected a JSON value at byte 0"),
            ("1e400", "number out of range at byte 5"),
        ] {
            assert_eq!(
                read(text, to_serde).map(drop),
                Err(Error::new(why)),
                "{text:?}"
            );
            assert_eq!(read(text, Reader::skip), Err(Error::new(why)), "{text:?}");
            assert!(
                serde_json::from_str::<serde_json::Value>(text).is_err(),
                "{text:?}"
            );
        }
        let deep = "[".repeat(40) + &"]".repeat(40);
        assert_eq!(
            read(&deep, Reader::skip),
            Err(Error::new("nested too deep at byte 32"))
        );
    }

    #[test]
    fn strings_without_escapes_are_borrowed() {
        let items = read(r#"["plain", "tab\t"]"#, Reader::strs).unwrap();
        assert!(matches!(&items[0], Cow::Borrowed("plain")));
        assert!(matches!(&items[1], Cow::Owned(s) if s == "tab\t"));
    }

    const KNOWN: &[&str] = &["name", "rate", "on", "list"];

    /// `(name, rate, on, list)` as `fields` reads them.
    type Read<'a> = (
        Option<String>,
        Option<f64>,
        Option<bool>,
        Option<Vec<Cow<'a, str>>>,
    );

    fn fields_of(text: &str) -> Result<Read<'_>, Error> {
        read(text, |r| {
            let mut out: Read<'_> = (None, None, None, None);
            r.fields(KNOWN, |r, name| {
                match name {
                    "name" => out.0 = Some(r.string()?),
                    "rate" => out.1 = Some(r.f64()?),
                    "on" => out.2 = Some(r.bool()?),
                    "list" => out.3 = Some(r.strs()?),
                    _ => r.skip()?,
                }
                Ok(())
            })?;
            Ok(out)
        })
    }

    #[test]
    fn fields_are_read_by_name_and_unknown_ones_refused() {
        let (name, rate, on, list) =
            fields_of(r#"{"name":"x","rate":0.5,"on":true,"list":["a"]}"#).unwrap();
        assert_eq!(
            (name.as_deref(), rate, on, list),
            (
                Some("x"),
                Some(0.5),
                Some(true),
                Some(vec![Cow::Borrowed("a")])
            )
        );
        // Null is absent.
        assert_eq!(fields_of(r#"{"rate":null}"#).unwrap().1, None);
        for (text, why) in [
            (
                r#"{"name":"x","n":1}"#,
                "unknown field `n`, expected one of `name`, `rate`, `on`, `list`",
            ),
            (r#"{"name":"a","name":"b"}"#, "field `name` appears twice"),
            (
                r#"{"on":"yes"}"#,
                "on: expected true or false, found a string",
            ),
            (
                r#"{"list":["a",1]}"#,
                "list: expected a string, found a number",
            ),
            (
                r#"{"name":{"deep":1}}"#,
                "name: expected a string, found an object",
            ),
            ("[]", "expected an object, found a list"),
        ] {
            assert_eq!(fields_of(text).map(drop), Err(Error::new(why)), "{text}");
        }
        assert_eq!(
            required(None::<u8>, "name"),
            Err(Error::new("missing field `name`"))
        );
    }

    #[test]
    fn whole_numbers_must_fit() {
        let uint = |text: &str| read(text, Reader::uint::<u8>);
        assert_eq!(uint("100"), Ok(100));
        for text in ["256", "-1", "1.0", "1e2"] {
            assert_eq!(
                uint(text),
                Err(Error::new(format!("{text} is not a whole number in range")))
            );
        }
        assert_eq!(
            uint("\"1\""),
            Err(Error::new("expected a whole number, found a string"))
        );
    }

    /// Only a number that may not fit an f64 is converted to check it:
    /// without an exponent, 308 whole digits always fit and 309 may not,
    /// and serde_json agrees on each side of that line.
    #[test]
    fn numbers_near_the_f64_limit_are_read_as_serde_json_reads_them() {
        let fits = "9".repeat(308);
        let too_big = "9".repeat(309);
        for text in [
            fits.as_str(),
            too_big.as_str(),
            "-1.5",
            "1e308",
            "2e308",
            "1E-400",
        ] {
            let ours = read(text, |r| r.skip()).is_ok();
            let serde = serde_json::from_str::<serde_json::Value>(text).is_ok();
            assert_eq!(ours, serde, "{text}");
        }
        assert!(read(&fits, |r| r.skip()).is_ok());
        assert!(read(&too_big, |r| r.skip()).is_err());
    }
}
