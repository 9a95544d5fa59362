//! The CLI's view of a run: on a terminal a bar per layer in progress (source bytes read,
//! rate), and one plain line per converted layer on stdout either way.

use crate::pipeline::Events;
use engine_runtime::ProgressFn;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

pub struct Terminal {
    /// None when stderr is not a terminal: no bars, lines only.
    bars: Option<MultiProgress>,
    active: Mutex<HashMap<String, ProgressBar>>,
}

impl Terminal {
    /// Bars when stderr is a terminal; plain lines otherwise.
    pub fn new() -> Self {
        let bars = std::io::stderr()
            .is_terminal()
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr_with_hz(10)));
        Self {
            bars,
            active: Mutex::new(HashMap::new()),
        }
    }

    fn style() -> ProgressStyle {
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {elapsed}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
    }
}

impl Default for Terminal {
    fn default() -> Self {
        Self::new()
    }
}

impl Events for Terminal {
    fn layer_started(&self, label: &str, total: u64) -> Option<ProgressFn> {
        let bars = self.bars.as_ref()?;
        let bar = bars.add(ProgressBar::new(total));
        bar.set_style(Self::style());
        bar.set_prefix(label.to_string());
        bar.tick();
        if let Ok(mut active) = self.active.lock() {
            active.insert(label.to_string(), bar.clone());
        }
        Some(Arc::new(move |done| bar.set_position(done)))
    }

    fn layer_ended(&self, label: &str, line: Option<&str>) {
        let bar = self.active.lock().ok().and_then(|mut a| a.remove(label));
        if let (Some(bars), Some(bar)) = (&self.bars, bar) {
            bar.finish_and_clear();
            bars.remove(&bar);
        }
        if let Some(line) = line {
            match &self.bars {
                Some(bars) => bars.suspend(|| println!("{line}")),
                None => println!("{line}"),
            }
        }
    }
}
