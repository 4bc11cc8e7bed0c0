//! Subrequests: queries a client sends instead of a build (`requestid`).
//!
//! The image declares the `moby.buildkit.frontend.subrequests` cap, so
//! clients may ask `frontend.subrequests.describe` (what can be asked);
//! anything else gets an error naming what is supported rather than a
//! build the client did not ask for.

use std::collections::BTreeMap;

use serde_json::json;

use crate::gateway::UserError;

use super::config::Config;

/// What a subrequest's answer is: result metadata only, no filesystem.
pub type Answer = BTreeMap<String, Vec<u8>>;

/// The one subrequest every subrequest-capable frontend answers.
pub const DESCRIBE: &str = "frontend.subrequests.describe";
const DESCRIBE_VERSION: &str = "1.0.0";

/// Answers the subrequest the build asks, if it asks one.
pub fn answer(cfg: &Config) -> Option<Result<Answer, UserError>> {
    let id = cfg.subrequest.as_deref()?;
    if id != DESCRIBE {
        return Some(Err(UserError::new(format!(
            "the artifact frontend does not support subrequest {id:?}; it supports {DESCRIBE}"
        ))));
    }
    let described = json!([{
        "name": DESCRIBE,
        "version": DESCRIBE_VERSION,
        "type": "rpc",
        "description": "List available subrequest types",
        "metadata": [{"name": "result.json"}, {"name": "result.txt"}],
    }]);
    let text = format!(
        "NAME\tVERSION\tDESCRIPTION\n{DESCRIBE}\t{DESCRIBE_VERSION}\tList available subrequest types\n"
    );
    let metadata = BTreeMap::from([
        (
            "result.json".to_string(),
            described.to_string().into_bytes(),
        ),
        ("result.txt".to_string(), text.into_bytes()),
        ("version".to_string(), DESCRIBE_VERSION.as_bytes().to_vec()),
    ]);
    Some(Ok(metadata))
}
