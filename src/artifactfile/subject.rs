//! `SUBJECT`: the manifest an artifact refers to, as a JSON descriptor, as
//! `<ref>@sha256:<hex>` plus its size, or as the id of an item of the same
//! file. The forms cannot be mistaken for each other: a descriptor starts
//! with `{`, a reference has an `@` (and takes flags), an id has neither.

use serde_json::{Map, Value};

use crate::digest::Digest;

use super::flags::split_flags;
use super::model::Subject;
use super::names::is_id;
use super::words::Word;
use super::{quote, suggest};

/// What a digest-only reference most likely points at.
const DEFAULT_MEDIA_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";

const USAGE: &str = "SUBJECT <id>, SUBJECT '<JSON descriptor>' or \
                     SUBJECT [--media-type=<mediaType>] --size=<bytes> <ref>@sha256:<hex>";

/// Parses a `SUBJECT` directive's words.
pub(super) fn parse(words: Vec<Word>) -> Result<Subject, String> {
    let specs = [("--media-type", "<mediaType>"), ("--size", "<bytes>")];
    let (flags, args) = split_flags("SUBJECT", words, &specs)?;
    let arg = match <[String; 1]>::try_from(args) {
        Ok([arg]) => arg,
        Err(args) => {
            return Err(format!(
                "SUBJECT takes one descriptor or reference, got {} arguments; usage: {USAGE}",
                args.len()
            ));
        }
    };
    if arg.trim_start().starts_with('{') {
        if let Some((flag, _)) = flags.first() {
            return Err(format!(
                "SUBJECT {flag} is for a reference; a JSON descriptor carries its own \
                 mediaType and size: drop the flag"
            ));
        }
        return descriptor(&arg);
    }
    if flags.is_empty() && !arg.contains('@') {
        return id(arg);
    }
    reference(arg, flags)
}

/// `<id>`: an `ARTIFACT`, `INCLUDE` or `INDEX` of this file (that one is
/// defined is checked once the whole file is read).
fn id(arg: String) -> Result<Subject, String> {
    if is_id(&arg) {
        return Ok(Subject::Id(arg));
    }
    Err(format!(
        "SUBJECT {} is neither an id (letters, digits, '.', '_' and '-', given with AS to an \
         ARTIFACT, INCLUDE or INDEX of this file) nor a reference pinned by its digest; \
         usage: {USAGE}",
        quote(&arg)
    ))
}

/// `{"mediaType": .., "digest": .., "size": ..}`. Other descriptor fields
/// are ignored: a manifest's `subject` needs only these three.
fn descriptor(json: &str) -> Result<Subject, String> {
    let value: Value = serde_json::from_str(json).map_err(|e| {
        format!(
            "SUBJECT descriptor is not valid JSON ({e}); single-quote it so that the shell-like \
             word splitting leaves it whole: SUBJECT '{{\"mediaType\": ...}}'"
        )
    })?;
    let Value::Object(obj) = value else {
        return Err("SUBJECT descriptor must be a JSON object".to_string());
    };
    let media_type = match field(&obj, "mediaType")? {
        Value::String(s) if !s.is_empty() => s.clone(),
        _ => return Err("SUBJECT descriptor \"mediaType\" must be a non-empty string".to_string()),
    };
    let digest = match field(&obj, "digest")? {
        Value::String(s) => check_digest(s)?,
        _ => {
            return Err(
                "SUBJECT descriptor \"digest\" must be a string: \"sha256:<hex>\"".to_string(),
            );
        }
    };
    let Some(size) = field(&obj, "size")?.as_u64() else {
        return Err(
            "SUBJECT descriptor \"size\" must be a non-negative integer (bytes)".to_string(),
        );
    };
    Ok(Subject::Descriptor {
        media_type,
        digest,
        size,
    })
}

/// A required field, with a hint when a near-miss key is there instead.
fn field<'v>(obj: &'v Map<String, Value>, key: &str) -> Result<&'v Value, String> {
    if let Some(value) = obj.get(key) {
        return Ok(value);
    }
    let found = match obj.keys().find(|k| suggest(k, &[key]).is_some()) {
        Some(near) => format!(" (found {}; the key is \"{key}\")", quote(near)),
        None => String::new(),
    };
    Err(format!("SUBJECT descriptor needs \"{key}\"{found}"))
}

/// `<ref>@sha256:<hex>` with `--size` (and maybe `--media-type`).
fn reference(reference: String, flags: Vec<(&str, String)>) -> Result<Subject, String> {
    let mut media_type = None;
    let mut size = None;
    for (flag, value) in flags {
        let given_twice = || format!("SUBJECT {flag} is given twice; keep one");
        match flag {
            "--media-type" => {
                if value.is_empty() {
                    return Err("SUBJECT --media-type is empty: --media-type=<mediaType>".into());
                }
                if media_type.replace(value).is_some() {
                    return Err(given_twice());
                }
            }
            _ => {
                let Ok(bytes) = value.parse::<u64>() else {
                    return Err(format!(
                        "SUBJECT --size={} is not a byte count (a non-negative integer)",
                        quote(&value)
                    ));
                };
                if size.replace(bytes).is_some() {
                    return Err(given_twice());
                }
            }
        }
    }
    let Some((name, digest)) = reference.rsplit_once('@') else {
        return Err(format!(
            "SUBJECT reference {} has no digest: write <ref>@sha256:<hex> (a tag can move, \
             so the subject must be pinned), or give a JSON descriptor",
            quote(&reference)
        ));
    };
    if name.is_empty() {
        return Err(format!(
            "SUBJECT reference {} has nothing before \"@\": write <ref>@sha256:<hex>",
            quote(&reference)
        ));
    }
    let digest = check_digest(digest)?;
    let Some(size) = size else {
        return Err(format!(
            "SUBJECT {} needs --size=<bytes>: the frontend cannot look the manifest's size up \
             in a registry, so pass the manifest's byte size with --size, or give a JSON \
             descriptor: SUBJECT '{{\"mediaType\":\"...\",\"digest\":\"sha256:...\",\"size\":N}}'",
            quote(&reference)
        ));
    };
    Ok(Subject::Reference {
        reference,
        media_type: media_type.unwrap_or_else(|| DEFAULT_MEDIA_TYPE.to_string()),
        digest,
        size,
    })
}

/// `sha256:` and 64 lowercase hex digits, the only digest OCI requires
/// registries to support.
fn check_digest(digest: &str) -> Result<Digest, String> {
    digest.parse().map_err(|_| {
        format!(
            "SUBJECT digest {} is not sha256:<64 lowercase hex digits>",
            quote(digest)
        )
    })
}
