//! The progress line of a long run: on a terminal only, pieces done, and
//! after a few seconds the rate and the time left.

/// Told how many pieces are done of how many, as they finish (the
/// studio's progress bar).
pub type Observer<'a> = dyn Fn(usize, usize) + Send + Sync + 'a;

/// A one-line progress display on stderr when it is a terminal (silent in
/// logs, pipes and with `--quiet`): pieces done, and once the run has
/// taken a few seconds the rate and the time left.
pub struct Progress<'a> {
    /// Told the count after every piece (the studio).
    pub observer: Option<&'a Observer<'a>>,
    total: usize,
    done: std::cell::Cell<usize>,
    show: bool,
    start: std::time::Instant,
    /// When the line was last drawn (it is redrawn at most ten times a second).
    drawn: std::cell::Cell<Option<std::time::Instant>>,
}

/// Rate and time left appear after this long.
const PROGRESS_RATE_AFTER: std::time::Duration = std::time::Duration::from_secs(2);

impl Progress<'_> {
    pub fn new(total: usize, quiet: bool) -> Progress<'static> {
        use std::io::IsTerminal;
        Progress {
            observer: None,
            total,
            done: 0.into(),
            show: !quiet && std::io::stderr().is_terminal() && total > 1,
            start: std::time::Instant::now(),
            drawn: None.into(),
        }
    }

    pub fn tick(&self) {
        self.done.set(self.done.get() + 1);
        if let Some(observer) = self.observer {
            observer(self.done.get(), self.total);
        }
        if !self.show {
            return;
        }
        let now = std::time::Instant::now();
        let last = self.done.get() == self.total;
        if !last
            && self
                .drawn
                .get()
                .is_some_and(|t| now - t < std::time::Duration::from_millis(100))
        {
            return;
        }
        self.drawn.set(Some(now));
        eprint!(
            "\r\x1b[2K  {}",
            progress_line(self.done.get(), self.total, now - self.start)
        );
    }

    pub fn finish(&self) {
        if self.show {
            eprint!("\r\x1b[2K");
        }
    }
}

/// "typesetting 120/1000 · 48.2/s · 0:18 left" (rate and time left once
/// `elapsed` passes [`PROGRESS_RATE_AFTER`]).
pub fn progress_line(done: usize, total: usize, elapsed: std::time::Duration) -> String {
    let mut line = format!("typesetting {done}/{total}");
    if elapsed >= PROGRESS_RATE_AFTER && done > 0 {
        let rate = done as f64 / elapsed.as_secs_f64();
        let left = (total.saturating_sub(done) as f64 / rate).round() as u64;
        line.push_str(&format!(
            " · {rate:.1}/s · {}:{:02} left",
            left / 60,
            left % 60
        ));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::progress_line;
    use std::time::Duration;

    #[test]
    fn progress_shows_rate_and_time_left_after_a_few_seconds() {
        assert_eq!(
            progress_line(10, 100, Duration::from_millis(500)),
            "typesetting 10/100"
        );
        assert_eq!(
            progress_line(100, 1000, Duration::from_secs(4)),
            "typesetting 100/1000 · 25.0/s · 0:36 left"
        );
        assert_eq!(
            progress_line(10, 10000, Duration::from_secs(5)),
            "typesetting 10/10000 · 2.0/s · 83:15 left"
        );
    }
}
