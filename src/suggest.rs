//! "Did you mean" suggestions for misspelled names.

/// Most names a "did you mean" compares with: each costs an edit
/// distance, and past this many (a generated file's `ARG`s, ids or named
/// contexts) comparing every unknown name with each would cost time
/// quadratic in the input.
pub const MAX_CANDIDATES: usize = 256;

/// The candidate closest to `given` (case-insensitive edit distance), if
/// it is close enough to be a plausible typo.
pub fn nearest<'a>(given: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let given = given.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(&given, &c.to_ascii_lowercase()), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// ` (did you mean "X"?)` when a candidate is close to `given`, else
/// nothing: the one way every message of ours suggests a name.
pub fn did_you_mean(given: &str, candidates: &[&str]) -> String {
    nearest(given, candidates)
        .map(|near| format!(" (did you mean \"{near}\"?)"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_names_only() {
        let c = ["path", "mediaType", "annotations"];
        assert_eq!(super::nearest("media_type", &c), Some("mediaType"));
        assert_eq!(super::nearest("annotation", &c), Some("annotations"));
        assert_eq!(super::nearest("zzzzzzzz", &c), None);
        assert_eq!(super::did_you_mean("pth", &c), " (did you mean \"path\"?)");
        assert_eq!(super::did_you_mean("zzzzzzzz", &c), "");
    }
}
