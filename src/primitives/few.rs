//! Collections of the few items a request handles: shield candidates,
//! routes, signed headers and the config's maps, a handful each.
//!
//! The standard library's are built for many items, and their code is
//! paid in the Wasm every request instantiates (docs/performance.md):
//! `slice::sort*`'s quicksort, heapsort and small-sort networks were
//! about 9 KB, `BTreeMap`'s nodes about 8 KB. For a handful of items an
//! insertion sort and a sorted list do the same in a few lines.

use std::borrow::Borrow;

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

/// A map of a few entries, in key order: a sorted list, looked up by
/// binary search. A key inserted twice keeps its last value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Map<K, V>(Vec<(K, V)>);

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Map(Vec::new())
    }
}

impl<K: Ord, V> Map<K, V> {
    pub fn new() -> Self {
        Map::default()
    }

    pub fn insert(&mut self, key: K, value: V) {
        match self.0.binary_search_by(|(k, _)| k.cmp(&key)) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    pub fn get<Q: Ord + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        let at = self.0.binary_search_by(|(k, _)| k.borrow().cmp(key)).ok()?;
        Some(&self.0[at].1)
    }

    /// The entries in key order.
    pub fn iter(&self) -> Entries<'_, K, V> {
        self.into_iter()
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A map's entries in key order.
pub type Entries<'m, K, V> =
    std::iter::Map<std::slice::Iter<'m, (K, V)>, fn(&'m (K, V)) -> (&'m K, &'m V)>;

impl<'m, K, V> IntoIterator for &'m Map<K, V> {
    type Item = (&'m K, &'m V);
    type IntoIter = Entries<'m, K, V>;

    fn into_iter(self) -> Entries<'m, K, V> {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for Map<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(entries: I) -> Self {
        let mut map = Map::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::{sort_by, Map};
    use std::collections::BTreeMap;

    #[test]
    fn the_map_keeps_what_a_btree_map_keeps() {
        // Keys inserted out of order and twice: the same entries, in the
        // same order, and the same answers to lookups.
        let inserts = [(3, 'a'), (1, 'b'), (3, 'c'), (2, 'd'), (0, 'e'), (1, 'f')];
        let ours: Map<u8, char> = inserts.into_iter().collect();
        let std: BTreeMap<u8, char> = inserts.into_iter().collect();
        assert_eq!(
            ours.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
            std.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>(),
        );
        assert_eq!(ours.len(), std.len());
        for key in 0..5 {
            assert_eq!(ours.get(&key), std.get(&key), "key {key}");
        }
        let names: Map<String, u8> = [("b".to_owned(), 1), ("a".to_owned(), 2)]
            .into_iter()
            .collect();
        assert_eq!(names.get("a"), Some(&2));
        assert_eq!(names.get("c"), None);
        assert!(Map::<u8, u8>::new().is_empty());
    }

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
