//! Integers written as decimal text with `itoa`, not `fmt`: the log
//! line's addresses and the shield plan's version keys are written on
//! every request.

/// `numbers` in decimal, `separator` between them: `203.0.113.77`,
/// `1.31.0`.
pub fn joined<T: itoa::Integer>(numbers: impl IntoIterator<Item = T>, separator: char) -> String {
    let mut out = String::with_capacity(16);
    let mut digits = itoa::Buffer::new();
    for (i, n) in numbers.into_iter().enumerate() {
        if i > 0 {
            out.push(separator);
        }
        out.push_str(digits.format(n));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_are_joined_as_display_would_write_them() {
        assert_eq!(super::joined([203u8, 0, 113, 77], '.'), "203.0.113.77");
        assert_eq!(super::joined([1u64, 31, 0], '.'), "1.31.0");
        assert_eq!(super::joined([u64::MAX], '.'), u64::MAX.to_string());
        assert_eq!(super::joined(Vec::<u8>::new(), '.'), "");
    }
}
