//! A request's or a response's headers, held as the host lists them:
//! NUL-terminated names in one buffer, NUL-terminated values in another,
//! and an entry per value. The Compute shell fills it through the raw ABI
//! (one host call per header read, no buffer per value); what it holds
//! is read here.

use super::words;

/// Headers of a request or response, in the order they were read.
#[derive(Debug, Default)]
pub struct Headers {
    /// NUL-terminated names.
    names: Vec<u8>,
    /// NUL-terminated values.
    values: Vec<u8>,
    /// One entry per value.
    entries: Vec<Entry>,
}

/// Where a value is: (name start, name end, value start, value end).
type Entry = (u32, u32, u32, u32);

impl Headers {
    /// The headers `names`, with the values `given` gives for each.
    pub fn copied<'v>(names: &[&str], mut given: impl FnMut(&str) -> Vec<&'v [u8]>) -> Headers {
        Headers::read(nul_terminated(names), |name, values| {
            // The names are the `&str`s above.
            for value in given(std::str::from_utf8(name).unwrap_or_default()) {
                values.extend_from_slice(value);
                values.push(0);
            }
            true
        })
    }

    /// Appends the values of each NUL-terminated name in `names` with
    /// `read`, which appends them to its buffer NUL-terminated, as the
    /// host lists them, and says whether it could.
    pub fn read(names: Vec<u8>, mut read: impl FnMut(&[u8], &mut Vec<u8>) -> bool) -> Headers {
        let mut values = Vec::new();
        // Room for a typical request's or answer's, not regrown.
        let mut entries = Vec::with_capacity(16);
        let mut start = 0;
        while let Some(end) = words::nul_at(&names[start..]).map(|n| start + n) {
            let name = &names[start..end];
            let from = values.len();
            if !read(name, &mut values) {
                values.truncate(from);
            }
            let mut at = from;
            while let Some(stop) = words::nul_at(&values[at..]).map(|n| at + n) {
                entries.push((start as u32, end as u32, at as u32, stop as u32));
                at = stop + 1;
            }
            start = end + 1;
        }
        Headers {
            names,
            values,
            entries,
        }
    }

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.entries
            .iter()
            .filter(move |e| self.is_named(e, name))
            .map(|e| self.value(e))
    }

    /// Whether entry `e` is a value of `name`, whatever the case of
    /// either. Inlined, so that the lengths are compared where it is used.
    #[inline(always)]
    fn is_named(&self, e: &Entry, name: &str) -> bool {
        words::same_ignoring_case(&self.names[e.0 as usize..e.1 as usize], name.as_bytes())
    }

    /// The value of entry `e`.
    fn value(&self, e: &Entry) -> &[u8] {
        &self.values[e.2 as usize..e.3 as usize]
    }

    /// The first value of `name` as text; a value that is not visible
    /// ASCII reads as U+FFFD, as `HeaderValue::to_str` refuses it.
    pub fn text(&self, name: &str) -> Option<&str> {
        Some(as_text(self.first(name)?).unwrap_or("\u{fffd}"))
    }

    /// The first value of `name`, if it is text.
    pub fn str(&self, name: &str) -> Option<&str> {
        as_text(self.first(name)?)
    }

    /// The first value of `name`.
    fn first(&self, name: &str) -> Option<&[u8]> {
        let entry = self.entries.iter().find(|e| self.is_named(e, name))?;
        Some(self.value(entry))
    }

    /// The values of those of `names` that came, in the order they were
    /// read, each with the index of its name in `names` and the value as
    /// text (`None` where it is not text). One pass over the entries for
    /// every name: asking for each name in turn scans them all again.
    pub fn values_of(&self, names: &[&str]) -> Vec<(usize, Option<&str>)> {
        self.entries
            .iter()
            .filter_map(|e| {
                let i = names.iter().position(|n| self.is_named(e, n))?;
                Some((i, as_text(self.value(e))))
            })
            .collect()
    }

    /// Whether `name` came more than once.
    pub fn repeats(&self, name: &str) -> bool {
        self.all(name).nth(1).is_some()
    }

    /// The bytes of every name and value, counted once per value.
    pub fn size(&self) -> usize {
        self.entries
            .iter()
            .map(|e| (e.1 - e.0 + e.3 - e.2) as usize)
            .sum()
    }
}

