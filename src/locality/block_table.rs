//! The cloud range tables as they are compiled in: sorted, disjoint,
//! aligned address blocks written compactly, in runs.
//!
//! Each block is its host bits, its distance from the block before it and
//! its region: mostly three bytes, where a first address and two bytes
//! took six (IPv4) or ten (IPv6). The first address of every run is kept
//! in an index. A lookup searches the index, then decodes one run of at
//! most 8 blocks, so it touches the index and a few dozen bytes of blocks
//! instead of a binary search's path through three parallel arrays. The
//! generator (`xtask/src/cloud_ranges.rs`, `compact`) writes the format.

/// One aligned block: the `2^host_bits` addresses from `first`. IPv4
/// addresses, or the top 64 bits of IPv6 ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub first: u64,
    pub host_bits: u8,
    /// An index into `cloud_ranges::REGIONS`.
    pub region: u8,
}

/// A table of blocks as `cloud_ranges` holds it.
pub struct BlockTable<T: 'static> {
    /// The first address of each run's first block, sorted.
    pub index: &'static [T],
    /// Where each run starts in `blocks`.
    pub at: &'static [u16],
    /// Per block: its host bits; how many blocks of its size lie between
    /// the end of the block before it (for a run's first block, the run's
    /// first address) rounded up to its size, and its first address, as
    /// unsigned LEB128; its region.
    pub blocks: &'static [u8],
}

impl<T: Copy + Ord + Into<u64>> BlockTable<T> {
    /// The region of the block holding `x`, if one does.
    pub fn find(&self, x: T) -> Option<u8> {
        let run = self
            .index
            .partition_point(|&first| first <= x)
            .checked_sub(1)?;
        let x = x.into();
        self.run(run)
            .take_while(|block| block.first <= x)
            .find(|block| x - block.first <= mask(block.host_bits))
            .map(|block| block.region)
    }

    /// Every block, in order (for the tests).
    #[cfg(test)]
    pub fn blocks(&self) -> impl Iterator<Item = Block> + '_ {
        (0..self.index.len()).flat_map(|run| self.run(run))
    }

    fn run(&self, run: usize) -> Run {
        let start = usize::from(self.at[run]);
        let end = self
            .at
            .get(run + 1)
            .map_or(self.blocks.len(), |&at| usize::from(at));
        Run {
            bytes: &self.blocks[start..end],
            next: self.index[run].into(),
        }
    }
}

/// The host part of a block's addresses: `2^host_bits - 1`, all of them
/// for a block of the whole 64-bit space.
fn mask(host_bits: u8) -> u64 {
    1u64.checked_shl(host_bits.into())
        .unwrap_or(0)
        .wrapping_sub(1)
}

/// The blocks of one run, decoded in order.
struct Run {
    bytes: &'static [u8],
    /// Just past the block before (the run's first address at its start).
    /// Only after a block that ends the space does it wrap, and none
    /// follows that one.
    next: u64,
}

impl Iterator for Run {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        let bytes = self.bytes;
        let host_bits = *bytes.first()?;
        // The distance, LEB128: one byte for most blocks. A valid table
        // shifts by at most 63; the mask keeps a bad one from panicking.
        let mut distance = 0u64;
        let mut shift = 0u32;
        let mut at = 1;
        loop {
            let byte = *bytes.get(at)?;
            at += 1;
            distance |= u64::from(byte & 0x7f) << (shift & 63);
            if byte < 0x80 {
                break;
            }
            shift += 7;
        }
        let region = *bytes.get(at)?;
        self.bytes = &bytes[at + 1..];
        let mask = mask(host_bits);
        // Rounded up to the block's size, a power of two: a mask, where
        // `next_multiple_of` would divide.
        let aligned = self.next.wrapping_add(mask) & !mask;
        let first = aligned + distance.checked_shl(host_bits.into()).unwrap_or(0);
        self.next = first.wrapping_add(mask).wrapping_add(1);
        Some(Block {
            first,
            host_bits,
            region,
        })
    }
}
