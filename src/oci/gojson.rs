//! Go `encoding/json` compatible serialization of image-spec documents.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::fmt::Write as _;

use oci_spec::image::{Descriptor, ImageIndex, ImageManifest, Platform};

/// Appends `s` as a JSON string exactly as Go's `json.Marshal` does:
/// `<`, `>` and `&` as `\u003c` `\u003e` `\u0026`, U+2028 and U+2029
/// escaped, `\b \f \n \r \t` short forms, other control characters as
/// `\u00xx` with lowercase hex.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Writing into a String cannot fail.
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object being written field by field, in the caller's order, as
/// Go writes a struct: the one object writer of every document we hash.
pub struct Object<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Object<'a> {
    /// Opens an object at the end of `out`.
    pub fn begin(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, first: true }
    }

    /// Writes key `k` and gives the output to write its value into.
    pub fn key(&mut self, k: &str) -> &mut String {
        if !self.first {
            self.out.push(',');
        }
        self.first = false;
        write_string(self.out, k);
        self.out.push(':');
        self.out
    }

    /// A string field.
    pub fn str(&mut self, k: &str, v: &str) {
        let out = self.key(k);
        write_string(out, v);
    }

    /// An `omitempty` string field: left out when absent or empty.
    pub fn str_opt(&mut self, k: &str, v: Option<&str>) {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            self.str(k, v);
        }
    }

    /// A number field.
    pub fn num(&mut self, k: &str, v: u64) {
        let out = self.key(k);
        out.push_str(&v.to_string());
    }

    /// A field holding a list of strings.
    pub fn str_list(&mut self, k: &str, v: &[String]) {
        let out = self.key(k);
        out.push('[');
        for (i, s) in v.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            write_string(out, s);
        }
        out.push(']');
    }

    /// `omitempty` map: Go writes map keys sorted.
    fn map_opt(&mut self, k: &str, v: Option<&HashMap<String, String>>) {
        let Some(v) = v.filter(|v| !v.is_empty()) else {
            return;
        };
        let sorted: BTreeMap<&String, &String> = v.iter().collect();
        let out = self.key(k);
        let mut m = Object::begin(out);
        for (k, v) in sorted {
            m.str(k, v);
        }
        m.end();
    }

    /// A field holding an object.
    pub fn object(&mut self, k: &str) -> Object<'_> {
        Object::begin(self.key(k))
    }

    /// Closes the object.
    pub fn end(self) {
        self.out.push('}');
    }
}

/// Go's `v1.Platform`.
fn write_platform(out: &mut String, p: &Platform) {
    let mut o = Object::begin(out);
    o.str("architecture", &p.architecture().to_string());
    o.str("os", &p.os().to_string());
    o.str_opt("os.version", p.os_version().as_deref());
    if let Some(f) = p.os_features().as_ref().filter(|f| !f.is_empty()) {
        o.str_list("os.features", f);
    }
    o.str_opt("variant", p.variant().as_deref());
    o.end();
}

/// Go's `v1.Descriptor`: mediaType, digest, size, urls, annotations, data,
/// platform, artifactType.
pub fn write_descriptor(out: &mut String, d: &Descriptor) {
    let mut o = Object::begin(out);
    o.str("mediaType", d.media_type().as_ref());
    o.str("digest", d.digest().as_ref());
    o.num("size", d.size());
    if let Some(urls) = d.urls().as_ref().filter(|u| !u.is_empty()) {
        o.str_list("urls", urls);
    }
    o.map_opt("annotations", d.annotations().as_ref());
    o.str_opt("data", d.data().as_deref());
    if let Some(p) = d.platform() {
        write_platform(o.key("platform"), p);
    }
    let artifact_type = d.artifact_type().as_ref().map(|t| t.to_string());
    o.str_opt("artifactType", artifact_type.as_deref());
    o.end();
}

fn write_descriptors(out: &mut String, ds: &[Descriptor]) {
    out.push('[');
    for (i, d) in ds.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_descriptor(out, d);
    }
    out.push(']');
}

/// Go's `v1.Manifest`: schemaVersion, mediaType, artifactType, config,
/// layers (always present), subject, annotations.
pub fn manifest(m: &ImageManifest) -> Vec<u8> {
    let mut out = String::new();
    let mut o = Object::begin(&mut out);
    o.num("schemaVersion", u64::from(m.schema_version()));
    let media_type = m.media_type().as_ref().map(|t| t.to_string());
    o.str_opt("mediaType", media_type.as_deref());
    let artifact_type = m.artifact_type().as_ref().map(|t| t.to_string());
    o.str_opt("artifactType", artifact_type.as_deref());
    write_descriptor(o.key("config"), m.config());
    write_descriptors(o.key("layers"), m.layers());
    if let Some(s) = m.subject() {
        write_descriptor(o.key("subject"), s);
    }
    o.map_opt("annotations", m.annotations().as_ref());
    o.end();
    out.into_bytes()
}

