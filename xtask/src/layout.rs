//! Array literals in the layout rustfmt gives them, so generated files are
//! formatted as written (rustfmt's defaults: 100 columns, 4-space indent).

/// rustfmt's `max_width`.
const MAX_WIDTH: usize = 100;
/// rustfmt's `array_width` (60% of `max_width`): an array literal whose
/// elements take at most this much stays on one line, if the line fits.
const ARRAY_WIDTH: usize = 60;
/// rustfmt's `short_array_element_width_threshold`: arrays whose elements
/// are all at most this wide are packed several to a line.
const SHORT_ELEMENT: usize = 10;

/// `pub const NAME: TYPE = &[…];`: on one line when short, else one
/// element per line, or packed as many to a line as fit when every element
/// is short.
pub fn const_array(out: &mut String, name: &str, ty: &str, items: &[String]) {
    let joined = items.join(", ");
    let one_line = format!("pub const {name}: {ty} = &[{joined}];");
    if joined.len() <= ARRAY_WIDTH && one_line.len() <= MAX_WIDTH {
        out.push_str(&one_line);
        out.push('\n');
        return;
    }
    out.push_str(&format!("pub const {name}: {ty} = &[\n"));
    if items.iter().all(|item| item.len() <= SHORT_ELEMENT) {
        let mut line = String::new();
        for item in items {
            // "    " + line + ", " + item + ",": rustfmt budgets the last
            // separator as ", " too, so a packed line ends by column 99.
            if !line.is_empty() && 4 + line.len() + 2 + item.len() + 2 > MAX_WIDTH {
                out.push_str(&format!("    {line},\n"));
                line.clear();
            }
            if !line.is_empty() {
                line.push_str(", ");
            }
            line.push_str(item);
        }
        if !line.is_empty() {
            out.push_str(&format!("    {line},\n"));
        }
    } else {
        for item in items {
            out.push_str(&format!("    {item},\n"));
        }
    }
    out.push_str("];\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(items: &[&str]) -> String {
        let items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
        let mut out = String::new();
        const_array(&mut out, "X", "&[u32]", &items);
        out
    }

    #[test]
    fn a_short_array_stays_on_one_line() {
        assert_eq!(render(&["1", "2"]), "pub const X: &[u32] = &[1, 2];\n");
        assert_eq!(render(&[]), "pub const X: &[u32] = &[];\n");
        // 5 * 10 + 4 * 2 = 58 of the 60 columns rustfmt allows an array.
        assert_eq!(render(&["0x01234567"; 5]).lines().count(), 1);
        assert_eq!(render(&["0x01234567"; 6]).lines().count(), 3);
    }

    #[test]
    fn short_elements_are_packed_up_to_100_columns() {
        let items = vec!["0x01234567"; 9];
        let out = render(&items);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "pub const X: &[u32] = &[");
        // 4 + 8 * 10 + 7 * 2 + 1 = 99 columns; a ninth would make 111.
        assert_eq!(lines[1].len(), 99);
        assert_eq!(lines[2], "    0x01234567,");
        assert_eq!(lines[3], "];");
    }

    #[test]
    fn a_packed_line_ends_by_column_99() {
        // 4 + 22 * 2 + 6 + 22 * ", " + "," = 99: the 23rd element fits,
        // one wider would end at column 100, which rustfmt does not fill.
        for (last, fits) in [("123456", true), ("1234567", false)] {
            let mut items = vec!["12"; 22];
            items.push(last);
            items.push("12");
            let out = render(&items);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines[1].ends_with(&format!(", {last},")), fits, "{out}");
            assert!(lines.iter().all(|l| l.len() <= 99), "{out}");
        }
    }

    #[test]
    fn long_elements_go_one_to_a_line() {
        // 4 * 18 + 3 * 2 = 78 columns: over 60, and too wide to pack.
        let out = render(&[
            "0x0123456789abcdef",
            "0x0123456789abcdef",
            "0x0123456789abcdef",
            "1",
        ]);
        assert_eq!(
            out,
            "pub const X: &[u32] = &[\n    0x0123456789abcdef,\n    0x0123456789abcdef,\n    \
             0x0123456789abcdef,\n    1,\n];\n"
        );
    }
}
