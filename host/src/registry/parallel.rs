//! Bounded parallelism for blob transfers: a few scoped threads pull items off a shared
//! counter; the first error stops the others from starting new items.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `f` on every item with at most `jobs` threads; returns the first error.
pub fn for_each<T: Sync, E: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> Result<(), E> + Sync,
) -> Result<(), E> {
    let next = AtomicUsize::new(0);
    let failed: Mutex<Option<E>> = Mutex::new(None);
    let stop = || failed.lock().map(|g| g.is_some()).unwrap_or(true);
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                while !stop() {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    if let Err(e) = f(item)
                        && let Ok(mut g) = failed.lock()
                    {
                        g.get_or_insert(e);
                    }
                }
            });
        }
    });
    match failed.into_inner() {
        Ok(Some(e)) => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn visits_every_item_and_reports_an_error() {
        let seen = std::sync::Mutex::new(Vec::new());
        super::for_each(&[1, 2, 3, 4, 5], 3, |i| {
            seen.lock().unwrap().push(*i);
            Ok::<(), ()>(())
        })
        .unwrap();
        let mut v = seen.into_inner().unwrap();
        v.sort();
        assert_eq!(v, [1, 2, 3, 4, 5]);
        let r = super::for_each(&[1, 2, 3], 2, |i| if *i == 2 { Err(*i) } else { Ok(()) });
        assert_eq!(r, Err(2));
    }
}
