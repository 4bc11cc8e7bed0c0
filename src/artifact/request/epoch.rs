//! SOURCE_DATE_EPOCH: the one time a build knows. It is read at the door
//! and turned into RFC 3339 here, without a clock: the layout's `created`
//! annotation, ModelPack's `createdAt` and file times come from it, never
//! from the wall clock.

use crate::gateway::{Options, UserError};

/// `SOURCE_DATE_EPOCH` (a build arg, as BuildKit's clients pass it), in
/// seconds.
pub fn source_date_epoch(opts: &Options) -> Result<Option<i64>, UserError> {
    let Some((v, key)) = opts.get_or_build_arg("SOURCE_DATE_EPOCH") else {
        return Ok(None);
    };
    v.trim()
        .parse::<i64>()
        .ok()
        .filter(|s| *s >= 0)
        .map(Some)
        .ok_or_else(|| UserError::new(format!("{key}={v:?} is not a Unix time in seconds")))
}

/// `secs` in nanoseconds, as LLB file actions take times.
pub fn nanos(secs: i64) -> i64 {
    secs.saturating_mul(1_000_000_000)
}

/// `secs` as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's civil-from-days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(super::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(super::rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }
}
