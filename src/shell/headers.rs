//! Request and response headers, read through the raw ABI into two
//! buffers (a core [`Headers`]).
//!
//! `fastly`'s header maps make one host call per header asked for, and
//! read each value into a 4 KiB buffer of its own, which the value then
//! keeps: each is a fresh page for the instance. The request view asks
//! for a dozen headers and the size of all of them, which came to about
//! 90 allocations and 59 KB per request (docs/performance.md); the
//! origin's answer is read for its kept headers.

use dl_edge::primitives::headers::{nul_terminated, sent_of, Headers};
use fastly::handle::{RequestHandle, ResponseHandle};
use fastly_shared::FastlyStatus;

/// The longest list of names, or of one header's values, read; longer
/// requests are refused by the core's header size limit long before.
const MAX_LIST: usize = 1 << 20;

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
    if !listed.is_ok() {
        names.clear();
    }
    Headers::read(
        names,
        values_of(id, fastly_sys::fastly_http_req::header_values_get),
    )
}

/// Reads the headers `wanted` of `handle`, and no other: the names it has
/// first (one host call), then the values of those of `wanted` among them
/// (one each). If the host cannot list its names, each of `wanted` is
/// asked for.
pub fn of_response(handle: &ResponseHandle, wanted: &[&str]) -> Headers {
    let id = handle.as_u32();
    let mut sent = Vec::new();
    // SAFETY: `read_list` passes a pointer to `len` writable bytes and
    // reads back at most `len` written.
    let listed = read_list(&mut sent, |buf, len, cursor, ending, written| unsafe {
        fastly_sys::fastly_http_resp::header_names_get(id, buf, len, cursor, ending, written)
    });
    let names = if listed.is_ok() {
        sent_of(&sent, wanted)
    } else {
        nul_terminated(wanted)
    };
    Headers::read(
        names,
        values_of(id, fastly_sys::fastly_http_resp::header_values_get),
    )
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

/// A `header_insert` or `header_append` of the request or the response
/// ABI: the same shape for all four.
type ValueSet = unsafe extern "C" fn(u32, *const u8, usize, *const u8, usize) -> FastlyStatus;

/// Sets `name` to `value` on handle `id` with `set` (a `header_insert`
/// or `header_append`), and says whether the host took it.
pub fn set_value(id: u32, set: ValueSet, name: &str, value: &str) -> FastlyStatus {
    // SAFETY: both slices are valid for their lengths, and the host only
    // reads them.
    unsafe { set(id, name.as_ptr(), name.len(), value.as_ptr(), value.len()) }
}

/// Reads one header's values of handle `id` with `values_get`, for
/// [`Headers::read`].
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
        .is_ok()
    }
}

/// Appends what the host writes through a cursor (header names, or one
/// header's values, NUL-terminated) to `out`, growing it when the host
/// says it is too small. `OK`, or the status with which the host refused
/// it.
pub fn read_list(
    out: &mut Vec<u8>,
    mut call: impl FnMut(*mut u8, usize, u32, &mut i64, &mut usize) -> FastlyStatus,
) -> FastlyStatus {
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
                    return FastlyStatus::OK;
                }
                cursor = ending as u32;
                want = 512;
            }
            FastlyStatus::BUFLEN if written > len && written <= MAX_LIST => want = written,
            refused => return refused,
        }
    }
}

/// Appends one value the host writes in one go (the request URI, a
/// geolocation record, a Config Store value) to `out`, growing it as
/// [`read_list`] does, and says how the host answered. `call` gets a
/// pointer to `len` writable bytes and says how many it wrote.
pub fn read_one(
    out: &mut Vec<u8>,
    mut call: impl FnMut(*mut u8, usize, &mut usize) -> FastlyStatus,
) -> FastlyStatus {
    read_list(out, |ptr, len, _cursor, ending, written| {
        // No cursor: the ending says this is the last.
        *ending = -1;
        call(ptr, len, written)
    })
}
