//! Where a request's small allocations go: one region, handed out from
//! its start and never reused, except the last piece handed out, which
//! can be given back or resized in place.
//!
//! Each request runs in a fresh Wasm instance whose memory goes with it,
//! so a general allocator's bookkeeping for reuse is paid on every request
//! for nothing: wasi-libc's dlmalloc took about 19,500 instructions a
//! request for 84 allocations under Viceroy (docs/performance.md). The
//! Compute shell's global allocator places allocations here by offset;
//! this module only does the arithmetic, so it is tested natively and
//! touches no memory.

/// Offsets into a region of `len` bytes, handed out from its start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arena {
    /// The first offset not handed out.
    next: usize,
    len: usize,
}

impl Arena {
    pub const fn new(len: usize) -> Arena {
        Arena { next: 0, len }
    }

    /// The offset of a new piece of `size` bytes aligned to `align` (a
    /// power of two, as `Layout` guarantees, relative to the region's
    /// start), or `None` when the region has no room left.
    #[inline(always)]
    pub fn take(&mut self, size: usize, align: usize) -> Option<usize> {
        let at = self.next.checked_add(align - 1)? & !(align - 1);
        let end = at.checked_add(size)?;
        if end > self.len {
            return None;
        }
        self.next = end;
        Some(at)
    }

    /// Gives back the piece at `at` of `size` bytes: its room is reused
    /// only if it is the last piece handed out.
    pub fn give_back(&mut self, at: usize, size: usize) {
        if self.is_last(at, size) {
            self.next = at;
        }
    }

    /// Makes the piece at `at` of `size` bytes `new_size` bytes long where
    /// it is, if it can: a smaller size always (the rest is left unused),
    /// a larger one if it is the last piece and the region has room.
    pub fn resize(&mut self, at: usize, size: usize, new_size: usize) -> bool {
        if self.is_last(at, size) {
            match at.checked_add(new_size) {
                Some(end) if end <= self.len => {
                    self.next = end;
                    true
                }
                _ => false,
            }
        } else {
            new_size <= size
        }
    }

    /// Whether the piece at `at` of `size` bytes (never empty: the global
    /// allocator is never asked for zero bytes) is the last handed out.
    fn is_last(&self, at: usize, size: usize) -> bool {
        at + size == self.next
    }
}

#[cfg(test)]
mod tests {
    use super::Arena;

    #[test]
    fn pieces_are_aligned_and_do_not_overlap() {
        let mut arena = Arena::new(64);
        assert_eq!(arena.take(3, 1), Some(0));
        assert_eq!(arena.take(8, 8), Some(8));
        assert_eq!(arena.take(1, 16), Some(16));
        assert_eq!(arena.take(2, 2), Some(18));
        // 20 + 44 = 64 fits exactly; nothing more does.
        assert_eq!(arena.take(44, 1), Some(20));
        assert_eq!(arena.take(1, 1), None);
    }

    #[test]
    fn a_piece_too_large_is_refused_and_takes_nothing() {
        let mut arena = Arena::new(32);
        assert_eq!(arena.take(33, 1), None);
        assert_eq!(arena.take(usize::MAX, 1), None);
        assert_eq!(arena.take(1, 1), Some(0));
        let mut end = Arena::new(usize::MAX);
        assert_eq!(end.take(usize::MAX - 1, 1), Some(0));
        assert_eq!(end.take(1, 8), None, "the aligned offset overflows");
    }

    #[test]
    fn only_the_last_piece_is_reused() {
        let mut arena = Arena::new(64);
        let a = arena.take(8, 8).unwrap();
        let b = arena.take(8, 8).unwrap();
        arena.give_back(a, 8);
        assert_eq!(arena.take(8, 8), Some(16), "a is not the last: not reused");
        arena.give_back(16, 8);
        assert_eq!(arena.take(4, 4), Some(16), "the last is reused");
        arena.give_back(b, 8);
        assert_eq!(arena.take(4, 4), Some(20), "b is no longer the last");
    }

    #[test]
    fn the_last_piece_grows_in_place_while_there_is_room() {
        let mut arena = Arena::new(64);
        let a = arena.take(8, 8).unwrap();
        assert!(arena.resize(a, 8, 32));
        assert_eq!(arena.take(1, 1), Some(32));
        assert!(!arena.resize(a, 32, 40), "a is no longer the last");
        assert!(arena.resize(a, 32, 16), "shrinking is always in place");
        let b = arena.take(8, 1).unwrap();
        assert!(arena.resize(b, 8, 64 - 33));
        assert!(!arena.resize(b, 31, 32), "no room");
        assert!(!arena.resize(b, 31, usize::MAX), "no room");
    }
}
