//! Random write/discard patterns against a plain in-memory model of the device.

use blockio::{ReadAt, WriteAt};
use lsmt::{CommitOptions, CreateOptions, LayeredDevice, LsmtFile, RwLayer, Stack, commit};
use proptest::prelude::*;

const VSIZE: u64 = 256 << 10;
const SECTORS: u64 = VSIZE / 512;

#[derive(Debug, Clone)]
enum Op {
    Write { sector: u64, len: u64, fill: u8 },
    Discard { sector: u64, len: u64 },
}

fn op() -> impl Strategy<Value = Op> {
    let range = (0..SECTORS).prop_flat_map(|s| (Just(s), 1..=(SECTORS - s).min(72)));
    prop_oneof![
        4 => (range.clone(), any::<u8>()).prop_map(|((sector, len), fill)| Op::Write { sector, len, fill }),
        1 => range.prop_map(|(sector, len)| Op::Discard { sector, len }),
    ]
}

/// Distinct bytes per sector so misplaced data is caught.
fn payload(sector: u64, len: u64, fill: u8) -> Vec<u8> {
    let mut v = vec![0u8; (len * 512) as usize];
    for (i, s) in v.chunks_mut(512).enumerate() {
        s.fill(fill ^ (sector + i as u64) as u8);
        s[0] = fill;
    }
    v
}

/// What one RW layer holds: per-sector override state (append mode) or per-block (sparse).
struct Model {
    sparse: bool,
    bytes: Vec<u8>,
    /// Append: sector masks what is below. Sparse: whole 4 KiB block does.
    mapped: Vec<bool>,
}

impl Model {
    fn new(sparse: bool) -> Self {
        Model {
            sparse,
            bytes: vec![0; VSIZE as usize],
            mapped: vec![false; SECTORS as usize],
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Write { sector, len, fill } => {
                let at = (sector * 512) as usize;
                self.bytes[at..at + (len * 512) as usize]
                    .copy_from_slice(&payload(sector, len, fill));
                let (s, e) = if self.sparse {
                    (sector / 8 * 8, (sector + len).div_ceil(8) * 8)
                } else {
                    (sector, sector + len)
                };
                self.mapped[s as usize..e.min(SECTORS) as usize].fill(true);
            }
            Op::Discard { sector, len } => {
                let at = (sector * 512) as usize;
                self.bytes[at..at + (len * 512) as usize].fill(0);
                if self.sparse {
                    let (s, e) = (sector.div_ceil(8) * 8, (sector + len) / 8 * 8);
                    if s < e {
                        self.mapped[s as usize..e as usize].fill(false);
                    }
                } else {
                    self.mapped[sector as usize..(sector + len) as usize].fill(true);
                }
            }
        }
    }

    /// This layer over `lower`.
    fn over(&self, lower: &[u8]) -> Vec<u8> {
        let mut out = lower.to_vec();
        for (i, m) in self.mapped.iter().enumerate() {
            if *m {
                let r = i * 512..(i + 1) * 512;
                out[r.clone()].copy_from_slice(&self.bytes[r]);
            }
        }
        out
    }
}

fn committed(layer: &RwLayer<Vec<u8>, Vec<u8>>) -> LsmtFile<Vec<u8>> {
    let mut out = Vec::new();
    let s = commit(layer, &mut out, &CommitOptions::default()).unwrap();
    assert_eq!(s.output_len, out.len() as u64);
    LsmtFile::open(out).unwrap()
}