/// Whether a header value is visible ASCII (or tabs), as
/// `HeaderValue::to_str` requires: what a value the service writes must
/// be, where it is already a `str` and need not be made one again.
///
/// Eight bytes at a time: a word with no byte below 0x20 and none from
/// 0x7f up is visible ASCII whole; any other (a tab's included) is
/// looked at byte by byte.
pub fn is_text(value: &[u8]) -> bool {
    let visible = |b: &u8| *b == b'\t' || (0x20..0x7f).contains(b);
    let mut words = value.chunks_exact(8);
    let words_visible = words.by_ref().all(|word| {
        let x = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        words::unprintable_bytes(x) == 0 || word.iter().all(visible)
    });
    words_visible && words.remainder().iter().all(visible)
}

/// A header value as text, if it [`is_text`].
pub fn as_text(value: &[u8]) -> Option<&str> {
    // Visible ASCII is UTF-8.
    is_text(value)
        .then(|| std::str::from_utf8(value).ok())
        .flatten()
}

/// `names`, each followed by a NUL, as the host lists them.
pub fn nul_terminated(names: &[&str]) -> Vec<u8> {
    let mut list = Vec::with_capacity(names.iter().map(|n| n.len() + 1).sum());
    for name in names {
        list.extend_from_slice(name.as_bytes());
        list.push(0);
    }
    list
}

