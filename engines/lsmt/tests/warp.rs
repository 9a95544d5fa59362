//! §4.4 warp example and warp reads.

use blockio::ReadAt;
use lsmt::{LsmtFile, Record, Stack, WarpCreateOptions, WarpFile, WarpLayer};

fn tagged(o: u64, l: u32, m: u64, tag: u8) -> Record {
    Record {
        tag,
        ..Record::data(o, l, m)
    }
}

#[test]
fn warp_commit_example() {
    let opts = WarpCreateOptions {
        virtual_size: 1 << 30,
        tag_base: 2,
        ..Default::default()
    };
    let mut w = WarpLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
    w.write(0, &[0x11; 4096]).unwrap();
    w.write(1 << 20, &[0x22; 8192]).unwrap();
    w.add_remote(4096 * 512, 40 * 512, 1536).unwrap();
    w.add_remote(4136 * 512, 8 * 512, 22016).unwrap();
    let (_, index_log) = {
        let mut out = Vec::new();
        let s = w.commit(&mut out, None, None).unwrap();
        assert_eq!(out.len(), 20_528);
        assert_eq!((s.index_offset, s.index_size, s.records), (16384, 3, 3));
        let recs: Vec<Record> = out[16384..16384 + 48]
            .chunks(16)
            .map(|c| Record::decode(c.try_into().unwrap()))
            .collect();
        assert_eq!(
            recs,
            vec![
                tagged(0, 8, 8, 0),
                tagged(2048, 16, 16, 0),
                tagged(4096, 48, 3, 1)
            ]
        );
        assert_eq!(&out[56..93], b"00000000-0000-0000-0000-000000000000\0");
        assert_eq!(out[28], 7);
        assert_eq!(out[out.len() - 4096 + 28], 6);

        // Reading back: meta from the warp file, remote from the target tar.
        let tar: Vec<u8> = (0..22016 + 4096 - 100).map(|i| (i % 253) as u8).collect();
        let wf = WarpFile::open(out.clone(), tar.clone()).unwrap();
        assert_eq!(wf.records()[2].tag, 1);
        let stack = Stack::new(vec![Box::new(wf)]).unwrap();
        let mut b = vec![0u8; 48 * 512];
        stack.read_exact_at(4096 * 512, &mut b).unwrap();
        let avail = tar.len() - 1536;
        assert_eq!(&b[..avail], &tar[1536..]);
        assert!(
            b[avail..].iter().all(|&x| x == 0),
            "short target read is zero-filled"
        );
        let mut m = vec![0u8; 8192];
        stack.read_exact_at(1 << 20, &mut m).unwrap();
        assert!(m.iter().all(|&x| x == 0x22));
        (out, w.into_parts().1)
    };
    // The RW index stores tags offset by the number of lower layers.
    let first = Record::decode(index_log[4096..4112].try_into().unwrap());
    assert_eq!(first.tag, 2);
    let remote = Record::decode(index_log[4096 + 32..4096 + 48].try_into().unwrap());
    assert_eq!(remote.tag, 3);
    // Reopening the RW pair normalises the stored tags back to 0/1.
    let reopened = WarpLayer::open(vec![0u8; 0], index_log).unwrap();
    assert_eq!(reopened.mappings()[2], tagged(4096, 40, 3, 1));
}

#[test]
fn normal_reader_checks_what_warp_reader_does_not() {
    let mut w = WarpLayer::create(Vec::new(), Vec::new(), &WarpCreateOptions::default()).unwrap();
    w.add_remote(0, 1 << 20, 1 << 30).unwrap();
    let mut out = Vec::new();
    w.commit(&mut out, None, None).unwrap();
    assert!(matches!(
        LsmtFile::open(&out[..]),
        Err(lsmt::Error::MoffsetOutOfRange { .. })
    ));
    assert!(WarpFile::open(&out[..], &[][..]).is_ok());
}

#[test]
fn absurd_remote_moffset_reads_zeros() {
    let opts = WarpCreateOptions {
        virtual_size: 1 << 20,
        ..Default::default()
    };
    let mut w = WarpLayer::create(Vec::new(), Vec::new(), &opts).unwrap();
    w.add_remote(0, 4096, 0).unwrap();
    let mut out = Vec::new();
    w.commit(&mut out, None, None).unwrap();
    // Point the remote record at the largest moffset the format can hold.
    let at = out.len() - 4096 - 16;
    let mut r = Record::decode(out[at..at + 16].try_into().unwrap());
    r.moffset = lsmt::MAX_MOFFSET;
    out[at..at + 16].copy_from_slice(&r.encode());
    let mut target = vec![0u8; 0];
    target.extend_from_slice(&[9; 4096]);
    let stack = Stack::new(vec![Box::new(WarpFile::open(out, target).unwrap())]).unwrap();
    let mut b = vec![1u8; 4096];
    stack.read_exact_at(0, &mut b).unwrap();
    assert!(
        b.iter().all(|&x| x == 0),
        "unreachable target bytes read as zeros"
    );
    let ext = stack.mapped_extents();
    assert_eq!(ext[0].record.moffset, lsmt::MAX_MOFFSET);
}
