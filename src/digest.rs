//! [`Digest`]: how OCI and LLB name content, `sha256:<64 lowercase hex>`.
//!
//! One type instead of strings checked here and there: it is made by
//! hashing ([`Digest::of`], [`Digest::from_hasher`]) or by parsing with the
//! rules of Go's `go-digest` (the algorithm OCI requires, lowercase hex of
//! the right length), and it names its blob file ([`Digest::hex`]) without
//! string surgery. It reads and writes JSON as its string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// The one algorithm we write and accept.
pub const ALGORITHM: &str = "sha256";

/// A SHA-256 content digest.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    /// 64 lowercase hex digits.
    hex: String,
}

/// Why a string is not a digest.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{given:?} is not a digest: {reason} (expected sha256:<64 lowercase hex digits>)")]
pub struct DigestError {
    /// The string.
    pub given: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl Digest {
    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest::from_hasher(Sha256::new_with_prefix(bytes))
    }

    /// The digest of everything `hasher` was fed.
    pub fn from_hasher(hasher: Sha256) -> Digest {
        Digest {
            hex: hex::encode(hasher.finalize()),
        }
    }

    /// The digest whose hex part is `hex` (a blob's file name).
    pub fn from_hex(hex: &str) -> Result<Digest, DigestError> {
        format!("{ALGORITHM}:{hex}").parse()
    }

    /// The hex part: the blob's file name under `blobs/sha256/`.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl FromStr for Digest {
    type Err = DigestError;

    fn from_str(s: &str) -> Result<Digest, DigestError> {
        let bad = |reason| DigestError {
            given: s.chars().take(100).collect(),
            reason,
        };
        let (algorithm, hex) = s.split_once(':').ok_or_else(|| bad("no algorithm"))?;
        if algorithm != ALGORITHM {
            return Err(bad("only sha256 is supported"));
        }
        if hex.len() != 64 {
            return Err(bad("a sha256 digest has 64 hex digits"));
        }
        if !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(bad("hex digits must be 0-9 and lowercase a-f"));
        }
        Ok(Digest {
            hex: hex.to_string(),
        })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ALGORITHM}:{}", self.hex)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

/// A digest equals its string form (`sha256:<hex>`).
impl PartialEq<str> for Digest {
    fn eq(&self, other: &str) -> bool {
        other
            .strip_prefix(ALGORITHM)
            .and_then(|rest| rest.strip_prefix(':'))
            == Some(self.hex.as_str())
    }
}

impl PartialEq<String> for Digest {
    fn eq(&self, other: &String) -> bool {
        self == other.as_str()
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Digest, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_names_its_blob() {
        let d = Digest::of(b"{}");
        assert_eq!(
            d.to_string(),
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(d.hex().len(), 64);
        assert_eq!(Digest::from_hex(d.hex()), Ok(d.clone()));
        assert_eq!(d, d.to_string());
        assert_eq!(d.to_string().parse::<Digest>(), Ok(d));
    }

    #[test]
    fn parses_as_go_digest_validates() {
        let hex = "a".repeat(64);
        assert!(format!("sha256:{hex}").parse::<Digest>().is_ok());
        for bad in [
            String::new(),
            hex.clone(),
            format!("sha512:{hex}"),
            format!("sha256:{}", "a".repeat(63)),
            format!("sha256:{}", "A".repeat(64)),
            format!("sha256:{}g", "a".repeat(63)),
        ] {
            assert!(bad.parse::<Digest>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn is_its_string_in_json() {
        let d = Digest::of(b"x");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{d}\""));
        assert_eq!(serde_json::from_str::<Digest>(&json).unwrap(), d);
        assert!(serde_json::from_str::<Digest>("\"sha256:nope\"").is_err());
    }
}
