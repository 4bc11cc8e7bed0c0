//! The pull's two execs: the resolve runs on every build, the fetch is
//! cached by the digest its job names; both get the registry secrets as
//! optional mounts and never in the job.

use super::*;
use crate::proto::pb;

/// The one exec of `state`'s definition, and whether it ignores the cache.
fn the_exec(state: &State) -> (pb::ExecOp, bool) {
    state.marshal().first_exec().unwrap()
}

const HEX: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

#[test]
fn the_resolve_runs_every_time_and_the_fetch_is_keyed_by_the_digest() {
    let worker = Worker::with_tool(State::scratch());
    let access = RegistryAccess {
        network_host: true,
        insecure: vec!["10.0.0.1:5000".into()],
    };
    let reference = "127.0.0.1:5000/models/base:v1";
    let resolve = step(&worker, &access, reference, None, true).unwrap();
    assert_eq!(resolve.len(), 1, "the resolve writes only its report");
    let (e, ignore_cache) = the_exec(&resolve[0]);
    assert!(ignore_cache, "a tag is resolved on every build");
    assert_eq!(e.network, pb::NetMode::Host as i32);
    let meta = e.meta.unwrap();
    assert_eq!(meta.args[1], registry::pull::SUBCOMMAND);
    let job: PullJob = serde_json::from_str(&meta.args[2]).unwrap();
    assert_eq!(job.digest, None);
    assert_eq!(job.insecure, ["10.0.0.1:5000"]);

    let digest = format!("sha256:{HEX}");
    let fetch = step(&worker, &access, reference, Some(&digest), false).unwrap();
    assert_eq!(fetch.len(), 2, "a report and the layout");
    let (e, ignore_cache) = the_exec(&fetch[1]);
    assert!(!ignore_cache, "the fetch is cached by its digest");
    let job: PullJob = serde_json::from_str(&e.meta.as_ref().unwrap().args[2]).unwrap();
    assert_eq!(job.digest.as_deref(), Some(digest.as_str()));
    let secrets = crate::artifact::inputs::worker::secret_mounts(&e);
    assert_eq!(
        secrets,
        [
            ("registry".to_string(), true),
            ("registry-ca".to_string(), true)
        ]
    );
    let outputs: Vec<&str> = e
        .mounts
        .iter()
        // The scratch root is an output BuildKit wants, not one of ours.
        .filter(|m| m.output >= 0 && m.dest != "/")
        .map(|m| m.dest.as_str())
        .collect();
    assert_eq!(outputs, [registry::REPORT_DIR, registry::pull::OUT_DIR]);

    // Another digest is another step; the same one, the same step.
    let other = format!("sha256:{}", "f".repeat(64));
    let again = step(&worker, &access, reference, Some(&digest), false).unwrap();
    let moved = step(&worker, &access, reference, Some(&other), false).unwrap();
    let key = |s: &State| s.marshal().to_pb().def;
    assert_eq!(key(&fetch[1]), key(&again[1]));
    assert_ne!(key(&fetch[1]), key(&moved[1]));
}
