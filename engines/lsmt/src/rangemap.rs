//! Ordered, non-overlapping sector range maps: the in-memory "Index0" where a later insert
//! overrides the overlapped parts of earlier ones, and a coalescing range set.

use std::collections::BTreeMap;

/// A value attached to a range that knows how to follow a front trim.
pub(crate) trait Advance: Clone {
    /// The range now starts `by` sectors later.
    fn advance(&mut self, by: u64);
}

impl Advance for () {
    fn advance(&mut self, _: u64) {}
}

/// `start -> (end, value)`, ranges disjoint.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeMap<V> {
    map: BTreeMap<u64, (u64, V)>,
}

impl<V: Advance> RangeMap<V> {
    pub fn new() -> Self {
        RangeMap {
            map: BTreeMap::new(),
        }
    }

    /// Unmaps `[start, end)`, trimming or splitting the ranges it cuts.
    pub fn remove(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let before = self
            .map
            .range(..start)
            .next_back()
            .map(|(&k, (e, v))| (k, *e, v.clone()));
        if let Some((k, e, v)) = before
            && e > start
        {
            if e > end {
                let mut tail = v.clone();
                tail.advance(end - k);
                self.map.insert(end, (e, tail));
            }
            self.map.insert(k, (start, v));
        }
        while let Some((&k, &(e, _))) = self.map.range(start..end).next() {
            let Some((_, mut v)) = self.map.remove(&k) else {
                break;
            };
            if e > end {
                v.advance(end - k);
                self.map.insert(end, (e, v));
            }
        }
    }

    /// Maps `[start, end)` to `v`, overriding whatever was there.
    pub fn insert(&mut self, start: u64, end: u64, v: V) {
        if start >= end {
            return;
        }
        self.remove(start, end);
        self.map.insert(start, (end, v));
    }

    /// Ranges intersecting `[start, end)`, untrimmed, in order.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, u64, &V)> {
        let first = self
            .map
            .range(..start)
            .next_back()
            .filter(|(_, (e, _))| *e > start);
        first
            .into_iter()
            .chain(self.map.range(start..end.max(start)))
            .map(|(&k, (e, v))| (k, *e, v))
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, u64, &V)> {
        self.map.iter().map(|(&k, (e, v))| (k, *e, v))
    }
}

/// Disjoint, coalesced ranges: adjacent inserts merge into one run.
#[derive(Debug, Clone, Default)]
pub(crate) struct RangeSet {
    map: BTreeMap<u64, u64>,
}

impl RangeSet {
    pub fn new() -> Self {
        RangeSet {
            map: BTreeMap::new(),
        }
    }

    pub fn insert(&mut self, mut start: u64, mut end: u64) {
        if start >= end {
            return;
        }
        if let Some((&k, &e)) = self.map.range(..=start).next_back()
            && e >= start
        {
            start = k;
            end = end.max(e);
        }
        while let Some((&k, &e)) = self.map.range(start..=end).next() {
            self.map.remove(&k);
            end = end.max(e);
        }
        self.map.insert(start, end);
    }

    pub fn remove(&mut self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        if let Some((&k, &e)) = self.map.range(..start).next_back()
            && e > start
        {
            self.map.insert(k, start);
            if e > end {
                self.map.insert(end, e);
            }
        }
        while let Some((&k, &e)) = self.map.range(start..end).next() {
            self.map.remove(&k);
            if e > end {
                self.map.insert(end, e);
            }
        }
    }

    /// Runs intersecting `[start, end)`, clipped to it.
    pub fn overlapping(&self, start: u64, end: u64) -> impl Iterator<Item = (u64, u64)> {
        let first = self
            .map
            .range(..start)
            .next_back()
            .filter(|(_, e)| **e > start);
        first
            .into_iter()
            .chain(self.map.range(start..end.max(start)))
            .map(move |(&k, &e)| (k.max(start), e.min(end)))
    }

    pub fn iter(&self) -> impl Iterator<Item = (u64, u64)> {
        self.map.iter().map(|(&k, &e)| (k, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, PartialEq)]
    struct M(u64);
    impl Advance for M {
        fn advance(&mut self, by: u64) {
            self.0 += by;
        }
    }

    fn dump(m: &RangeMap<M>) -> Vec<(u64, u64, u64)> {
        m.iter().map(|(s, e, v)| (s, e, v.0)).collect()
    }

    #[test]
    fn later_insert_splits_earlier() {
        let mut m = RangeMap::new();
        m.insert(2048, 4096, M(16));
        m.insert(2056, 2057, M(2064));
        assert_eq!(
            dump(&m),
            vec![(2048, 2056, 16), (2056, 2057, 2064), (2057, 4096, 25)]
        );
        m.insert(2000, 2060, M(0));
        assert_eq!(dump(&m), vec![(2000, 2060, 0), (2060, 4096, 28)]);
        let o: Vec<_> = m.overlapping(2059, 2061).map(|(s, _, _)| s).collect();
        assert_eq!(o, vec![2000, 2060]);
    }

    #[test]
    fn set_coalesces_and_splits() {
        let mut s = RangeSet::new();
        s.insert(0, 8);
        s.insert(16, 24);
        s.insert(8, 16);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![(0, 24)]);
        s.remove(8, 16);
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![(0, 8), (16, 24)]);
        assert_eq!(
            s.overlapping(4, 20).collect::<Vec<_>>(),
            vec![(4, 8), (16, 20)]
        );
    }
}
