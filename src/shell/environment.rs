//! The POP and the service version each log line names, read from the
//! environment Compute gives the instance (`FASTLY_POP`,
//! `FASTLY_SERVICE_VERSION`).
//!
//! Read with WASI's two environment calls into one buffer, where
//! `fastly::compute_runtime` goes through `std::env::var` and wasi-libc:
//! wasi-libc builds a C environment with its own malloc (first used there
//! in a small request), `getenv` compares every entry byte by byte, and
//! each value is copied twice. The guest's part of that was about 4.7k
//! instructions a request for two short strings; this way, 0.7k
//! (docs/performance.md).

use dl_edge::primitives::environment::variable;

/// What a request logs when the environment lacks a variable (only ever
/// outside Compute and Viceroy).
const UNKNOWN: &str = "unknown";

/// The POP and the service version, in that order.
pub fn pop_and_version() -> (String, String) {
    let (block, pointers) = block().unwrap_or_default();
    // Where each entry starts in the block.
    let starts = || {
        let base = block.as_ptr() as usize;
        pointers
            .iter()
            .map(move |&pointer| (pointer as usize).wrapping_sub(base))
    };
    let read = |name| {
        variable(&block, starts(), name)
            .unwrap_or(UNKNOWN)
            .to_owned()
    };
    (read("FASTLY_POP"), read("FASTLY_SERVICE_VERSION"))
}

/// The instance's environment block, `NAME=value` entries each ended by
/// a NUL, and a pointer to each entry; `None` if WASI refuses them.
fn block() -> Option<(Vec<u8>, Vec<*mut u8>)> {
    let (mut count, mut size) = (0usize, 0usize);
    // SAFETY: both pointers are to live, writable `usize`s.
    if unsafe { wasi::environ_sizes_get(&mut count, &mut size) } != 0 {
        return None;
    }
    let mut pointers = vec![std::ptr::null_mut::<u8>(); count];
    let mut block = vec![0u8; size];
    // SAFETY: `environ_get` writes `count` pointers and `size` bytes, the
    // sizes `environ_sizes_get` gave, into buffers of exactly those sizes.
    if unsafe { wasi::environ_get(pointers.as_mut_ptr(), block.as_mut_ptr()) } != 0 {
        return None;
    }
    Some((block, pointers))
}

/// The two calls of WASI preview 1 this module makes, as Compute and
/// Viceroy provide them.
mod wasi {
    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    extern "C" {
        pub fn environ_sizes_get(count: *mut usize, size: *mut usize) -> u16;
        pub fn environ_get(pointers: *mut *mut u8, block: *mut u8) -> u16;
    }
}
