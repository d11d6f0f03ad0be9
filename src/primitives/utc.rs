//! UTC dates as this service writes and reads them: RFC 3339 in log lines,
//! `YYYYMMDDTHHMMSSZ` for SigV4, `YYYY-MM-DDTHH:MM:SSZ` for override
//! expiries. A few lines of calendar arithmetic (Howard Hinnant's
//! algorithms) for the formatting on every request; the `time` crate, which
//! `fastly` links anyway, checks that a parsed date exists.

/// Days since 1970-01-01 for a proleptic Gregorian date.
pub fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) for days since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Date and time of day for seconds since 1970.
fn parts(seconds: i64) -> (i64, i64, i64, i64, i64, i64) {
    let (days, secs) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    (y, m, d, secs / 3600, secs % 3600 / 60, secs % 60)
}

/// `2026-11-21T10:45:06.123Z` for milliseconds since 1970.
pub fn rfc3339_millis(epoch_ms: i64) -> String {
    let (y, m, d, h, min, s) = parts(epoch_ms.div_euclid(1000));
    let ms = epoch_ms.rem_euclid(1000);
    // Every log line has one: digits written directly rather than through
    // `format!`'s machinery (docs/performance.md, the log line).
    let mut out = String::with_capacity(24);
    let mut digits = itoa::Buffer::new();
    for (value, width, after) in [
        (y, 4, '-'),
        (m, 2, '-'),
        (d, 2, 'T'),
        (h, 2, ':'),
        (min, 2, ':'),
        (s, 2, '.'),
        (ms, 3, 'Z'),
    ] {
        let text = digits.format(value);
        for _ in text.len()..width {
            out.push('0');
        }
        out.push_str(text);
        out.push(after);
    }
    out
}

/// `2026-11-21T10:45:06Z` for seconds since 1970.
pub fn format_utc(seconds: i64) -> String {
    let (y, m, d, h, min, s) = parts(seconds);
    format!("{y:04}-{m:02}-{d:02}T{h:02}:{min:02}:{s:02}Z")
}

/// `20261121T104506Z` for seconds since 1970 (SigV4's `x-amz-date`).
pub fn amz_date(seconds: i64) -> String {
    let (y, m, d, h, min, s) = parts(seconds);
    format!("{y:04}{m:02}{d:02}T{h:02}{min:02}{s:02}Z")
}

/// `YYYY-MM-DDTHH:MM:SSZ` to seconds since 1970 (UTC only, on purpose: an
/// expiry must not depend on whose clock reads it).
pub fn parse_utc(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let shape = b.len() == 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b'Z';
    if !shape {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let s = &text[range];
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())?
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    // The calendar is the time crate's (linked already through `fastly`):
    // 2026-02-31 is no date, not 3 March.
    let month_of_year = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
    time::Date::from_calendar_date(
        i32::try_from(year).ok()?,
        month_of_year,
        u8::try_from(day).ok()?,
    )
    .ok()?;
    let valid = hour < 24 && minute < 60 && second < 61;
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_257_906; // 2026-11-21T10:45:06Z

    #[test]
    fn formats() {
        assert_eq!(rfc3339_millis(NOW * 1000 + 123), "2026-11-21T10:45:06.123Z");
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(981_173_106_007), "2001-02-03T04:05:06.007Z");
        assert_eq!(
            rfc3339_millis(253_402_300_799_999),
            "9999-12-31T23:59:59.999Z"
        );
        assert_eq!(format_utc(NOW), "2026-11-21T10:45:06Z");
        assert_eq!(amz_date(NOW), "20261121T104506Z");
        assert_eq!(amz_date(0), "19700101T000000Z");
        assert_eq!(
            format_utc(951_782_400),
            "2000-02-29T00:00:00Z",
            "a leap day"
        );
        assert_eq!(format_utc(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in (-800_000..800_000).step_by(997) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn parses_utc_times_only() {
        assert_eq!(parse_utc("2026-11-21T10:45:06Z"), Some(NOW));
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        for bad in [
            "2026-11-21",
            "2026-11-21T10:45:06+01:00",
            "2026-13-01T00:00:00Z",
            "2026-02-31T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-21T24:00:00Z",
            "tomorrow",
            "",
        ] {
            assert_eq!(parse_utc(bad), None, "{bad}");
        }
        assert_eq!(parse_utc(&format_utc(NOW)), Some(NOW));
        assert_eq!(
            parse_utc("2024-02-29T00:00:00Z"),
            Some(1_709_164_800),
            "a leap day"
        );
    }
}
