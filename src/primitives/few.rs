//! Sorting the few items a request sorts: shield candidates, routes and
//! signed headers, a handful each.
//!
//! `slice::sort*` is built for large slices; its quicksort, heapsort and
//! small-sort networks cost about 9 KB of the Wasm that every request
//! instantiates (docs/performance.md). An insertion sort is quadratic,
//! which for a handful of items is nothing.

/// Sorts `items` so that no item comes after one it goes `before`.
/// Stable: items neither before the other keep their order.
pub fn sort_by<T>(items: &mut [T], mut before: impl FnMut(&T, &T) -> bool) {
    for end in 1..items.len() {
        let mut at = end;
        while at > 0 && before(&items[at], &items[at - 1]) {
            items.swap(at, at - 1);
            at -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_by;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        // Every arrangement of a small multiset, keyed on the first field
        // only, so stability shows in the second.
        let base = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (1, 'e'), (0, 'f')];
        let mut seeds: Vec<Vec<(u8, char)>> = vec![vec![]];
        for item in base {
            seeds = seeds
                .into_iter()
                .flat_map(|s| {
                    (0..=s.len()).map(move |i| {
                        let mut next = s.clone();
                        next.insert(i, item);
                        next
                    })
                })
                .collect();
        }
        assert_eq!(seeds.len(), 720);
        for seed in seeds {
            let mut ours = seed.clone();
            sort_by(&mut ours, |a, b| a.0 < b.0);
            let mut std = seed.clone();
            std.sort_by_key(|p| p.0);
            assert_eq!(ours, std, "from {seed:?}");
        }
    }

    #[test]
    fn empty_and_single() {
        let mut none: [u8; 0] = [];
        sort_by(&mut none, |a, b| a < b);
        let mut one = [7];
        sort_by(&mut one, |a, b| a < b);
        assert_eq!(one, [7]);
    }
}
