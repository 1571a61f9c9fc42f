//! The progress line on stderr while signatures are verified (only on a terminal, and only
//! when asked for): `verifying signatures: done/total`, erased when the work ends.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

/// Runs `f`, showing `done` out of `total` every 200 ms meanwhile when `enabled` and stderr is
/// a terminal.
pub(super) fn with_progress<T>(
    enabled: bool,
    total: usize,
    done: &AtomicUsize,
    f: impl FnOnce() -> T + Send,
) -> T
where
    T: Send,
{
    if !enabled || !std::io::stderr().is_terminal() || total == 0 {
        return f();
    }
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                eprint!(
                    "\rverifying signatures: {}/{total}",
                    done.load(Ordering::Relaxed)
                );
                std::thread::sleep(Duration::from_millis(200));
            }
            eprint!("\r\x1b[2K");
        });
        let out = f();
        stop.store(true, Ordering::Relaxed);
        out
    })
}