fn check(lower_ops: &[Op], upper_ops: &[Op], sparse: bool, reads: &[(u64, u64)]) {
    // Lower: one committed append-mode layer.
    let create = |sparse| CreateOptions {
        virtual_size: VSIZE,
        sparse,
        ..Default::default()
    };
    let mut lower = RwLayer::create(Vec::new(), Vec::new(), &create(false)).unwrap();
    let mut lower_model = Model::new(false);
    for op in lower_ops {
        match *op {
            Op::Write { sector, len, fill } => lower
                .write(sector * 512, &payload(sector, len, fill))
                .unwrap(),
            Op::Discard { sector, len } => lower.discard(sector * 512, len * 512).unwrap(),
        }
        lower_model.apply(op);
    }
    let lower_dev = lower_model.over(&vec![0; VSIZE as usize]);
    let lower_stack = Stack::new(vec![Box::new(committed(&lower))]).unwrap();

    // Upper: created with vsize 0, takes the lower's when stacked.
    let upper = RwLayer::create(Vec::new(), Vec::new(), &create(sparse)).unwrap();
    let mut dev = LayeredDevice::new(lower_stack, upper).unwrap();
    assert_eq!(dev.size(), VSIZE);
    let mut model = Model::new(sparse);
    for op in upper_ops {
        match *op {
            Op::Write { sector, len, fill } => dev
                .write_at(sector * 512, &payload(sector, len, fill))
                .unwrap(),
            Op::Discard { sector, len } => {
                dev.upper_mut().discard(sector * 512, len * 512).unwrap()
            }
        }
        model.apply(op);
    }
    let want = model.over(&lower_dev);

    let mut got = vec![0u8; VSIZE as usize];
    dev.read_exact_at(0, &mut got).unwrap();
    assert!(got == want, "layered device differs from the model");
    for &(off, len) in reads {
        let len = len.min(VSIZE - off);
        let mut b = vec![0u8; len as usize];
        dev.read_exact_at(off, &mut b).unwrap();
        assert_eq!(&b[..], &want[off as usize..(off + len) as usize]);
    }

    // Commit the upper, stack both committed layers, read again.
    let (_, upper) = dev.into_parts();
    let stack = Stack::new(vec![
        Box::new(committed(&lower)),
        Box::new(committed(&upper)),
    ])
    .unwrap();
    assert_eq!(stack.virtual_size(), VSIZE);
    let mut got = vec![0u8; VSIZE as usize];
    stack.read_exact_at(0, &mut got).unwrap();
    assert!(got == want, "committed stack differs from the model");
    for &(off, len) in reads {
        let len = len.min(VSIZE - off);
        let mut b = vec![0u8; len as usize];
        stack.read_exact_at(off, &mut b).unwrap();
        assert_eq!(&b[..], &want[off as usize..(off + len) as usize]);
    }
    // Mapped extents cover exactly the sectors some layer maps, in order, without overlap.
    let extents = stack.mapped_extents();
    let mapped: u64 = extents.iter().map(|e| u64::from(e.record.length)).sum();
    let union = (0..SECTORS as usize)
        .filter(|&i| lower_model.mapped[i] || model.mapped[i])
        .count() as u64;
    assert_eq!(mapped, union);
    assert!(
        extents
            .windows(2)
            .all(|w| w[0].record.end() <= w[1].record.offset)
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn append_upper_matches_model(
        lower in prop::collection::vec(op(), 0..12),
        upper in prop::collection::vec(op(), 0..24),
        reads in prop::collection::vec((0..VSIZE, 1..20_000u64), 0..4),
    ) {
        check(&lower, &upper, false, &reads);
    }

    #[test]
    fn sparse_upper_matches_model(
        lower in prop::collection::vec(op(), 0..12),
        upper in prop::collection::vec(op(), 0..24),
        reads in prop::collection::vec((0..VSIZE, 1..20_000u64), 0..4),
    ) {
        check(&lower, &upper, true, &reads);
    }
}

/// Bulk I/O stays cheap: a 32 MiB sequential write and 8192 block writes/reads in both modes.
#[test]
fn bulk_and_block_io() {
    for sparse in [false, true] {
        let opts = CreateOptions {
            virtual_size: 1 << 30,
            sparse,
            ..Default::default()
        };
        let upper = RwLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
        let mut dev = LayeredDevice::new(Vec::<u8>::new(), upper).unwrap();
        let big = vec![0xAB; 32 << 20];
        dev.write_at(64 << 20, &big).unwrap();
        let mut back = vec![0u8; big.len()];
        dev.read_exact_at(64 << 20, &mut back).unwrap();
        assert!(back == big);
        let block = [0xCD; 4096];
        for k in 0..8192u64 {
            dev.write_at((k * 7919 % 65536) * 4096, &block).unwrap();
        }
        let mut b = [0u8; 4096];
        for k in 0..8192u64 {
            dev.read_exact_at((k * 7919 % 65536) * 4096, &mut b)
                .unwrap();
            assert_eq!(b, block);
        }
        let maps = dev.upper().mappings();
        // Sequential data needs few records (4 MiB pieces or 16383-sector chunks); each block
        // write adds at most one record and may split one.
        assert!(maps.len() <= 2 * 8192 + 16, "{} records", maps.len());
        assert!(maps.windows(2).all(|w| w[0].end() <= w[1].offset));
    }
}
