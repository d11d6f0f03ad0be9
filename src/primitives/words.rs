//! Byte work a word (eight bytes) at a time, where Wasm's libc goes a
//! byte at a time: wasi-libc's `memcmp`, which `==` on strings calls, is
//! a byte loop, about 290 instructions for a config key's name under
//! Viceroy (docs/performance.md).

/// A byte of 1 in every place of a word.
pub const ONES: u64 = u64::from_ne_bytes([1; 8]);
/// The high bit of every byte of a word.
pub const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);

/// The eight bytes of `bytes` from `at`, as a little-endian word.
#[inline(always)]
fn word(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().expect("eight bytes"))
}

/// The high bit of each byte of `x` that is zero. A borrow can mark
/// bytes after a zero byte, never before one: the lowest mark is a zero.
#[inline(always)]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The high bit of each byte of `x` that is `b` (as [`zero_bytes`]).
#[inline(always)]
pub fn bytes_equal(x: u64, b: u8) -> u64 {
    zero_bytes(x ^ (ONES * u64::from(b)))
}

/// Where the first byte of `bytes` that `marks` marks is: `marks` gives
/// the high bit of each marked byte of a word, and may mark bytes after
/// the first, never before it. Eight bytes at a time, then one at a time
/// with `is`.
#[inline(always)]
pub fn first_marked(
    bytes: &[u8],
    marks: impl Fn(u64) -> u64,
    is: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut at = 0;
    while at + 8 <= bytes.len() {
        let m = marks(word(bytes, at));
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    bytes[at..].iter().position(|&b| is(b)).map(|i| at + i)
}

/// `a == b`. Inlined as far as the lengths, which tell most names apart
/// (a config key's name is looked for among 26); the bytes are compared
/// out of line, whole words at a time.
#[inline(always)]
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && same_bytes(a, b)
}

/// `a == b` for two slices of one length.
#[inline(never)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n < 8 {
        // The first, middle and last bytes, or the first and last four:
        // every byte is among them.
        let half =
            |s: &[u8], at: usize| u32::from_le_bytes(s[at..at + 4].try_into().expect("four"));
        return match n {
            0 => true,
            1..=3 => a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1],
            _ => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        };
    }
    words_alike(a, b, |x| x)
}

/// Whether `a` and `b`, of one length of at least eight bytes, are equal
/// word for word once each word is put through `fold`: whole words, the
/// last one overlapping the one before where the length is not a
/// multiple of eight.
#[inline(always)]
fn words_alike(a: &[u8], b: &[u8], fold: impl Fn(u64) -> u64) -> bool {
    let n = a.len();
    let mut at = 0;
    while at + 8 < n {
        if fold(word(a, at)) != fold(word(b, at)) {
            return false;
        }
        at += 8;
    }
    fold(word(a, n - 8)) == fold(word(b, n - 8))
}

/// `x` with its ASCII capitals made small, every byte at once: a byte
/// from `A` to `Z` (and no other) gets 0x20 added.
#[inline(always)]
fn lower(x: u64) -> u64 {
    // Without the high bits no byte carries into the next.
    let low = x & !HIGH;
    let from_a = low.wrapping_add(ONES * (0x80 - u64::from(b'A')));
    let past_z = low.wrapping_add(ONES * (0x80 - u64::from(b'Z') - 1));
    let capitals = from_a & !past_z & !x & HIGH;
    x | (capitals >> 2)
}

/// `a.eq_ignore_ascii_case(b)`. As [`same`]: inlined as far as the
/// lengths, which tell most header names apart, then out of line, a word
/// at a time where the names are a word long or longer
/// (`content-length`, `if-modified-since`).
#[inline(always)]
pub fn same_ignoring_case(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && alike_bytes(a, b)
}

/// `a.eq_ignore_ascii_case(b)` for two slices of one length.
#[inline(never)]
fn alike_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() < 8 {
        return a.eq_ignore_ascii_case(b);
    }
    words_alike(a, b, lower)
}

/// Where the first NUL of `bytes` is, eight bytes at a time: how the
/// host's lists of names and values, each ended by a NUL, are split.
/// Left to the compiler: inlined into its callers it saved 1,100 guest
/// instructions a request for 930 bytes of the Wasm's 1.5× margin.
pub fn nul_at(bytes: &[u8]) -> Option<usize> {
    first_marked(bytes, zero_bytes, |b| b == 0)
}

