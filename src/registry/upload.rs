//! Sending one blob: a chunked upload that survives a failed chunk.
//!
//! oci-client uploads in chunks too, but a failed PATCH fails the whole
//! blob and the upload starts over from byte 0: a 140 GB weight file on a
//! flaky link would never get through. Here a failed chunk (a 5xx, a reset,
//! a timeout) asks the registry where the upload stands (`GET` on the
//! upload's location gives `Range: 0-<last>`) and goes on from there, a
//! bounded number of times; a registry that forgot the upload (404) gets a
//! new one. The blob is read from the layout in chunks, never whole.

use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::Path;
use std::time::Instant;

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, LOCATION, RANGE};

use super::session::{ATTEMPTS, Session, backoff};

/// Bytes a PATCH carries (registries on S3 need 5 MiB or more but the
/// last). Each PATCH costs the registry a round of bookkeeping, so fewer
/// are faster; a failed one is resent whole, so smaller ones lose less.
pub const CHUNK: u64 = 64 << 20;

/// What an upload did, for the build log.
pub struct Sent {
    /// Bytes sent, resent chunks included.
    pub bytes: u64,
    /// How long it took.
    pub seconds: f64,
    /// How many times it went on after a failure.
    pub resumed: u32,
}

/// Uploads the `size` bytes of `file` as blob `digest`.
pub async fn blob(s: &Session, digest: &str, file: &Path, size: u64) -> Result<Sent, String> {
    let start = Instant::now();
    let mut f = std::fs::File::open(file)
        .map_err(|e| format!("reading blob {digest} of the layout: {e}"))?;
    let what = format!("the upload of blob {digest}");
    let mut failures = 0u32;
    let mut sent = 0u64;
    let mut location = begin(s, &what).await?;
    let mut offset = 0u64;
    loop {
        if offset >= size {
            break;
        }
        let end = (offset + CHUNK).min(size);
        let mut chunk = vec![0u8; (end - offset) as usize];
        f.seek(SeekFrom::Start(offset))
            .and_then(|_| f.read_exact(&mut chunk))
            .map_err(|e| format!("reading blob {digest} of the layout: {e}"))?;
        // Shared, not copied, by the request (a retry builds another).
        let chunk = bytes::Bytes::from(chunk);
        let url = s.absolute(&location);
        let range = format!("{offset}-{}", end - 1);
        let res = s
            .send_once(&what, |c| {
                c.patch(&url)
                    .header(CONTENT_TYPE, "application/octet-stream")
                    .header(CONTENT_RANGE, &range)
                    .header(CONTENT_LENGTH, chunk.len())
                    .body(chunk.clone())
            })
            .await;
        sent += end - offset;
        match res {
            Ok(r) if r.status() == StatusCode::ACCEPTED => {
                location = header(&r, LOCATION).unwrap_or(location);
                offset = match header(&r, RANGE).and_then(|r| last_byte(&r)) {
                    Some(last) => last + 1,
                    None => end,
                };
            }
            outcome => {
                // Ask the registry where the upload stands and go on from
                // there (416: it has other bytes than we thought).
                failures += 1;
                let why = match outcome {
                    Ok(r) => {
                        let status = r.status();
                        let lost = [StatusCode::NOT_FOUND, StatusCode::RANGE_NOT_SATISFIABLE];
                        if status.is_client_error() && !lost.contains(&status) {
                            let body = r.text().await.unwrap_or_default();
                            return Err(s.refused(status, &what, &body));
                        }
                        status.to_string()
                    }
                    Err(e) => e,
                };
                if failures >= ATTEMPTS {
                    return Err(format!(
                        "registry {}: blob {digest} could not be sent ({why}), {failures} tries; \
                         the next build goes on with what the registry has",
                        s.target.registry
                    ));
                }
                eprintln!("  {digest}: {why}; resuming");
                backoff(failures + 1).await;
                match status(s, &location, &what).await? {
                    Some((loc, next)) => {
                        location = loc;
                        offset = next;
                    }
                    None => {
                        location = begin(s, &what).await?;
                        offset = 0;
                    }
                }
            }
        }
    }
    let url = s.absolute(&location);
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{sep}digest={digest}");
    let r = s
        .send(&what, |c| c.put(&url).header(CONTENT_LENGTH, 0))
        .await?;
    if r.status() != StatusCode::CREATED {
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        return Err(s.refused(status, &format!("the end of {what}"), &body));
    }
    Ok(Sent {
        bytes: sent,
        seconds: start.elapsed().as_secs_f64(),
        resumed: failures,
    })
}

/// Starts an upload; its location.
async fn begin(s: &Session, what: &str) -> Result<String, String> {
    let url = s.url("blobs/uploads/");
    let r = s
        .send(what, |c| c.post(&url).header(CONTENT_LENGTH, 0))
        .await?;
    if r.status() != StatusCode::ACCEPTED {
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        return Err(s.refused(status, what, &body));
    }
    header(&r, LOCATION).ok_or_else(|| {
        format!(
            "registry {} started {what} without saying where (no Location)",
            s.target.registry
        )
    })
}

/// Where an upload stands: its location and the next byte to send, or
/// `None` when the registry no longer knows it.
async fn status(s: &Session, location: &str, what: &str) -> Result<Option<(String, u64)>, String> {
    let url = s.absolute(location);
    let r = s.send(what, |c| c.get(&url)).await?;
    match r.status() {
        StatusCode::NO_CONTENT | StatusCode::OK | StatusCode::ACCEPTED => {
            let next = header(&r, RANGE)
                .and_then(|v| last_byte(&v))
                .map_or(0, |l| l + 1);
            Ok(Some((
                header(&r, LOCATION).unwrap_or(location.to_string()),
                next,
            )))
        }
        StatusCode::NOT_FOUND => Ok(None),
        status => {
            let body = r.text().await.unwrap_or_default();
            Err(s.refused(status, what, &body))
        }
    }
}

fn header(r: &reqwest::Response, name: reqwest::header::HeaderName) -> Option<String> {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The last byte a `Range: 0-<last>` (or `bytes=0-<last>`) header names.
/// `0-0` from a registry that has nothing yet is ambiguous; distribution
/// sends it for an empty upload, so it reads as "nothing".
pub fn last_byte(range: &str) -> Option<u64> {
    let r = range.trim().trim_start_matches("bytes=");
    let (a, b) = r.split_once('-')?;
    let (a, b): (u64, u64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    if a == 0 && b == 0 {
        return None;
    }
    Some(b)
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod fake_registry_tests;

#[cfg(test)]
mod tests {
    use super::last_byte;

    #[test]
    fn ranges_say_where_an_upload_stands() {
        assert_eq!(last_byte("0-1048575"), Some(1048575));
        assert_eq!(last_byte("bytes=0-99"), Some(99));
        assert_eq!(last_byte("0-0"), None);
        assert_eq!(last_byte("junk"), None);
    }
}
