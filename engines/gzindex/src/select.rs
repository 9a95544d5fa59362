//! Upstream's checkpoint selection rule (spec §4.2), over candidate uncompressed offsets only.

/// What to do with the candidate just offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Emit it now.
    Emit,
    /// Hold it (replacing any held one); it is emitted only if a later candidate overshoots.
    Hold,
}

/// The verdict for one candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Decision {
    /// Emit the previously held candidate first.
    pub emit_held: bool,
    pub current: Fate,
}

/// Tracks the next expected offset E and whether a candidate R is held.
#[derive(Debug, Clone)]
pub(crate) struct Selector {
    span: u64,
    expected: u64,
    holding: bool,
}

impl Selector {
    pub fn new(span: u32) -> Self {
        Selector {
            span: span.into(),
            expected: 0,
            holding: false,
        }
    }

    /// Offers the next candidate (offsets arrive in non-decreasing order).
    pub fn offer(&mut self, de_pos: u64) -> Decision {
        if de_pos < self.expected {
            self.holding = true;
            return Decision {
                emit_held: false,
                current: Fate::Hold,
            };
        }
        let mut emit_held = false;
        if de_pos > self.expected {
            emit_held = self.holding;
            self.holding = true;
            while self.expected < de_pos {
                self.expected = self.expected.saturating_add(self.span);
            }
        }
        if de_pos == self.expected {
            self.holding = false;
            self.expected = self.expected.saturating_add(self.span);
            return Decision {
                emit_held,
                current: Fate::Emit,
            };
        }
        Decision {
            emit_held,
            current: Fate::Hold,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the rule over candidate offsets and returns the emitted ones.
    fn run(span: u32, candidates: &[u64]) -> Vec<u64> {
        let mut s = Selector::new(span);
        let mut held = None;
        let mut out = Vec::new();
        for &c in candidates {
            let d = s.offer(c);
            if d.emit_held {
                out.push(held.take().unwrap());
            }
            match d.current {
                Fate::Emit => {
                    held = None;
                    out.push(c);
                }
                Fate::Hold => held = Some(c),
            }
        }
        out
    }

    #[test]
    fn last_boundary_before_each_multiple() {
        // span 10: 0 emitted; 7 held; 12 overshoots -> 7 emitted, 12 held (E=20);
        // 19 held; 25 overshoots -> 19 emitted, 25 held (E=30); 30 hits E exactly.
        assert_eq!(run(10, &[0, 7, 12, 19, 25, 30, 33]), vec![0, 7, 19, 30]);
    }

    #[test]
    fn overshoot_by_several_spans_and_unemitted_tail() {
        // 0 emitted (E=10); 5 held; 45 overshoots: 5 emitted, E jumps to 50, 45 held;
        // 48 held; the held 48 at the end is dropped.
        assert_eq!(run(10, &[0, 5, 45, 48]), vec![0, 5]);
        // Overshoot with nothing held: the header candidate was already emitted.
        assert_eq!(run(10, &[0, 25, 30]), vec![0, 30]);
        // Duplicates at 0 (empty first block) are held and emitted on overshoot.
        assert_eq!(run(10, &[0, 0, 12]), vec![0, 0]);
    }
}
