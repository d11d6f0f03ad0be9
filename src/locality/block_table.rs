//! The cloud range tables as they are compiled in: sorted, disjoint,
//! aligned address blocks written compactly, in runs.
//!
//! Each block is its host bits, its distance from the block before it and
//! its region: mostly three bytes, where a first address and two bytes
//! took six (IPv4) or ten (IPv6). The first address of every run is kept
//! in an index. A lookup searches the index, then decodes one run of at
//! most 32 blocks, so it touches the index and a hundred bytes of blocks
//! instead of a binary search's path through three parallel arrays. The
//! generator (`xtask/src/cloud_ranges.rs`, `compact`) writes the format.

/// One aligned block: the `2^host_bits` addresses from `first`. IPv4
/// addresses, or the top 64 bits of IPv6 ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Block {
    pub first: u128,
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

impl<T: Copy + Ord + Into<u128>> BlockTable<T> {
    /// The region of the block holding `x`, if one does.
    pub fn find(&self, x: T) -> Option<u8> {
        let run = self
            .index
            .partition_point(|&first| first <= x)
            .checked_sub(1)?;
        let x = x.into();
        self.run(run)
            .take_while(|block| block.first <= x)
            .find(|block| (x - block.first) >> block.host_bits == 0)
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
            end: self.index[run].into(),
        }
    }
}

/// The blocks of one run, decoded in order.
struct Run {
    bytes: &'static [u8],
    /// The end of the block before (the run's first address at its start).
    end: u128,
}

impl Iterator for Run {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        let (&host_bits, mut rest) = self.bytes.split_first()?;
        let mut distance = 0u128;
        let mut shift = 0;
        while let Some((&byte, after)) = rest.split_first() {
            rest = after;
            distance |= u128::from(byte & 0x7f) << shift;
            shift += 7;
            if byte < 0x80 {
                break;
            }
        }
        let (&region, rest) = rest.split_first()?;
        self.bytes = rest;
        let size = 1u128 << host_bits;
        // Rounded up to the block's size, a power of two (a mask, where
        // `next_multiple_of` would divide).
        let first = ((self.end + size - 1) & !(size - 1)) + (distance << host_bits);
        self.end = first + size;
        Some(Block {
            first,
            host_bits,
            region,
        })
    }
}
