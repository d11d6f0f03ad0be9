//! The global allocator: a request's small allocations from one static
//! region, in the order asked for and never reused
//! ([`dl_edge::primitives::arena`]), everything else from the system
//! allocator (wasi-libc's dlmalloc).
//!
//! The instance, and its memory, lasts one request, so nothing needs
//! reusing; the region is in the module's zeroed memory, which costs no
//! Wasm bytes, and pages of it are touched only as they are used. Large
//! allocations (the body buffers) stay with the system allocator, so a
//! download of any size cannot fill the region; when the region is full
//! all the same, small allocations go to the system allocator too.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::UnsafeCell;

use dl_edge::primitives::arena::Arena;

/// The region's size: a small request's allocations come to about 18 KB
/// in all (docs/performance.md).
const REGION: usize = 64 * 1024;
/// Allocations above this size go to the system allocator.
const SMALL: usize = 8 * 1024;
/// The region's alignment, and the largest alignment it serves.
const ALIGN: usize = 16;

/// The region: all zeros, so in the module's zeroed memory (`.bss`),
/// not its data.
#[repr(C, align(16))]
struct Region(UnsafeCell<[u8; REGION]>);

// SAFETY: wasm32-wasip1 has one thread; only the allocator reaches it.
unsafe impl Sync for Region {}

static REGION_BYTES: Region = Region(UnsafeCell::new([0; REGION]));

pub struct RequestAllocator {
    arena: UnsafeCell<Arena>,
}

// SAFETY: wasm32-wasip1 has one thread; nothing else reaches the cell.
unsafe impl Sync for RequestAllocator {}

#[global_allocator]
static ALLOCATOR: RequestAllocator = RequestAllocator {
    arena: UnsafeCell::new(Arena::new(REGION)),
};

impl RequestAllocator {
    fn base(&self) -> *mut u8 {
        REGION_BYTES.0.get().cast()
    }

    /// The arena offset of `ptr`, if it is in the region.
    fn offset(&self, ptr: *mut u8) -> Option<usize> {
        (ptr as usize)
            .checked_sub(self.base() as usize)
            .filter(|&at| at < REGION)
    }

    /// A piece of the region for `layout`, if it is small and there is
    /// room. Inlined: as a call it cost 4,000 instructions a request.
    #[inline(always)]
    fn take(&self, layout: Layout) -> Option<*mut u8> {
        if !fits(layout) {
            return None;
        }
        let at = self.arena().take(layout.size(), layout.align())?;
        // SAFETY: `take` keeps `at + size` within the region.
        Some(unsafe { self.base().add(at) })
    }

    /// The arena. One thread, and no caller holds the reference across
    /// another call into the allocator.
    #[allow(clippy::mut_from_ref)]
    fn arena(&self) -> &mut Arena {
        // SAFETY: see above.
        unsafe { &mut *self.arena.get() }
    }
}

/// Whether the region serves `layout`: small, and aligned no more than
/// the region is.
fn fits(layout: Layout) -> bool {
    layout.size() <= SMALL && layout.align() <= ALIGN
}

unsafe impl GlobalAlloc for RequestAllocator {
    #[inline(never)]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        match self.take(layout) {
            Some(ptr) => ptr,
            // SAFETY: the caller's contract is passed on.
            None => unsafe { System.alloc(layout) },
        }
    }

    /// As `alloc`, zeroed: a piece of the region may have been given
    /// back dirty; the system allocator zeroes its own.
    #[inline(never)]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        match self.take(layout) {
            // SAFETY: the piece is valid for `layout.size()` bytes.
            Some(ptr) => unsafe {
                ptr.write_bytes(0, layout.size());
                ptr
            },
            // SAFETY: the caller's contract is passed on.
            None => unsafe { System.alloc_zeroed(layout) },
        }
    }

    #[inline(never)]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        match self.offset(ptr) {
            Some(at) => self.arena().give_back(at, layout.size()),
            // SAFETY: not in the region, so the system allocator's.
            None => unsafe { System.dealloc(ptr, layout) },
        }
    }

    #[inline(never)]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let Some(at) = self.offset(ptr) else {
            // SAFETY: not in the region, so the system allocator's.
            return unsafe { System.realloc(ptr, layout, new_size) };
        };
        if self.arena().resize(at, layout.size(), new_size) {
            return ptr;
        }
        // SAFETY: `new_size` and the alignment make a valid layout (the
        // caller's contract); the new block does not overlap the old one,
        // which is valid for `layout.size()` bytes.
        unsafe {
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let new = self.alloc(new_layout);
            if !new.is_null() {
                std::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}
