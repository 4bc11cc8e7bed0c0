//! Layer paths: cleaned like Go's `path.Clean` and confined to the input
//! root, exactly as the reference `artifact.v0` accepts them.

/// Go's `path.Clean`: the shortest equivalent path, processed lexically.
pub fn clean(p: &str) -> String {
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

/// Cleans `p` and checks that it names something inside the input root:
/// relative, not the root itself, not climbing out with `..`.
pub fn normalize_layer_path(p: &str) -> Result<String, &'static str> {
    if p.is_empty() {
        return Err("path is required");
    }
    if p.contains('\0') {
        return Err("path must not contain NUL bytes");
    }
    let cleaned = clean(p);
    match cleaned.as_str() {
        "." | "/" => {
            Err("path must name a file inside the artifact input root, not the root itself")
        }
        ".." => Err("path must be relative to the artifact input root and stay inside it"),
        c if c.starts_with('/') || c.starts_with("../") => {
            Err("path must be relative to the artifact input root and stay inside it")
        }
        c => Ok(c.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_like_go() {
        for (i, o) in [
            ("", "."),
            ("a/b/../c", "a/c"),
            ("./sub/cfg.json", "sub/cfg.json"),
            ("a//b/./c/", "a/b/c"),
            ("../../x", "../../x"),
            ("/../x", "/x"),
            ("a/../..", ".."),
            ("/", "/"),
        ] {
            assert_eq!(clean(i), o, "clean({i:?})");
        }
    }

    #[test]
    fn confines_layer_paths_to_the_root() {
        assert_eq!(normalize_layer_path("./model.bin"), Ok("model.bin".into()));
        assert_eq!(normalize_layer_path("a/../b"), Ok("b".into()));
        for bad in [
            "",
            ".",
            "/",
            "./",
            "..",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "x\0y",
        ] {
            assert!(
                normalize_layer_path(bad).is_err(),
                "{bad:?} must be rejected"
            );
        }
    }
}
