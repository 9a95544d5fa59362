//! `max_instances` bounds the engine calls running at once across threads.

mod common;

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{layer_info, params, sha256, test_engine};
use engine_runtime::{LayerIo, NoLowers, Runtime, RuntimeConfig};

#[test]
fn calls_beyond_max_instances_wait_for_a_slot() {
    let runtime = Runtime::new(RuntimeConfig {
        max_instances: 2,
        ..RuntimeConfig::default()
    })
    .unwrap();
    // The legacy engine logs once it has copied its layer, while its instance still runs.
    let engine = Arc::new(runtime.load(test_engine("legacy")).unwrap());
    let most = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..6)
        .map(|_| {
            let (engine, runtime, most) = (engine.clone(), runtime.clone(), most.clone());
            std::thread::spawn(move || {
                let source = vec![7u8; 8 << 20];
                let work = tempfile::tempdir().unwrap();
                let io = LayerIo {
                    work_dir: work.path().into(),
                    log: Some(Arc::new(move |_, _: &str| {
                        most.fetch_max(runtime.running_instances(), Ordering::SeqCst);
                    })),
                    ..LayerIo::default()
                };
                engine
                    .convert_layer(
                        &params(&[]),
                        Cursor::new(source.clone()),
                        layer_info(
                            "application/vnd.oci.image.layer.v1.tar",
                            &source,
                            sha256(&source),
                        ),
                        NoLowers,
                        &io,
                    )
                    .unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let most = most.load(Ordering::SeqCst);
    assert!((1..=2).contains(&most), "{most} engine calls ran at once");
    assert_eq!(runtime.running_instances(), 0, "every slot is given back");
}