/// The high bit of each byte of `x` that is not printable ASCII: below
/// 0x20 (it borrows), 0x7f (it carries into it) or from 0x80 up. A
/// borrow or a carry can only mark bytes after one already marked, so a
/// word is printable whole exactly when nothing is marked.
#[inline(always)]
pub fn unprintable_bytes(x: u64) -> u64 {
    (x.wrapping_sub(ONES * 0x20) | x.wrapping_add(ONES) | x) & HIGH
}

/// Whether every byte of `bytes` is printable ASCII (0x20 to 0x7e), eight
/// at a time: what a log field is, nearly always, with nothing to
/// replace.
pub fn printable(bytes: &[u8]) -> bool {
    first_marked(bytes, unprintable_bytes, |b| !(0x20..0x7f).contains(&b)).is_none()
}

/// Runs `check` on every byte value at every place of runs of up to 19
/// bytes (past two words and into a tail), then on the same with `before`
/// at the start: what the word-at-a-time scans are tested on against
/// their byte-by-byte forms. `check` gets the bytes and the case's name.
#[cfg(test)]
pub fn each_byte_at_each_place(before: u8, mut check: impl FnMut(&[u8], &str)) {
    for len in 1..=19 {
        for at in 0..len {
            for b in 0..=255u8 {
                let mut bytes = vec![b'a'; len];
                bytes[at] = b;
                check(&bytes, &format!("{b:#x} at {at} of {len}"));
                bytes[0] = before;
                check(
                    &bytes,
                    &format!("{b:#x} at {at} of {len}, after {before:#x}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{each_byte_at_each_place, nul_at, printable, same, same_ignoring_case};

    /// `nul_at` finds what a byte-by-byte search finds, for every byte
    /// value at every place, and after a NUL at the start.
    #[test]
    fn nul_at_agrees_with_a_byte_by_byte_search() {
        assert_eq!(nul_at(b""), None);
        each_byte_at_each_place(0, |bytes, case| {
            assert_eq!(nul_at(bytes), bytes.iter().position(|&b| b == 0), "{case}");
        });
    }

    /// `printable` agrees with a byte-by-byte check for every byte value
    /// at every place, and after an earlier byte it refuses.
    #[test]
    fn printable_agrees_with_a_byte_by_byte_check() {
        let one_by_one = |bytes: &[u8]| bytes.iter().all(|b| (0x20..0x7f).contains(b));
        assert!(printable(b""));
        each_byte_at_each_place(0xff, |bytes, case| {
            assert_eq!(printable(bytes), one_by_one(bytes), "{case}");
        });
    }

    /// `same_ignoring_case` agrees with `eq_ignore_ascii_case` for every
    /// pair of byte values at every place of names up to three words long.
    #[test]
    fn same_ignoring_case_agrees_with_the_standard_library() {
        for len in 1..=24 {
            for at in 0..len {
                for x in 0..=255u8 {
                    for y in [
                        x,
                        x ^ 0x20,
                        x.to_ascii_uppercase(),
                        x.wrapping_add(1),
                        0x80 | x,
                    ] {
                        let mut a = vec![b'k'; len];
                        let mut b = vec![b'K'; len];
                        a[at] = x;
                        b[at] = y;
                        assert_eq!(
                            same_ignoring_case(&a, &b),
                            a.eq_ignore_ascii_case(&b),
                            "{x:#x} against {y:#x} at {at} of {len}"
                        );
                    }
                }
            }
        }
        assert!(!same_ignoring_case(b"content-length", b"content-lengt"));
    }

    /// `same` agrees with `==` for a difference at every place of every
    /// length up to five words, and for lengths that differ.
    #[test]
    fn same_agrees_with_equality() {
        for len in 0..=40 {
            let a: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            assert!(same(&a, &a.clone()), "equal, {len} bytes");
            for at in 0..len {
                for change in [1u8, 0x80, 0xff] {
                    let mut b = a.clone();
                    b[at] ^= change;
                    assert!(!same(&a, &b), "byte {at} of {len} differs by {change:#x}");
                }
            }
            let mut longer = a.clone();
            longer.push(0);
            assert!(!same(&a, &longer), "{len} against {} bytes", len + 1);
        }
    }
}
