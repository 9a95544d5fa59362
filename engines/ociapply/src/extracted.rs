//! The set of paths extracted from the layer being applied, which whiteouts must spare.
//!
//! Kept as a trie over real (symlink-resolved) path components so that a recursive deletion
//! can carry the node of the directory it is in and decide each child with one map lookup.

use std::collections::BTreeMap;

#[derive(Debug, Default)]
pub(crate) struct Node {
    /// This exact path was extracted from the current layer.
    pub marked: bool,
    /// Only nodes on the way to marked paths exist, so a non-empty map means "holds
    /// extracted paths".
    pub children: BTreeMap<Vec<u8>, Node>,
}

impl Node {
    pub fn mark(&mut self, dir: &[Vec<u8>], name: &[u8]) {
        let mut node = self;
        for c in dir {
            node = node.children.entry(c.clone()).or_default();
        }
        node.children.entry(name.to_vec()).or_default().marked = true;
    }

    pub fn get(&self, dir: &[Vec<u8>], name: &[u8]) -> Option<&Node> {
        let mut node = self;
        for c in dir {
            node = node.children.get(c)?;
        }
        node.children.get(name)
    }

    pub fn get_dir(&self, dir: &[Vec<u8>]) -> Option<&Node> {
        let mut node = self;
        for c in dir {
            node = node.children.get(c)?;
        }
        Some(node)
    }

    /// Holds extracted paths below itself.
    pub fn has_children(&self) -> bool {
        !self.children.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_ancestors() {
        let mut root = Node::default();
        root.mark(&[b"a".to_vec(), b"b".to_vec()], b"c");
        let a = root.get(&[], b"a").map(|n| (n.marked, n.has_children()));
        assert_eq!(a, Some((false, true)));
        let c = root.get(&[b"a".to_vec(), b"b".to_vec()], b"c");
        assert!(c.is_some_and(|n| n.marked && !n.has_children()));
        assert!(root.get(&[b"a".to_vec()], b"x").is_none());
    }
}
