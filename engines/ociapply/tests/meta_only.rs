//! Meta-only (TurboOCI) mode: file data is allocated and mapped to the tar, and reading the
//! files back through the mappings gives their content.

mod common;
use common::*;
use ociapply::RemoteMapping;
use ociapply::memfs::{BlockState, MemFs};

fn pseudo(n: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            (x >> 24) as u8
        })
        .collect()
}

/// The file as a reader of the meta image would see it: written blocks from the fs,
/// allocated blocks through the remote mappings into the raw tar.
fn read_back(fs: &MemFs, path: &str, tar: &[u8], maps: &[RemoteMapping]) -> Vec<u8> {
    let ino = fs.lookup_path(path.as_bytes()).unwrap();
    let mut data = fs.read_file(ino).unwrap();
    for (idx, dev, state) in fs.block_map(ino).unwrap() {
        if state != BlockState::Allocated {
            continue;
        }
        for i in 0..4096u64 {
            let pos = (idx * 4096 + i) as usize;
            if pos >= data.len() {
                break;
            }
            let d = dev + i;
            let m = maps
                .iter()
                .find(|m| m.device_offset <= d && d < m.device_offset + m.len)
                .unwrap_or_else(|| panic!("{path}: byte {pos} (device {d}) is not mapped"));
            data[pos] = tar[(m.tar_offset + d - m.device_offset) as usize];
        }
    }
    data
}

#[test]
fn plain_files_are_mapped_not_written() {
    let sizes = [0usize, 1, 4095, 4096, 4097, (1 << 20) + 7, 3 * 4096];
    let members: Vec<T> = sizes
        .iter()
        .enumerate()
        .map(|(i, &n)| file(format!("f{i}"), pseudo(n, i as u32)))
        .collect();
    let tar = tar(&members);
    let mut fs = MemFs::with_fragmentation(3);
    let r = apply_opts(&mut fs, &tar, true).unwrap();
    assert_eq!(r.bytes_written, 0);
    for (i, &n) in sizes.iter().enumerate() {
        let p = format!("/f{i}");
        assert_eq!(
            read_back(&fs, &p, &tar, &r.remote),
            pseudo(n, i as u32),
            "{p}"
        );
        assert_eq!(at(&fs.snapshot(), &p).size, n as u64);
    }
    assert!(
        r.remote
            .iter()
            .all(|m| m.len % 512 == 0 && m.tar_offset % 512 == 0)
    );
    let mapped: u64 = r.remote.iter().map(|m| m.len).sum();
    let want: u64 = sizes
        .iter()
        .map(|&n| (n as u64).next_multiple_of(512))
        .sum();
    assert_eq!(
        mapped, want,
        "each file maps its size rounded up to 512, no more"
    );
    assert!(
        r.remote.len() > sizes.len(),
        "fragmented allocations give several ranges"
    );
}

#[test]
fn sparse_segments_map_when_aligned_and_fall_back_otherwise() {
    let size = (13 << 20) + 9192;
    let regions = [
        (0, 4096),
        (8 << 20, 8192),
        ((12 << 20) + 100, 512),
        (13 << 20, 5120),
        ((13 << 20) + 8192, 1000),
    ];
    let mut c = vec![0u8; size];
    for (k, &(o, l)) in regions.iter().enumerate() {
        c[o as usize..(o + l) as usize].copy_from_slice(&pseudo(l as usize, 100 + k as u32));
    }
    let unaligned_tar = {
        let mut c2 = vec![0u8; 8192];
        c2[..100].copy_from_slice(&pseudo(100, 7));
        c2[4096..].copy_from_slice(&pseudo(4096, 8));
        c2
    };
    let tar = tar(&[
        sparse("sp", c.clone(), &regions),
        sparse("odd", unaligned_tar.clone(), &[(0, 100), (4096, 4096)]),
    ]);
    let mut fs = MemFs::new();
    let r = apply_opts(&mut fs, &tar, true).unwrap();
    assert_eq!(read_back(&fs, "/sp", &tar, &r.remote), c);
    assert_eq!(read_back(&fs, "/odd", &tar, &r.remote), unaligned_tar);
    // Mid-file segments that end inside a block, and unaligned ones, are written.
    assert_eq!(r.bytes_written, 512 + 5120 + 100 + 4096);
    let mapped: u64 = r.remote.iter().map(|m| m.len).sum();
    assert_eq!(mapped, 4096 + 8192 + 1024);
    let ino = fs.lookup_path(b"sp").unwrap();
    let holes_stay = fs
        .block_map(ino)
        .unwrap()
        .iter()
        .all(|b| b.0 < 2 || b.0 >= 2048);
    assert!(holes_stay);
}

#[test]
fn same_input_same_mappings() {
    let tar = tar(&[
        dir("d"),
        file("d/a", pseudo(10_000, 1)),
        file("d/b", pseudo(5, 2)),
    ]);
    let run = || {
        let mut fs = MemFs::with_fragmentation(2);
        (apply_opts(&mut fs, &tar, true).unwrap(), fs.snapshot())
    };
    assert_eq!(run(), run());
}
