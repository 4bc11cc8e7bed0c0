//! "Did you mean" suggestions for misspelled names.

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

#[cfg(test)]
mod tests {
    #[test]
    fn suggests_close_names_only() {
        let c = ["path", "mediaType", "annotations"];
        assert_eq!(super::nearest("media_type", &c), Some("mediaType"));
        assert_eq!(super::nearest("annotation", &c), Some("annotations"));
        assert_eq!(super::nearest("zzzzzzzz", &c), None);
    }
}
