//! Hostile input: runaway expansion, huge and odd text, and a random
//! token soup that must never make `parse` panic.

use super::*;

#[test]
fn runaway_args_are_an_error_not_a_hang() {
    let mut text = String::from("ARG A=0123456789abcdef\n");
    for _ in 0..64 {
        text.push_str("ARG A=$A$A\n");
    }
    let e = parse(&text, &ParseOptions::default()).unwrap_err();
    assert!(e.message.contains("more than 16 MiB"), "{e}");
}

#[test]
fn huge_and_odd_inputs_do_not_panic() {
    let huge = format!("LAYER t {}", "é".repeat(1 << 20));
    assert_eq!(files(&one(&huge))[0].path.chars().count(), 1 << 20);
    let long_keyword = "X".repeat(1 << 20);
    let m = parse(&long_keyword, &ParseOptions::default())
        .unwrap_err()
        .message;
    assert!(m.len() < 300, "{}", m.len());
    for text in [
        "\\",
        "$",
        "${",
        "'",
        "\"",
        "\u{0}",
        "\r\n\\\r\n",
        "LAYER \\",
        "#\\\nTAG a",
        "\u{feff}TAG a",
    ] {
        let _ = parse(text, &ParseOptions::default());
    }
    assert_eq!(one("\u{feff}TAG a").tags[0].0, "a");
    let deep = format!("TAG {}", "${A:-".repeat(100_000));
    assert!(parse(&deep, &ParseOptions::default()).is_err());
    let many = "FROM a\nFROM b\n".repeat(50_000);
    assert_eq!(ok(&many).sources.len(), 3);
}

/// References are followed without recursion, and each once: a chain as
/// long as the file (deeper than a test thread's stack would allow a
/// recursive walk), or one index listing every item, stays linear.
#[test]
fn long_reference_chains_do_not_overflow() {
    const N: usize = 40_000;
    let text: String = (0..N)
        .map(|i| format!("ARTIFACT t AS a{i}\nSUBJECT a{}\n", i + 1))
        .chain([format!("ARTIFACT t AS a{N}\n")])
        .collect();
    let f = ok(&text);
    let order = f.build_order().unwrap();
    assert_eq!(order.first(), Some(&N));
    assert_eq!(order.last(), Some(&0));
    // Closing the chain into a cycle names it briefly, at the last line.
    let closed: String = (0..N)
        .map(|i| format!("ARTIFACT t AS a{i}\nSUBJECT a{}\n", (i + 1) % N))
        .collect();
    let e = parse(&closed, &ParseOptions::default()).unwrap_err();
    assert!(e.message.contains("(39992 more) → a0"), "{}", e.message);
    assert!(e.message.len() < 1000, "{}", e.message.len());
    let last = u32::try_from(2 * N).unwrap();
    assert_eq!(e.lines, lines(last, last));
    // Nested indexes, each holding the next, and one holding them all.
    let mut text: String = (0..N)
        .map(|i| format!("INDEX t AS i{i}\nMANIFEST i{}\n", i + 1))
        .chain([format!("ARTIFACT t AS i{N}\nINDEX t AS all\nMANIFEST")])
        .collect();
    text.extend((0..=N).map(|i| format!(" i{i}")));
    assert_eq!(ok(&text).build_order().unwrap().len(), N + 2);
}

/// xorshift64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_token_soup_never_panics() {
    const SOUP: &[&str] = &[
        "LAYER ",
        "layer",
        "ARG ",
        "A",
        "B=",
        "ARTIFACT ",
        "CONFIG ",
        "ANNOTATION ",
        "TAG ",
        "FROM ",
        "SUBJECT ",
        "INCLUDE ",
        "LAYERS ",
        "INDEX ",
        "MANIFEST ",
        " AS ",
        " as ",
        "a1",
        "named:v1",
        "@sha256:",
        "context",
        "named",
        "docker-image://",
        "--title=",
        "--annotation=",
        "--size=",
        "--media-type=",
        "--",
        "${",
        "}",
        ":-",
        "-",
        "$",
        "$A",
        "${A}",
        "\\",
        "\n",
        "\r\n",
        "\"",
        "'",
        "=",
        "#",
        " ",
        "  ",
        "\t",
        "{",
        "\"mediaType\":",
        "\"digest\":",
        "\"size\":",
        "12",
        "sha256:",
        HEX,
        "@",
        "a/b",
        "*",
        ",",
        ":",
        "\u{0}",
        "é",
        "日本",
        "\u{feff}",
        "\u{1F600}",
        "\u{2028}",
        "\u{a0}",
    ];
    let options = opts(&[("A", "${B}"), ("B", "x y")], &[("named", "local:x")]);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut errors = 0;
    for _ in 0..20_000 {
        let mut text = String::new();
        for _ in 0..rng.below(48) {
            if rng.below(10) == 0 {
                // Any scalar value, surrogates skipped.
                text.push(char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('?'));
            } else {
                text.push_str(SOUP[rng.below(SOUP.len())]);
            }
        }
        if parse(&text, &options).is_err() {
            errors += 1;
        }
    }
    // The soup must reach both outcomes, or it tests too little.
    assert!(errors > 1_000 && errors < 19_990, "{errors}");
}
