//! The end-to-end suite's bookkeeping when a daemon dies mid-run
//! (`tests/support/tally.rs`), without a daemon: the case it died in is the
//! one failure and names the death, the cases after it are listed once as
//! not run, and nothing after the death is run.

#[path = "support/tally.rs"]
mod tally;

use std::time::Duration;

use tally::{Death, Outcome, Runner, Tally, run_cases};

/// Cases whose outcome is given, on a daemon that dies after `dies_after`.
struct Scripted {
    outcomes: Vec<(&'static str, Outcome)>,
    dies_after: Option<&'static str>,
    ran: Vec<String>,
    asked: Vec<String>,
}

impl Runner for Scripted {
    fn run(&mut self, name: &str) -> Outcome {
        self.ran.push(name.to_string());
        self.outcomes
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, o)| o.clone())
            .unwrap()
    }

    fn death(&mut self, during: &str) -> Option<Death> {
        self.asked.push(during.to_string());
        // Dead from that case on, as a real daemon stays dead.
        let died = self.dies_after?;
        self.ran.iter().any(|r| r == died).then(|| Death {
            status: "signal: 9 (SIGKILL)".into(),
            details: "dockerd (pid 42) log kept at target/e2e-logs/x.log".into(),
        })
    }
}

fn run(dies_after: Option<&'static str>, failing: bool) -> (Tally, Scripted, Vec<String>) {
    let broken = Outcome::Failed("error reading from server: EOF".into());
    let mut runner = Scripted {
        outcomes: vec![
            ("a", Outcome::Passed(Duration::ZERO)),
            ("b", Outcome::Skipped("no buildx".into())),
            (
                "c",
                if failing {
                    broken
                } else {
                    Outcome::Passed(Duration::ZERO)
                },
            ),
            (
                "d",
                Outcome::Failed("Cannot connect to the Docker daemon".into()),
            ),
            ("e", Outcome::Passed(Duration::ZERO)),
        ],
        dies_after,
        ran: Vec::new(),
        asked: Vec::new(),
    };
    let mut said = Vec::new();
    let tally = run_cases(
        "docker-28.5",
        &["a", "b", "c", "d", "e"],
        &mut runner,
        &mut |line| said.push(line),
    );
    (tally, runner, said)
}

#[test]
fn a_death_is_one_failure_naming_its_case_and_the_rest_are_not_run() {
    let (tally, runner, said) = run(Some("c"), true);
    assert_eq!(runner.ran, ["a", "b", "c"], "nothing runs on a dead daemon");
    assert_eq!(runner.asked, ["a", "b", "c"], "asked after every case");
    assert_eq!(
        tally,
        Tally {
            passed: 1,
            failed: 1,
            skipped: 1,
            not_run: vec!["d".into(), "e".into()],
            died_in: Some("c".into()),
        }
    );
    let text = said.join("\n");
    assert!(
        text.contains(
            "[docker-28.5] e2e::c ... FAILED: the docker-28.5 dockerd died during this case (signal: 9 (SIGKILL))"
        ),
        "{text}"
    );
    assert!(text.contains("error reading from server: EOF"), "{text}");
    assert!(text.contains("log kept at target/e2e-logs/x.log"), "{text}");
    assert!(
        text.contains("[docker-28.5] not run on a dead daemon (2): d, e"),
        "{text}"
    );
    assert!(!text.contains("Cannot connect"), "{text}");
    assert_eq!(
        tally.summary(),
        "1 passed, 1 failed, 1 skipped, 2 not run (dockerd died in c)"
    );
}

#[test]
fn a_case_that_passed_before_the_death_was_seen_still_fails_once() {
    let (tally, _, said) = run(Some("c"), false);
    assert_eq!((tally.passed, tally.failed), (1, 1));
    assert!(
        !said.iter().any(|l| l.contains("e2e::c ... ok")),
        "{said:?}"
    );
}

#[test]
fn a_death_after_the_last_case_leaves_nothing_not_run() {
    let (tally, _, said) = run(Some("e"), true);
    assert_eq!(tally.died_in.as_deref(), Some("e"));
    assert!(tally.not_run.is_empty());
    assert_eq!(
        tally.failed, 3,
        "c and d failed on their own, e by the death"
    );
    assert!(!said.iter().any(|l| l.contains("not run")), "{said:?}");
}

#[test]
fn a_live_daemon_runs_every_case_and_counts_as_before() {
    let (tally, runner, said) = run(None, true);
    assert_eq!(runner.ran, ["a", "b", "c", "d", "e"]);
    assert_eq!(tally.summary(), "2 passed, 2 failed, 1 skipped");
    assert_eq!(said[0], "[docker-28.5] e2e::a ... ok (0.0s)");
    assert_eq!(said[1], "[docker-28.5] e2e::b ... skipped: no buildx");
}
