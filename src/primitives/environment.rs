//! Variables in a WASI environment block: `NAME=value` entries, each
//! ended by a NUL, as `environ_get` writes them, with a pointer to the
//! start of each. The shell reads the two it logs (the POP and the
//! service version) straight from the block; this finds them.

use super::words;

/// The value of `name` in `block`, whose entries start at `starts`, if
/// an entry has it and its value is UTF-8. The first entry wins, as with
/// `getenv`. Only the entry with the name is read to its end: the others
/// are told apart by their first bytes.
pub fn variable<'a>(
    block: &'a [u8],
    starts: impl IntoIterator<Item = usize>,
    name: &str,
) -> Option<&'a str> {
    let name = name.as_bytes();
    let value = starts.into_iter().find_map(|start| {
        let entry = block.get(start..)?;
        let (head, rest) = entry.split_at_checked(name.len())?;
        (words::same(head, name) && rest.first() == Some(&b'=')).then(|| &rest[1..])
    })?;
    let end = words::nul_at(value).unwrap_or(value.len());
    std::str::from_utf8(&value[..end]).ok()
}

#[cfg(test)]
mod tests {
    use super::variable;

    const BLOCK: &[u8] =
        b"FASTLY_HOSTNAME=cache-lcy1\0FASTLY_POP=LCY\0FASTLY_POP_X=no\0FASTLY_SERVICE_VERSION=42\0EMPTY=\0";

    /// Where each entry of `block` starts, as `environ_get`'s pointers say.
    fn starts(block: &[u8]) -> Vec<usize> {
        let mut starts = vec![0];
        starts.extend(
            (0..block.len())
                .filter(|&at| block[at] == 0 && at + 1 < block.len())
                .map(|at| at + 1),
        );
        starts
    }

    fn find<'a>(block: &'a [u8], name: &str) -> Option<&'a str> {
        variable(block, starts(block), name)
    }

    #[test]
    fn finds_each_variable_by_its_whole_name() {
        let table = [
            ("FASTLY_POP", Some("LCY")),
            ("FASTLY_SERVICE_VERSION", Some("42")),
            ("FASTLY_HOSTNAME", Some("cache-lcy1")),
            ("EMPTY", Some("")),
            ("FASTLY_POP_X", Some("no")),
            // A prefix of a name is not the name.
            ("FASTLY", None),
            ("FASTLY_SERVICE", None),
            ("MISSING", None),
        ];
        for (name, expected) in table {
            assert_eq!(find(BLOCK, name), expected, "{name}");
        }
    }

    #[test]
    fn the_first_entry_wins_and_odd_blocks_give_nothing() {
        assert_eq!(find(b"A=1\0A=2\0", "A"), Some("1"));
        assert_eq!(find(b"", "A"), None);
        assert_eq!(find(b"A\0", "A"), None);
        assert_eq!(find(b"A=\xff\0", "A"), None);
        // The last entry without its NUL still counts.
        assert_eq!(find(b"B=1\0A=2", "A"), Some("2"));
        // A start past the block's end is skipped.
        assert_eq!(variable(b"A=1\0", [9, 0], "A"), Some("1"));
    }
}