/// Those of `wanted` that the host listed in `sent` (names, each followed
/// by a NUL), in `wanted`'s order, as [`nul_terminated`] writes them.
/// Names compare without regard to case. Asking for the values of only
/// these saves a host call for each wanted header the origin did not send.
/// The host's list is read once, each name matched against all of
/// `wanted` (a bit each); reading it again for each wanted name took
/// 11,700 more guest instructions a request under Viceroy. Its NULs are
/// found and names compared a word at a time, where byte loops took
/// 1,900 instructions more.
pub fn sent_of(sent: &[u8], wanted: &[&str]) -> Vec<u8> {
    assert!(wanted.len() <= 64, "sent_of asks for at most 64 names");
    let mut listed = 0u64;
    let mut rest = sent;
    while !rest.is_empty() {
        let end = words::nul_at(rest).unwrap_or(rest.len());
        let name = &rest[..end];
        for (i, w) in wanted.iter().enumerate() {
            if words::same_ignoring_case(name, w.as_bytes()) {
                listed |= 1 << i;
            }
        }
        rest = rest.get(end + 1..).unwrap_or_default();
    }
    let mut list = Vec::with_capacity(wanted.iter().map(|n| n.len() + 1).sum());
    for (i, name) in wanted.iter().enumerate() {
        if listed & (1 << i) != 0 {
            list.extend_from_slice(name.as_bytes());
            list.push(0);
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the host lists: each name's values NUL-terminated, a name
    /// asked for and absent reads nothing, and a refused read counts as
    /// absent.
    fn listed() -> Headers {
        Headers::read(
            nul_terminated(&["Content-Type", "ETag", "x-absent", "Range", "x-refused"]),
            |name, values| {
                // (name, what the host writes, whether it answers OK).
                let host: [(&[u8], &[u8], bool); 4] = [
                    (b"Content-Type", b"text/plain\0", true),
                    (b"ETag", b"\"a\"\0\"b\"\0", true),
                    (b"Range", b"bytes=0-\xff\0", true),
                    (b"x-refused", b"partial", false),
                ];
                match host.iter().find(|(n, _, _)| *n == name) {
                    Some(&(_, written, ok)) => {
                        values.extend_from_slice(written);
                        ok
                    }
                    None => true,
                }
            },
        )
    }

    #[test]
    fn values_are_found_by_name_in_order_whatever_the_case() {
        let h = listed();
        let etags: Vec<&[u8]> = h.all("etag").collect();
        assert_eq!(etags, [&b"\"a\""[..], &b"\"b\""[..]]);
        assert_eq!(h.str("content-type"), Some("text/plain"));
        assert!(h.repeats("ETAG") && !h.repeats("content-type"));
        assert_eq!(h.all("x-absent").count(), 0);
        assert_eq!(h.all("x-refused").count(), 0, "a refused read is absent");
        // Every name's bytes once per value, and every value's.
        assert_eq!(h.size(), 12 + 10 + 2 * (4 + 3) + 5 + 9);
    }

    /// A value that is not visible ASCII is no text: `str` gives nothing
    /// and `text` gives U+FFFD, as `HeaderValue::to_str` refuses it.
    #[test]
    fn values_that_are_not_text_are_told_apart() {
        let h = listed();
        assert_eq!(h.str("range"), None);
        assert_eq!(h.text("range"), Some("\u{fffd}"));
        assert_eq!(h.text("etag"), Some("\"a\""));
        assert_eq!(as_text(b"a\tb c"), Some("a\tb c"));
        for bad in [&b"a\nb"[..], b"\x7f", "é".as_bytes()] {
            assert_eq!(as_text(bad), None, "{bad:?}");
        }
    }

    /// One pass gives what asking name by name gives: each value of each
    /// name asked for, with its name's index, text or not.
    #[test]
    fn values_of_several_names_are_those_asked_for_one_by_one() {
        let h = listed();
        let names = ["range", "ETAG", "x-absent", "content-type"];
        assert_eq!(
            h.values_of(&names),
            [
                (3, Some("text/plain")),
                (1, Some("\"a\"")),
                (1, Some("\"b\"")),
                (0, None),
            ]
        );
        for (i, name) in names.iter().enumerate() {
            let one_by_one: Vec<Option<&str>> = h.all(name).map(as_text).collect();
            let in_one_pass: Vec<Option<&str>> = h
                .values_of(&names)
                .into_iter()
                .filter(|&(n, _)| n == i)
                .map(|(_, v)| v)
                .collect();
            assert_eq!(one_by_one, in_one_pass, "{name}");
        }
    }

    /// The word-at-a-time check agrees with a byte-by-byte one for every
    /// byte value at every place in a word and in the tail.
    #[test]
    fn as_text_agrees_with_a_byte_by_byte_check() {
        let by_byte = |v: &[u8]| v.iter().all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
        for len in [1, 7, 8, 9, 16, 23] {
            for at in 0..len {
                for b in 0..=255u8 {
                    let mut value = vec![b'a'; len];
                    value[at] = b;
                    let want = by_byte(&value).then(|| std::str::from_utf8(&value).unwrap());
                    assert_eq!(as_text(&value), want, "{b:#x} at {at} of {len}");
                    // And after a byte that marks its word.
                    if at > 0 {
                        value[at - 1] = 0x1f;
                        assert_eq!(as_text(&value), None, "{b:#x} after 0x1f");
                    }
                }
            }
        }
        assert_eq!(as_text(b""), Some(""));
    }

    /// Copied from values given by name (a stale hit's header map) reads
    /// the same as listed by the host.
    #[test]
    fn copied_headers_read_as_listed_ones() {
        let copied = Headers::copied(&["content-type", "etag", "x-absent"], |name| match name {
            "content-type" => vec![&b"text/plain"[..]],
            "etag" => vec![&b"\"a\""[..], &b"\"b\""[..]],
            _ => Vec::new(),
        });
        let listed = listed();
        for name in ["content-type", "etag", "x-absent"] {
            assert!(copied.all(name).eq(listed.all(name)), "{name}");
        }
    }

    #[test]
    fn only_wanted_names_the_host_listed_are_asked_for() {
        let sent = b"x-goog-hash\0Content-Type\0etag\0x-goog-hash\0";
        let wanted = ["content-type", "content-length", "ETag", "age"];
        assert_eq!(sent_of(sent, &wanted), b"content-type\0ETag\0");
        assert_eq!(sent_of(b"", &wanted), b"");
        // A prefix of a listed name is not that name.
        assert_eq!(sent_of(b"content-typed\0", &wanted), b"");
        // A name wanted twice is asked for twice, as it is listed.
        assert_eq!(sent_of(b"age\0", &["age", "AGE"]), b"age\0AGE\0");
        // What a byte-by-byte split and comparison find, for lists whose
        // NULs fall at every place of a word, and a last name without one.
        let reference = |sent: &[u8], wanted: &[&str]| {
            let listed: Vec<&[u8]> = sent.split(|&b| b == 0).collect();
            let found = wanted
                .iter()
                .filter(|w| listed.iter().any(|n| n.eq_ignore_ascii_case(w.as_bytes())));
            nul_terminated(&found.copied().collect::<Vec<_>>())
        };
        let names = [
            "a",
            "ETag",
            "x-goog-hash",
            "Content-Length",
            "last-modified",
            "x-goog-stored-content-length",
        ];
        let wanted = [
            "etag",
            "content-length",
            "LAST-MODIFIED",
            "x-goog-stored-content-length",
            "a",
            "cache-control",
        ];
        for skip in 0..names.len() {
            for pad in 0..8 {
                let mut list = vec![b'x'; pad];
                list.push(0);
                for name in names.iter().skip(skip) {
                    list.extend_from_slice(name.as_bytes());
                    list.push(0);
                }
                assert_eq!(
                    sent_of(&list, &wanted),
                    reference(&list, &wanted),
                    "{skip} {pad}"
                );
                list.pop();
                assert_eq!(
                    sent_of(&list, &wanted),
                    reference(&list, &wanted),
                    "{skip} {pad} unended"
                );
            }
        }
    }
}
