//! "Did you mean" suggestions for misspelled names, and for file names that
//! differ only in case.

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
    nearest(given, candidates).map(meant).unwrap_or_default()
}

/// ` (did you mean "X"?)` for `near`, found by other means.
pub fn meant(near: &str) -> String {
    format!(" (did you mean \"{near}\"?)")
}

/// The candidate that is `given` but for the case of its ASCII letters
/// (`README.md` for `READMe.md`), if there is one: a name that exists on a
/// case-insensitive disk (macOS, Windows) and not in the build, which sees
/// names as they are.
pub fn same_but_case<'a>(
    given: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .find(|c| *c != given && c.eq_ignore_ascii_case(given))
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

    #[test]
    fn a_name_that_differs_only_in_case_is_found() {
        let names = ["README", "README.md", "readme.txt"];
        assert_eq!(super::same_but_case("READMe.md", names), Some("README.md"));
        assert_eq!(
            super::same_but_case("Readme.TXT", names),
            Some("readme.txt")
        );
        // The name itself is no suggestion, nor a name a letter away.
        assert_eq!(super::same_but_case("README.md", ["README.md"]), None);
        assert_eq!(super::same_but_case("READMEs.md", names), None);
    }
}
