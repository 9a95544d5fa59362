//! ext4 directory-index name hashes (legacy, half_md4, tea), signed and unsigned char variants.

/// Superblock hash settings that decide how directory names hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HashParams {
    /// `s_def_hash_version`: 0 legacy, 1 half_md4, 2 tea.
    pub version: u8,
    /// `s_flags` has EXT2_FLAGS_UNSIGNED_HASH (0x2) rather than SIGNED (0x1).
    pub unsigned: bool,
    /// `s_hash_seed`; all zero means the default seed.
    pub seed: [u32; 4],
}

/// Hash version values as stored in the superblock and the dx root.
pub const HASH_LEGACY: u8 = 0;
pub const HASH_HALF_MD4: u8 = 1;
pub const HASH_TEA: u8 = 2;

const DEFAULT_SEED: [u32; 4] = [0x6745_2301, 0xefcd_ab89, 0x98ba_dcfe, 0x1032_5476];
/// The largest 32-bit hash is reserved as the end-of-directory readdir cookie.
const EOF_HASH: u32 = 0x7fff_ffff << 1;

/// Returns (major hash with the low bit cleared, minor hash) of `name`.
///
/// Unknown hash versions fall back to legacy, like the kernel does.
pub fn dx_hash(name: &[u8], params: &HashParams) -> (u32, u32) {
    let mut buf = if params.seed.iter().any(|&w| w != 0) {
        params.seed
    } else {
        DEFAULT_SEED
    };
    let (major, minor) = match params.version {
        HASH_HALF_MD4 => {
            for start in (0..name.len()).step_by(32) {
                let input = str2hashbuf::<8>(&name[start..], params.unsigned);
                half_md4_transform(&mut buf, &input);
            }
            (buf[1], buf[2])
        }
        HASH_TEA => {
            for start in (0..name.len()).step_by(16) {
                let input = str2hashbuf::<4>(&name[start..], params.unsigned);
                tea_transform(&mut buf, &input);
            }
            (buf[0], buf[1])
        }
        _ => (legacy_hash(name, params.unsigned), 0),
    };
    let major = major & !1;
    let major = if major == EOF_HASH {
        (0x7fff_ffff - 1) << 1
    } else {
        major
    };
    (major, minor)
}

/// A name byte widened the way C's `char` would be on the hashing machine.
fn char_value(b: u8, unsigned: bool) -> u32 {
    if unsigned {
        u32::from(b)
    } else {
        i32::from(b as i8) as u32
    }
}

fn legacy_hash(name: &[u8], unsigned: bool) -> u32 {
    let (mut h0, mut h1) = (0x12a3_fe2d_u32, 0x37ab_e8f9_u32);
    for &b in name {
        let c = char_value(b, unsigned);
        let mut h = h1.wrapping_add(h0 ^ c.wrapping_mul(7_152_373));
        if h & 0x8000_0000 != 0 {
            h = h.wrapping_sub(0x7fff_ffff);
        }
        h1 = h0;
        h0 = h;
    }
    h0 << 1
}

/// Packs up to N*4 bytes of `rest` into N words, big-endian within a word, padding with a
/// word derived from the remaining length (the whole rest, not just this chunk).
fn str2hashbuf<const N: usize>(rest: &[u8], unsigned: bool) -> [u32; N] {
    let len = rest.len() as u32;
    let pad = {
        let p = len | (len << 8);
        p | (p << 16)
    };
    let mut out = [pad; N];
    let take = rest.len().min(N * 4);
    let mut val = pad;
    let mut idx = 0;
    for (i, &b) in rest[..take].iter().enumerate() {
        val = char_value(b, unsigned).wrapping_add(val << 8);
        if i % 4 == 3 {
            out[idx] = val;
            idx += 1;
            val = pad;
        }
    }
    if idx < N {
        out[idx] = val;
    }
    out
}

