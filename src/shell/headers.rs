//! The client request's headers, read once through the raw ABI.
//!
//! `fastly`'s header map makes one host call per header asked for, and
//! reads each value into a 4 KiB buffer of its own, which the value then
//! keeps: the request view asks for a dozen headers and the size of all of
//! them, which came to about 90 allocations and 59 KB per request
//! (docs/performance.md). This reads every name and every value once, into
//! two buffers.

use fastly::handle::RequestHandle;
use fastly_shared::FastlyStatus;

/// The longest list of names, or of one header's values, read; longer
/// requests are refused by the core's header size limit long before.
const MAX_LIST: usize = 1 << 20;

/// Every header of a request, in the order the host lists them.
pub struct Headers {
    names: Vec<u8>,
    values: Vec<u8>,
    /// One entry per value: (name start, name end, value start, value end).
    entries: Vec<(u32, u32, u32, u32)>,
}

impl Headers {
    /// Reads every header of `handle`. Headers the host cannot list are
    /// treated as absent.
    pub fn read(handle: &RequestHandle) -> Headers {
        let id = handle.as_u32();
        let mut names = Vec::new();
        // SAFETY: `read_list` passes a pointer to `len` writable bytes and
        // reads back at most `len` written.
        let listed = read_list(&mut names, |buf, len, cursor, ending, written| unsafe {
            fastly_sys::fastly_http_req::header_names_get(id, buf, len, cursor, ending, written)
        });
        if !listed {
            names.clear();
        }
        let mut values = Vec::new();
        let mut entries = Vec::new();
        let mut start = 0;
        while let Some(end) = names[start..]
            .iter()
            .position(|&b| b == 0)
            .map(|n| start + n)
        {
            let name = &names[start..end];
            let from = values.len();
            // SAFETY: as above; `name` is valid for its length.
            let read = read_list(&mut values, |buf, len, cursor, ending, written| unsafe {
                fastly_sys::fastly_http_req::header_values_get(
                    id,
                    name.as_ptr(),
                    name.len(),
                    buf,
                    len,
                    cursor,
                    ending,
                    written,
                )
            });
            if !read {
                values.truncate(from);
            }
            let mut at = from;
            while let Some(stop) = values[at..].iter().position(|&b| b == 0).map(|n| at + n) {
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

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.entries
            .iter()
            .filter(move |e| {
                self.names[e.0 as usize..e.1 as usize].eq_ignore_ascii_case(name.as_bytes())
            })
            .map(|e| &self.values[e.2 as usize..e.3 as usize])
    }

    /// The first value of `name` as text; a value that is not visible
    /// ASCII reads as U+FFFD, as `HeaderValue::to_str` refuses it.
    pub fn text(&self, name: &str) -> Option<String> {
        let value = self.all(name).next()?;
        let visible = value
            .iter()
            .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
        Some(match std::str::from_utf8(value) {
            Ok(text) if visible => text.to_owned(),
            _ => "\u{fffd}".to_owned(),
        })
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

/// Appends what the host writes through a cursor (header names, or one
/// header's values, NUL-terminated) to `out`, growing it when the host
/// says it is too small. False if the host refused it.
pub fn read_list(
    out: &mut Vec<u8>,
    mut call: impl FnMut(*mut u8, usize, u32, &mut i64, &mut usize) -> FastlyStatus,
) -> bool {
    let mut cursor = 0u32;
    let mut want = 512;
    loop {
        out.reserve(want);
        let len = out.capacity() - out.len();
        let mut ending = -1i64;
        let mut written = 0usize;
        // SAFETY: the spare capacity is `len` bytes; the host writes at
        // most that, and says how many in `written`.
        let status = call(
            unsafe { out.as_mut_ptr().add(out.len()) },
            len,
            cursor,
            &mut ending,
            &mut written,
        );
        match status {
            FastlyStatus::OK => {
                // SAFETY: the host initialised `written` (≤ `len`) bytes.
                unsafe { out.set_len(out.len() + written.min(len)) };
                if ending < 0 {
                    return true;
                }
                cursor = ending as u32;
                want = 512;
            }
            FastlyStatus::BUFLEN if written > len && written <= MAX_LIST => want = written,
            _ => return false,
        }
    }
}

/// Appends one value the host writes in one go (the request URI, a
/// geolocation record) to `out`, growing it as [`read_list`] does. `call`
/// gets a pointer to `len` writable bytes and says how many it wrote.
pub fn read_one(
    out: &mut Vec<u8>,
    mut call: impl FnMut(*mut u8, usize, &mut usize) -> FastlyStatus,
) -> bool {
    read_list(out, |ptr, len, _cursor, ending, written| {
        // No cursor: the ending says this is the last.
        *ending = -1;
        call(ptr, len, written)
    })
}
