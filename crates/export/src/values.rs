//! Cells as typed values, for the formats that have types (xlsx, sqlite, parquet). Rows are
//! built once as text (what CSV writes); typed formats read each cell back by its column's
//! kind, so every format shows the same number the CSV does.

use crate::tables::ColumnKind;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// An empty cell: "none" in every format (a blank cell, SQL NULL, a parquet null).
    Empty,
    Text(&'a str),
    Integer(i64),
    Decimal(f64),
    Bool(bool),
}

/// The value of `cell` in a column of `kind`. A cell that does not parse as its kind stays
/// text rather than being lost (it cannot happen with the rows newsmill builds).
pub fn typed(kind: ColumnKind, cell: &str) -> Value<'_> {
    if cell.is_empty() {
        return Value::Empty;
    }
    let parsed = match kind {
        ColumnKind::Text | ColumnKind::DateTime => None,
        ColumnKind::Integer => cell.parse().ok().map(Value::Integer),
        ColumnKind::Decimal => cell
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .map(Value::Decimal),
        ColumnKind::Bool => match cell {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => None,
        },
    };
    parsed.unwrap_or(Value::Text(cell))
}

/// A calendar date and an optional wall-clock time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DateTime {
    pub year: u16,
    pub month: u8,
    pub day: u8,
    pub time: Option<(u8, u8, u8)>,
}

/// Reads the start of an ISO 8601 time: `YYYY-MM-DD`, optionally followed by `T` or a space
/// and `HH:MM[:SS]`. Fractions and the UTC offset are ignored: spreadsheets have no time
/// zones, so the time shows as written (the exact string stays in CSV and JSON Lines).
/// Anything else (RFC 2822 dates, free text) is `None` and stays text.
pub fn iso_datetime(text: &str) -> Option<DateTime> {
    let text = text.trim();
    let bytes = text.as_bytes();
    let number = |from: usize, len: usize| -> Option<u32> {
        let part = bytes.get(from..from + len)?;
        part.iter()
            .all(u8::is_ascii_digit)
            .then(|| part.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    if bytes.get(4) != Some(&b'-') || bytes.get(7) != Some(&b'-') {
        return None;
    }
    let year = number(0, 4)?;
    let month = number(5, 2)?;
    let day = number(8, 2)?;
    if !(1900..=9999).contains(&year) || !(1..=12).contains(&month) || day < 1 {
        return None;
    }
    if day > days_in_month(year, month) {
        return None;
    }
    let time = match bytes.get(10) {
        None => None,
        Some(b'T' | b't' | b' ') => {
            let hour = number(11, 2)?;
            let minute = (bytes.get(13) == Some(&b':')).then(|| number(14, 2))??;
            let second = match bytes.get(16) {
                Some(b':') => number(17, 2)?,
                _ => 0,
            };
            if hour > 23 || minute > 59 || second > 59 {
                return None;
            }
            Some((hour as u8, minute as u8, second as u8))
        }
        Some(_) => return None,
    };
    Some(DateTime {
        year: year as u16,
        month: month as u8,
        day: day as u8,
        time,
    })
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_become_values_of_their_column_kind() {
        assert_eq!(typed(ColumnKind::Integer, "42"), Value::Integer(42));
        assert_eq!(typed(ColumnKind::Decimal, "0.8765"), Value::Decimal(0.8765));
        assert_eq!(typed(ColumnKind::Decimal, "2.5e20"), Value::Decimal(2.5e20));
        assert_eq!(typed(ColumnKind::Bool, "true"), Value::Bool(true));
        assert_eq!(typed(ColumnKind::Integer, ""), Value::Empty);
        assert_eq!(typed(ColumnKind::Text, "=1+1"), Value::Text("=1+1"));
        assert_eq!(typed(ColumnKind::Integer, "n/a"), Value::Text("n/a"));
    }

    #[test]
    fn reads_iso_times_and_leaves_the_rest() {
        let day = |y, m, d, time| DateTime {
            year: y,
            month: m,
            day: d,
            time,
        };
        assert_eq!(iso_datetime("2018-05-09"), Some(day(2018, 5, 9, None)));
        assert_eq!(
            iso_datetime("2018-05-09T14:03:59+03:00"),
            Some(day(2018, 5, 9, Some((14, 3, 59))))
        );
        assert_eq!(
            iso_datetime("2018-05-09 14:03"),
            Some(day(2018, 5, 9, Some((14, 3, 0))))
        );
        assert_eq!(iso_datetime("2019-02-29"), None);
        assert_eq!(iso_datetime("Wed, 09 May 2018 14:03:59 GMT"), None);
        assert_eq!(iso_datetime("2018-05"), None);
        assert_eq!(iso_datetime("2018-05-09T25:00"), None);
        assert_eq!(iso_datetime("２０１８-05-09"), None);
    }
}