fn half_md4_transform(buf: &mut [u32; 4], x: &[u32; 8]) {
    const K2: u32 = 0x5a82_7999;
    const K3: u32 = 0x6ed9_eba1;
    let f = |x: u32, y: u32, z: u32| z ^ (x & (y ^ z));
    let g = |x: u32, y: u32, z: u32| (x & y).wrapping_add((x ^ y) & z);
    let h = |x: u32, y: u32, z: u32| x ^ y ^ z;
    let step = |fun: &dyn Fn(u32, u32, u32) -> u32, a: u32, b: u32, c: u32, d: u32, k: u32, s| {
        a.wrapping_add(fun(b, c, d)).wrapping_add(k).rotate_left(s)
    };
    let [mut a, mut b, mut c, mut d] = *buf;
    // Round 1: words in order, shifts 3 7 11 19.
    for i in [0, 4] {
        a = step(&f, a, b, c, d, x[i], 3);
        d = step(&f, d, a, b, c, x[i + 1], 7);
        c = step(&f, c, d, a, b, x[i + 2], 11);
        b = step(&f, b, c, d, a, x[i + 3], 19);
    }
    // Round 2: odd words then even words, shifts 3 5 9 13.
    for i in [1, 0] {
        a = step(&g, a, b, c, d, x[i].wrapping_add(K2), 3);
        d = step(&g, d, a, b, c, x[i + 2].wrapping_add(K2), 5);
        c = step(&g, c, d, a, b, x[i + 4].wrapping_add(K2), 9);
        b = step(&g, b, c, d, a, x[i + 6].wrapping_add(K2), 13);
    }
    // Round 3: words 3 7 2 6 then 1 5 0 4, shifts 3 9 11 15.
    for i in [3, 1] {
        a = step(&h, a, b, c, d, x[i].wrapping_add(K3), 3);
        d = step(&h, d, a, b, c, x[i + 4].wrapping_add(K3), 9);
        c = step(&h, c, d, a, b, x[i - 1].wrapping_add(K3), 11);
        b = step(&h, b, c, d, a, x[i + 3].wrapping_add(K3), 15);
    }
    buf[0] = buf[0].wrapping_add(a);
    buf[1] = buf[1].wrapping_add(b);
    buf[2] = buf[2].wrapping_add(c);
    buf[3] = buf[3].wrapping_add(d);
}