/// Go's `v1.Index`: schemaVersion, mediaType, artifactType, manifests,
/// subject, annotations.
pub fn index(i: &ImageIndex) -> Vec<u8> {
    let mut out = String::new();
    let mut o = Object::begin(&mut out);
    o.num("schemaVersion", u64::from(i.schema_version()));
    let media_type = i.media_type().as_ref().map(|t| t.to_string());
    o.str_opt("mediaType", media_type.as_deref());
    let artifact_type = i.artifact_type().as_ref().map(|t| t.to_string());
    o.str_opt("artifactType", artifact_type.as_deref());
    write_descriptors(o.key("manifests"), i.manifests());
    if let Some(s) = i.subject() {
        write_descriptor(o.key("subject"), s);
    }
    o.map_opt("annotations", i.annotations().as_ref());
    o.end();
    out.into_bytes()
}

/// Any JSON value as Go's `encoding/json` writes what it decoded into an
/// `interface{}`: object keys sorted, strings escaped Go's way, and
/// numbers as the `float64` decoding made of them ([`number`]: `1e21` is
/// written `1e+21`, `1.0` is `1`, an integer past 2^53 is rounded). For
/// documents we take from elsewhere and change (a base model's config), so
/// their bytes are a function of their content, and are the bytes a Go
/// tool reading and writing it back would give.
pub fn value(out: &mut String, v: &serde_json::Value) {
    match v {
        serde_json::Value::Null => out.push_str("null"),
        serde_json::Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        serde_json::Value::Number(n) => number(out, n),
        serde_json::Value::String(s) => write_string(out, s),
        serde_json::Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                value(out, item);
            }
            out.push(']');
        }
        serde_json::Value::Object(fields) => {
            let sorted: BTreeMap<&String, &serde_json::Value> = fields.iter().collect();
            let mut o = Object::begin(out);
            for (k, v) in sorted {
                value(o.key(k), v);
            }
            o.end();
        }
    }
}

/// A number as Go writes a `float64` (`encoding/json`'s `floatEncoder`):
/// the shortest digits that read back as the same value, in plain
/// decimals, except below 1e-6 or from 1e21 up, which take an exponent
/// (`1e+21`, `1.5e-7`: a sign when positive, no leading zero). Decoding
/// makes every number a `float64`, so an integer is rounded to one as
/// well (serde_json parses with `float_roundtrip`, so its `f64` is the one
/// Go parses).
fn number(out: &mut String, n: &serde_json::Number) {
    let Some(f) = n.as_f64() else {
        // Only with serde_json's `arbitrary_precision`, which we don't use.
        let _ = write!(out, "{n}");
        return;
    };
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust writes `1e21` and `1.5e-7`; Go `1e+21` and `1.5e-7`.
        let e = format!("{f:e}");
        match e.split_once('e') {
            Some((mantissa, exp)) if !exp.starts_with('-') => {
                let _ = write!(out, "{mantissa}e+{exp}");
            }
            _ => out.push_str(&e),
        }
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Go's `v1.ImageLayout`.
pub fn oci_layout() -> Vec<u8> {
    br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(s: &str) -> String {
        let mut out = String::new();
        write_string(&mut out, s);
        out
    }

    #[test]
    fn any_value_with_sorted_keys() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,2.5,"<"],"a":{"z":null,"y":true}}"#).unwrap();
        let mut out = String::new();
        value(&mut out, &v);
        assert_eq!(out, r#"{"a":{"y":true,"z":null},"b":[1,2.5,"\u003c"]}"#);
    }

    /// Each number as Go's `json.Marshal` writes the `float64` that
    /// `json.Unmarshal` into an `interface{}` gives: its `floatEncoder`'s
    /// format choice and exponent clean-up, and the shortest round-trip
    /// digits (`strconv`'s, which Python's `repr` gives too).
    #[test]
    fn numbers_as_go_writes_the_float64_it_decoded() {
        for (given, go) in [
            ("0", "0"),
            ("-0", "-0"),
            ("1.0", "1"),
            ("2.50", "2.5"),
            ("0.1", "0.1"),
            ("-17", "-17"),
            ("1e20", "100000000000000000000"),
            ("1e21", "1e+21"),
            ("1E+21", "1e+21"),
            ("123456789012345678901234", "1.2345678901234569e+23"),
            ("12345678901234567890", "12345678901234567000"),
            ("9007199254740993", "9007199254740992"),
            ("0.000001", "0.000001"),
            ("0.0000001", "1e-7"),
            ("-1.25e-7", "-1.25e-7"),
            ("1.5e-10", "1.5e-10"),
            ("1e-100", "1e-100"),
            ("5e-324", "5e-324"),
            ("1.7976931348623157e308", "1.7976931348623157e+308"),
            // A correctly rounded parse (float_roundtrip): the nearest
            // float64, as Go's strconv finds it.
            ("2.2250738585072011e-308", "2.225073858507201e-308"),
        ] {
            let v: serde_json::Value = serde_json::from_str(given).unwrap();
            let mut out = String::new();
            value(&mut out, &v);
            assert_eq!(out, go, "{given}");
        }
    }

    #[test]
    fn escapes_like_go() {
        assert_eq!(enc("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(enc("x\u{2028}y\u{2029}"), r#""x\u2028y\u2029""#);
        assert_eq!(enc("q\"\\\n\r\t\u{8}\u{c}"), r#""q\"\\\n\r\t\b\f""#);
        assert_eq!(enc("\u{1}\u{1f}\u{7f}é"), "\"\\u0001\\u001f\u{7f}é\"");
        assert_eq!(enc("+json/ok"), r#""+json/ok""#);
    }
}
