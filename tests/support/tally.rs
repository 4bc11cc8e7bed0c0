//! One daemon's run of the end-to-end cases, counted: passed, failed,
//! skipped, and not run because the daemon died.
//!
//! A dockerd that dies in the middle of the suite (killed by the kernel's
//! OOM killer on a loaded machine, a panic) would otherwise fail the case it
//! died in and then every case after it with "Cannot connect to the Docker
//! daemon", burying the one failure that matters under a dozen that say
//! nothing. So after each case the [`Runner`] is asked whether its daemon is
//! still alive; when it is not, that case is the one failure (with the
//! daemon's exit status, where its log was kept and the log's tail), and the
//! cases after it are listed once as not run. The next daemon still runs:
//! that is the caller's loop. This module knows nothing of Docker, so its
//! bookkeeping is tested without one (`tests/e2e_tally.rs`).

use std::fmt::Write as _;
use std::time::Duration;

/// How one case ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It passed, in this long.
    Passed(Duration),
    /// It does not apply to this daemon, for this reason.
    Skipped(String),
    /// It failed with this error (`{:#}` of the case's error).
    Failed(String),
}

/// A daemon found dead after a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Death {
    /// How it ended, e.g. `signal: 9 (SIGKILL)`.
    pub status: String,
    /// What there is to know: where its log was kept, the log's tail, the
    /// kernel's lines about it.
    pub details: String,
}

/// What runs the cases on one daemon.
pub trait Runner {
    /// Runs the case called `name`.
    fn run(&mut self, name: &str) -> Outcome;
    /// Whether the daemon died (checked after each case): `Some` once it is
    /// gone, with what it left behind.
    fn death(&mut self, during: &str) -> Option<Death>;
}

/// The counts of one daemon's run.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Tally {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    /// Cases left out because the daemon had died, in order.
    pub not_run: Vec<String>,
    /// The case the daemon died in.
    pub died_in: Option<String>,
}

impl Tally {
    /// `3 passed, 1 failed, 0 skipped`, then `, 9 not run (dockerd died in
    /// <case>)` when the daemon died.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        );
        if let Some(case) = &self.died_in {
            let _ = write!(
                s,
                ", {} not run (dockerd died in {case})",
                self.not_run.len()
            );
        }
        s
    }
}

/// Runs `cases` (already filtered) in order on `runner`'s daemon, saying
/// each result through `say`, and stops at the first case after which the
/// daemon is dead: that case counts as one failure whatever it returned,
/// and the rest are listed as not run.
pub fn run_cases(
    daemon: &str,
    cases: &[&str],
    runner: &mut impl Runner,
    say: &mut impl FnMut(String),
) -> Tally {
    let mut tally = Tally::default();
    for (i, &name) in cases.iter().enumerate() {
        let outcome = runner.run(name);
        if let Some(death) = runner.death(name) {
            tally.failed += 1;
            tally.died_in = Some(name.to_string());
            tally.not_run = cases[i + 1..].iter().map(|c| c.to_string()).collect();
            say(format!(
                "[{daemon}] e2e::{name} ... FAILED: the {daemon} dockerd died during this case ({})",
                death.status
            ));
            if let Outcome::Failed(e) = outcome {
                say(format!("the case's own error:\n{e}"));
            }
            say(death.details);
            if !tally.not_run.is_empty() {
                say(format!(
                    "[{daemon}] not run on a dead daemon ({}): {}",
                    tally.not_run.len(),
                    tally.not_run.join(", ")
                ));
            }
            return tally;
        }
        match outcome {
            Outcome::Passed(took) => {
                tally.passed += 1;
                say(format!(
                    "[{daemon}] e2e::{name} ... ok ({:.1}s)",
                    took.as_secs_f64()
                ));
            }
            Outcome::Skipped(why) => {
                tally.skipped += 1;
                say(format!("[{daemon}] e2e::{name} ... skipped: {why}"));
            }
            Outcome::Failed(e) => {
                tally.failed += 1;
                say(format!("[{daemon}] e2e::{name} ... FAILED\n{e}"));
            }
        }
    }
    tally
}