fn tea_transform(buf: &mut [u32; 4], x: &[u32; 4]) {
    const DELTA: u32 = 0x9e37_79b9;
    let (mut b0, mut b1) = (buf[0], buf[1]);
    let [a, b, c, d] = *x;
    let mut sum = 0u32;
    for _ in 0..16 {
        sum = sum.wrapping_add(DELTA);
        b0 = b0.wrapping_add(
            ((b1 << 4).wrapping_add(a)) ^ b1.wrapping_add(sum) ^ ((b1 >> 5).wrapping_add(b)),
        );
        b1 = b1.wrapping_add(
            ((b0 << 4).wrapping_add(c)) ^ b0.wrapping_add(sum) ^ ((b0 >> 5).wrapping_add(d)),
        );
    }
    buf[0] = buf[0].wrapping_add(b0);
    buf[1] = buf[1].wrapping_add(b1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    const DEBUGFS: &str = "/usr/sbin/debugfs";

    /// Deterministic pseudo-random generator so the name set is reproducible.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u32 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) as u32
        }
    }

    /// Names debugfs' command parser passes through unchanged: no whitespace, quotes or NUL.
    fn test_names() -> Vec<Vec<u8>> {
        let mut rng = Lcg(0x1234_5678);
        let mut names: Vec<Vec<u8>> = vec![
            b"a".to_vec(),
            b"hello".to_vec(),
            b"lost+found".to_vec(),
            vec![0xe9],
            vec![0xff; 255],
            b"0123456789abcdef".to_vec(),
            b"0123456789abcdef0123456789abcdef".to_vec(),
        ];
        for i in 0..150 {
            let len = match i % 5 {
                0 => 1 + rng.next() as usize % 8,
                1 => 13 + rng.next() as usize % 8,
                2 => 30 + rng.next() as usize % 6,
                3 => 60 + rng.next() as usize % 40,
                _ => 1 + rng.next() as usize % 255,
            };
            let name = (0..len)
                .map(|_| {
                    loop {
                        let b = (rng.next() & 0xff) as u8;
                        let safe = b > b' ' && !matches!(b, b'"' | b'\'' | b'\\' | b'#' | 0x7f);
                        // Half the names are plain ASCII, half include high bytes.
                        if safe && (i % 2 == 0 || b < 0x80) {
                            break b;
                        }
                    }
                })
                .collect();
            names.push(name);
        }
        names
    }

    fn seed_uuid(seed: &[u32; 4]) -> String {
        let b: Vec<u8> = seed.iter().flat_map(|w| w.to_le_bytes()).collect();
        let h =
            |r: std::ops::Range<usize>| b[r].iter().map(|x| format!("{x:02x}")).collect::<String>();
        format!(
            "{}-{}-{}-{}-{}",
            h(0..4),
            h(4..6),
            h(6..8),
            h(8..10),
            h(10..16)
        )
    }

    fn parse_hex(s: &str) -> u32 {
        let s = s.trim_start_matches("0x");
        u32::from_str_radix(s, 16).unwrap_or_else(|e| panic!("bad hex {s:?}: {e}"))
    }

    #[test]
    fn matches_debugfs_dx_hash() {
        if !Path::new(DEBUGFS).exists() {
            eprintln!("note: {DEBUGFS} missing, skipping the debugfs comparison");
            return;
        }
        let names = test_names();
        let seeds = [
            [0u32; 4],
            [0x23ec_f343, 0x4b6f_a9fd, 0x74d2_76b9, 0x5d13_19d1],
        ];
        let dir = std::env::temp_dir().join(format!("htree-dxhash-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut cmds = Vec::new();
        let mut expected = Vec::new();
        for version in 0..3u8 {
            for unsigned in [false, true] {
                for seed in &seeds {
                    let params = HashParams {
                        version,
                        unsigned,
                        seed: *seed,
                    };
                    // debugfs numbers the unsigned variants 3, 4, 5.
                    let alg = version + if unsigned { 3 } else { 0 };
                    for name in &names {
                        cmds.extend_from_slice(
                            format!("dx_hash -h {alg} -s {} ", seed_uuid(seed)).as_bytes(),
                        );
                        cmds.extend_from_slice(name);
                        cmds.push(b'\n');
                        expected.push(dx_hash(name, &params));
                    }
                }
            }
        }
        let cmd_file = dir.join("cmds");
        std::fs::write(&cmd_file, &cmds).unwrap();
        let out = Command::new(DEBUGFS)
            .arg("-f")
            .arg(&cmd_file)
            .output()
            .unwrap();
        std::fs::remove_dir_all(&dir).ok();
        let text = String::from_utf8_lossy(&out.stdout);
        let got: Vec<(u32, u32)> = text
            .lines()
            .filter(|l| l.starts_with("Hash of "))
            .map(|l| {
                let tail = &l[l.rfind(" is ").unwrap() + 4..];
                let mut parts = tail.split_whitespace();
                let major = parse_hex(parts.next().unwrap());
                let minor = parse_hex(parts.nth(1).unwrap().trim_end_matches(')'));
                (major, minor)
            })
            .collect();
        assert_eq!(got.len(), expected.len(), "debugfs output: {text}");
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "hash mismatch for command {i}");
        }
    }

    #[test]
    fn signedness_matters_only_for_high_bytes() {
        for version in 0..3 {
            let s = HashParams {
                version,
                unsigned: false,
                seed: [0; 4],
            };
            let u = HashParams {
                version,
                unsigned: true,
                ..s
            };
            assert_eq!(dx_hash(b"plain-ascii", &s), dx_hash(b"plain-ascii", &u));
            assert_ne!(dx_hash(b"caf\xc3\xa9", &s), dx_hash(b"caf\xc3\xa9", &u));
        }
    }

    #[test]
    fn major_low_bit_is_clear_and_seed_is_used() {
        let zero = HashParams {
            version: HASH_HALF_MD4,
            unsigned: false,
            seed: [0; 4],
        };
        let seeded = HashParams {
            seed: [1, 2, 3, 4],
            ..zero
        };
        for n in 0..200u32 {
            let name = format!("file{n}");
            assert_eq!(dx_hash(name.as_bytes(), &zero).0 & 1, 0);
            assert_ne!(
                dx_hash(name.as_bytes(), &zero),
                dx_hash(name.as_bytes(), &seeded)
            );
        }
        // Legacy ignores the seed and has no minor hash.
        let legacy = HashParams {
            version: HASH_LEGACY,
            ..seeded
        };
        assert_eq!(
            dx_hash(b"x", &legacy),
            dx_hash(b"x", &HashParams::default())
        );
        assert_eq!(dx_hash(b"x", &legacy).1, 0);
    }
}
