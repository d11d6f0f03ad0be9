//! Request and response headers, read through the raw ABI into two
//! buffers.
//!
//! `fastly`'s header maps make one host call per header asked for, and
//! read each value into a 4 KiB buffer of its own, which the value then
//! keeps: each is a fresh page for the instance. The request view asks
//! for a dozen headers and the size of all of them, which came to about
//! 90 allocations and 59 KB per request (docs/performance.md); the
//! origin's answer is read for its kept headers.

use fastly::handle::{RequestHandle, ResponseHandle};
use fastly_shared::FastlyStatus;

/// The longest list of names, or of one header's values, read; longer
/// requests are refused by the core's header size limit long before.
const MAX_LIST: usize = 1 << 20;

/// Headers of a request or response, in the order they were read.
#[derive(Default)]
pub struct Headers {
    /// NUL-terminated names.
    names: Vec<u8>,
    /// NUL-terminated values.
    values: Vec<u8>,
    /// One entry per value: (name start, name end, value start, value end).
    entries: Vec<(u32, u32, u32, u32)>,
}

impl Headers {
    /// Reads every header of `handle`. Headers the host cannot list are
    /// treated as absent.
    pub fn of_request(handle: &RequestHandle) -> Headers {
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
        Headers::read_values(
            names,
            values_of(id, fastly_sys::fastly_http_req::header_values_get),
        )
    }

    /// Reads the headers `names` of `handle`, and no other.
    pub fn of_response(handle: &ResponseHandle, names: &[&str]) -> Headers {
        Headers::read_values(
            nul_terminated(names),
            values_of(
                handle.as_u32(),
                fastly_sys::fastly_http_resp::header_values_get,
            ),
        )
    }

    /// The headers `names`, with the values `given` gives for each.
    pub fn copied<'v>(names: &[&str], mut given: impl FnMut(&str) -> Vec<&'v [u8]>) -> Headers {
        Headers::read_values(nul_terminated(names), |name, values| {
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
    fn read_values(names: Vec<u8>, mut read: impl FnMut(&[u8], &mut Vec<u8>) -> bool) -> Headers {
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
            if !read(name, &mut values) {
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

    /// Every value of `name`, in order.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + 'a {
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
        Some(as_text(value).unwrap_or("\u{fffd}").to_owned())
    }

    /// The first value of `name`, if it is text.
    pub fn str<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        as_text(self.all(name).next()?)
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

/// A `header_values_get` of the request or the response ABI: the same
/// shape for both.
type ValuesGet = unsafe extern "C" fn(
    u32,
    *const u8,
    usize,
    *mut u8,
    usize,
    u32,
    *mut i64,
    *mut usize,
) -> FastlyStatus;

/// Reads one header's values of handle `id` with `values_get`, for
/// [`Headers::read_values`].
fn values_of(id: u32, values_get: ValuesGet) -> impl FnMut(&[u8], &mut Vec<u8>) -> bool {
    move |name, values| {
        // SAFETY: `name` is valid for its length; `read_list` passes a
        // pointer to `len` writable bytes and reads back at most `len`.
        read_list(values, |buf, len, cursor, ending, written| unsafe {
            values_get(
                id,
                name.as_ptr(),
                name.len(),
                buf,
                len,
                cursor,
                ending,
                written,
            )
        })
    }
}

/// A header value as text, if it is visible ASCII (or tabs), as
/// `HeaderValue::to_str` requires.
pub fn as_text(value: &[u8]) -> Option<&str> {
    let visible = value
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b));
    // Visible ASCII is UTF-8.
    visible.then(|| std::str::from_utf8(value).ok()).flatten()
}

/// `names`, each followed by a NUL, as the host lists them.
fn nul_terminated(names: &[&str]) -> Vec<u8> {
    let mut list = Vec::with_capacity(names.iter().map(|n| n.len() + 1).sum());
    for name in names {
        list.extend_from_slice(name.as_bytes());
        list.push(0);
    }
    list
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
