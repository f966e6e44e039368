//! Date mentions: a candidate finder over the text (no date-finding crate), resolved to ISO
//! values at year, month or day resolution.
//!
//! Rules, all deterministic:
//! - A mention that needs the publication date (a weekday, "last month", a day and month without
//!   a year) is `relative`; when the publication date is unknown its value stays empty.
//! - A day and month without a year, or a month alone ("in December"), take the year that puts
//!   the date nearest the publication date.
//! - A bare weekday ("on Friday", "said Monday") is the latest such day on or before publication
//!   (news reports mostly look back); "last Friday" is strictly before, "next Friday" strictly
//!   after. "last September" is the latest September before the publication month.
//! - Week-level expressions ("earlier this week", "last week") resolve to the ISO week
//!   ("2018-W30") at week resolution.
//! - Years count only in context ("in 2018", "since 2015"); a bare number is never a date.

use std::sync::OnceLock;

use chrono::{Datelike, Days, Months, NaiveDate};
use newsmill_core::{DateMention, DateResolution};
use regex::{Captures, Regex};

const MONTH: &str = r"(?:January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept\.?|Sep\.?|Oct\.?|Nov\.?|Dec\.?)";
const MONTH_FULL: &str =
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December)";
const WEEKDAY: &str = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)";
const SMALL_NUMBER: &str = r"(?:\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|a\s+few|several|a\s+couple\s+of)";

struct Patterns {
    month_day: Regex,
    day_month: Regex,
    month_year: Regex,
    month_in_context: Regex,
    iso: Regex,
    year_in_context: Regex,
    weekday: Regex,
    relative: Regex,
    ago: Regex,
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let re = |s: String| Regex::new(&s).expect("valid date regex");
        Patterns {
            month_day: re(format!(
                r"(?-u:\b)(?:(?P<wd>{WEEKDAY}),?\s+)?(?P<m>{MONTH})\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?-u:\b)(?:(?:\s*(?:and|&|-|–|to)\s*)(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?-u:\b))?(?:,?\s+(?P<y>\d{{4}})(?-u:\b))?"
            )),
            day_month: re(format!(
                r"(?-u:\b)(?:(?P<wd>{WEEKDAY}),?\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m>{MONTH})(?:,?\s+(?P<y>\d{{4}})(?-u:\b))?"
            )),
            month_year: re(format!(r"(?-u:\b)(?P<m>{MONTH})\s+(?:of\s+)?(?P<y>\d{{4}})(?-u:\b)")),
            month_in_context: re(format!(
                r"(?-u:\b)(?P<ctx>[Ii]n|[Ll]ast|[Nn]ext|[Tt]his|[Ss]ince|[Uu]ntil|[Bb]y|[Ff]rom|[Ee]arly|[Ll]ate|mid-|[Dd]uring|[Tt]hrough|[Bb]efore|[Aa]fter|[Ee]nd of|[Ss]tart of)\s*(?P<m>{MONTH_FULL})(?-u:\b)"
            )),
            iso: re(r"(?-u:\b)(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?-u:\b)".to_string()),
            // Years are found first and their context word checked by hand: a regex starting
            // with "in|to|and|…" would try a match at nearly every word of the text.
            year_in_context: re(r"(?-u:\b)(?P<y>(?:1[89]|20)\d{2})(?-u:\b)".to_string()),
            weekday: re(format!(r"(?-u:\b)(?:(?P<pre>[Ll]ast|[Nn]ext|[Tt]his)\s+)?(?P<wd>{WEEKDAY})(?-u:\b)")),
            relative: re(
                r"(?i)(?-u:\b)(?:(?P<simple>yesterday|today|tonight|tomorrow)|(?P<within>(?:earlier|later)\s+this|this|last|next|past)\s+(?P<span>week|month|year))(?-u:\b)"
                    .to_string(),
            ),
            // Run only on texts holding "ago": it starts with a number or "a", which is
            // everywhere.
            ago: re(format!(
                r"(?i)(?-u:\b)(?P<n>{SMALL_NUMBER})\s+(?P<unit>days?|weeks?|months?|years?)\s+ago(?-u:\b)"
            )),
        }
    })
}

fn month_number(m: &str) -> Option<u32> {
    let key: String = m.trim_end_matches('.').chars().take(3).collect();
    let n = match key.as_str() {
        "Jan" => 1,
        "Feb" => 2,
        "Mar" => 3,
        "Apr" => 4,
        "May" => 5,
        "Jun" => 6,
        "Jul" => 7,
        "Aug" => 8,
        "Sep" => 9,
        "Oct" => 10,
        "Nov" => 11,
        "Dec" => 12,
        _ => return None,
    };
    Some(n)
}

fn weekday_number(w: &str) -> Option<u32> {
    crate::lexicon::WEEKDAY_NAMES
        .iter()
        .position(|&n| n == w)
        .map(|i| i as u32)
}

/// A small count as printed before a date unit ("three weeks ago", "a week ago").
fn number_word(s: &str) -> Option<u64> {
    if s.eq_ignore_ascii_case("a") || s.eq_ignore_ascii_case("an") {
        return Some(1);
    }
    crate::quantities::number_value(s)
        .filter(|v| *v >= 0.0 && v.fract() == 0.0)
        .map(|v| v as u64)
}

struct Candidate {
    start: usize,
    end: usize,
    value: String,
    resolution: DateResolution,
    relative: bool,
}

fn day_value(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn month_value(y: i32, m: u32) -> String {
    format!("{y:04}-{m:02}")
}

/// The year that puts month `m` (day `d`) nearest to `published`.
fn nearest_year(published: NaiveDate, m: u32, d: u32) -> Option<NaiveDate> {
    let y = published.year();
    [y - 1, y, y + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, m, d))
        .min_by_key(|c| (c.signed_duration_since(published).num_days().abs(), *c))
}

fn full_date(
    published: Option<NaiveDate>,
    m: u32,
    d: u32,
    y: Option<&str>,
) -> Option<(String, bool)> {
    match y.and_then(|y| y.parse::<i32>().ok()) {
        Some(y) => NaiveDate::from_ymd_opt(y, m, d).map(|date| (day_value(date), false)),
        None => {
            // Reject impossible days even when the year is unknown (Feb 29 is possible).
            NaiveDate::from_ymd_opt(2000, m, d)?;
            Some((
                published
                    .and_then(|p| nearest_year(p, m, d))
                    .map(day_value)
                    .unwrap_or_default(),
                true,
            ))
        }
    }
}

fn span(c: &Captures, name: &str) -> Option<(usize, usize)> {
    c.name(name).map(|m| (m.start(), m.end()))
}

/// Finds date mentions in `text` (byte offsets), resolving relative ones against `published`.
pub fn find(text: &str, published: Option<NaiveDate>) -> Vec<DateMention> {
    let p = patterns();
    let mut out: Vec<Candidate> = Vec::new();

    for c in p.month_day.captures_iter(text) {
        let (Some(m), Some(d)) = (
            c.name("m").and_then(|m| month_number(m.as_str())),
            c.name("d").and_then(|d| d.as_str().parse::<u32>().ok()),
        ) else {
            continue;
        };
        let y = c.name("y").map(|y| y.as_str());
        let whole = c.get(0).map_or((0, 0), |w| (w.start(), w.end()));
        let first_end = if c.name("d2").is_some() {
            span(&c, "d").map_or(whole.1, |s| s.1)
        } else {
            whole.1
        };
        if let Some((value, relative)) = full_date(published, m, d, y) {
            out.push(Candidate {
                start: whole.0,
                end: first_end,
                value,
                resolution: DateResolution::Day,
                relative,
            });
        }
        if let Some((s, e)) = span(&c, "d2") {
            let d2 = text[s..e].parse::<u32>().unwrap_or(0);
            if let Some((value, relative)) = full_date(published, m, d2, y) {
                out.push(Candidate {
                    start: s,
                    end: e,
                    value,
                    resolution: DateResolution::Day,
                    relative,
                });
            }
        }
    }
    for c in p.day_month.captures_iter(text) {
        let (Some(m), Some(d)) = (
            c.name("m").and_then(|m| month_number(m.as_str())),
            c.name("d").and_then(|d| d.as_str().parse::<u32>().ok()),
        ) else {
            continue;
        };
        let whole = c.get(0).map_or((0, 0), |w| (w.start(), w.end()));
        if let Some((value, relative)) = full_date(published, m, d, c.name("y").map(|y| y.as_str()))
        {
            out.push(Candidate {
                start: whole.0,
                end: whole.1,
                value,
                resolution: DateResolution::Day,
                relative,
            });
        }
    }
    for c in p.month_year.captures_iter(text) {
        let (Some(m), Some(y)) = (
            c.name("m").and_then(|m| month_number(m.as_str())),
            c.name("y").and_then(|y| y.as_str().parse::<i32>().ok()),
        ) else {
            continue;
        };
        let whole = c.get(0).map_or((0, 0), |w| (w.start(), w.end()));
        out.push(Candidate {
            start: whole.0,
            end: whole.1,
            value: month_value(y, m),
            resolution: DateResolution::Month,
            relative: false,
        });
    }
    for c in p.month_in_context.captures_iter(text) {
        let Some(mm) = c.name("m") else { continue };
        let Some(m) = month_number(mm.as_str()) else {
            continue;
        };
        let ctx = c.name("ctx").map_or("", |x| x.as_str()).to_lowercase();
        let (start, value) = if ctx == "last" || ctx == "next" {
            let start = c.get(0).map_or(mm.start(), |w| w.start());
            let value = published.map(|p| {
                let (mut y, pm) = (p.year(), p.month());
                if ctx == "last" && m >= pm {
                    y -= 1;
                }
                if ctx == "next" && m <= pm {
                    y += 1;
                }
                month_value(y, m)
            });
            (start, value)
        } else {
            let value =
                published.and_then(|p| nearest_year(p, m, 1).map(|d| month_value(d.year(), m)));
            (mm.start(), value)
        };
        out.push(Candidate {
            start,
            end: mm.end(),
            value: value.unwrap_or_default(),
            resolution: DateResolution::Month,
            relative: true,
        });
    }
    for c in p.iso.captures_iter(text) {
        let parse = |n: &str| c.name(n).and_then(|x| x.as_str().parse::<u32>().ok());
        let (Some(y), Some(m), Some(d)) = (parse("y"), parse("m"), parse("d")) else {
            continue;
        };
        if let Some(date) = NaiveDate::from_ymd_opt(y as i32, m, d) {
            let whole = c.get(0).map_or((0, 0), |w| (w.start(), w.end()));
            out.push(Candidate {
                start: whole.0,
                end: whole.1,
                value: day_value(date),
                resolution: DateResolution::Day,
                relative: false,
            });
        }
    }
    for c in p.year_in_context.captures_iter(text) {
        let Some(y) = c.name("y") else { continue };
        if !year_context_before(&text[..y.start()]) {
            continue;
        }
        // "in 2018-19" or "in 2018,000" are not plain years.
        let next = text[y.end()..].chars().next();
        if next.is_some_and(|n| n.is_ascii_digit() || n == '-' || n == '%')
            || text[y.end()..].starts_with(",0")
        {
            continue;
        }
        let after = text[y.end()..].trim_start();
        if [
            "percent", "people", "troops", "soldiers", "km", "kilomet", "miles", "dollars",
        ]
        .iter()
        .any(|u| after.starts_with(u))
        {
            continue;
        }
        out.push(Candidate {
            start: y.start(),
            end: y.end(),
            value: y.as_str().to_string(),
            resolution: DateResolution::Year,
            relative: false,
        });
    }
    for c in p.weekday.captures_iter(text) {
        let Some(wd) = c.name("wd") else { continue };
        let Some(w) = weekday_number(wd.as_str()) else {
            continue;
        };
        if names_a_title(text, wd.start(), wd.end()) {
            continue;
        }
        let pre = c.name("pre").map(|x| x.as_str().to_lowercase());
        let start = if matches!(pre.as_deref(), Some("last" | "next")) {
            c.get(0).map_or(wd.start(), |x| x.start())
        } else {
            wd.start()
        };
        let value = published.and_then(|p| {
            let today = p.weekday().num_days_from_monday();
            let back = (today + 7 - w) % 7;
            match pre.as_deref() {
                Some("last") => {
                    p.checked_sub_days(Days::new(if back == 0 { 7 } else { back } as u64))
                }
                Some("next") => {
                    let fwd = (w + 7 - today) % 7;
                    p.checked_add_days(Days::new(if fwd == 0 { 7 } else { fwd } as u64))
                }
                _ => p.checked_sub_days(Days::new(back as u64)),
            }
        });
        out.push(Candidate {
            start,
            end: wd.end(),
            value: value.map(day_value).unwrap_or_default(),
            resolution: DateResolution::Day,
            relative: true,
        });
    }
    let has_ago = text.contains("ago") || text.contains("AGO") || text.contains("Ago");
    let ago = if has_ago {
        Some(p.ago.captures_iter(text))
    } else {
        None
    };
    for c in p
        .relative
        .captures_iter(text)
        .chain(ago.into_iter().flatten())
    {
        let whole = c.get(0).map_or((0, 0), |w| (w.start(), w.end()));
        // "Radio 4's Today programme", "told Today": a capitalised "Today" inside a sentence
        // is the programme's name.
        if c.name("simple").is_some_and(|s| s.as_str() == "Today")
            && text[..whole.0]
                .trim_end_matches([' ', '\t'])
                .chars()
                .next_back()
                .is_some_and(|ch| ch.is_alphanumeric() || ch == ',')
        {
            continue;
        }
        let (value, resolution) = relative_value(&c, published);
        out.push(Candidate {
            start: whole.0,
            end: whole.1,
            value: value.unwrap_or_default(),
            resolution,
            relative: true,
        });
    }

    // Longest candidate wins where candidates overlap; ties go to the earlier pattern.
    let mut order: Vec<usize> = (0..out.len()).collect();
    order.sort_by_key(|&i| {
        (
            out[i].start,
            std::cmp::Reverse(out[i].end - out[i].start),
            i,
        )
    });
    let mut kept: Vec<DateMention> = Vec::new();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for i in order {
        let c = &out[i];
        if taken.iter().any(|&(s, e)| c.start < e && s < c.end) {
            continue;
        }
        taken.push((c.start, c.end));
        kept.push(DateMention {
            text: text[c.start..c.end].to_string(),
            value: c.value.clone(),
            resolution: c.resolution,
            relative: c.relative,
            start: c.start,
            end: c.end,
        });
    }
    kept.sort_by_key(|d| (d.start, d.end));
    kept
}

fn relative_value(c: &Captures, published: Option<NaiveDate>) -> (Option<String>, DateResolution) {
    if let Some(s) = c.name("simple") {
        let shift: i64 = match s.as_str().to_lowercase().as_str() {
            "yesterday" => -1,
            "tomorrow" => 1,
            _ => 0,
        };
        let value = published.and_then(|p| {
            if shift < 0 {
                p.checked_sub_days(Days::new(1))
            } else {
                p.checked_add_days(Days::new(shift as u64))
            }
        });
        return (value.map(day_value), DateResolution::Day);
    }
    if let (Some(within), Some(unit)) = (c.name("within"), c.name("span")) {
        let within = within.as_str().to_lowercase();
        let shift: i32 = match within.as_str() {
            "last" | "past" => -1,
            "next" => 1,
            _ => 0,
        };
        return match unit.as_str().to_lowercase().as_str() {
            "month" => (
                published
                    .and_then(|p| shift_months(p, shift))
                    .map(|d| month_value(d.year(), d.month())),
                DateResolution::Month,
            ),
            "year" => (
                published.map(|p| format!("{:04}", p.year() + shift)),
                DateResolution::Year,
            ),
            _ => (
                published
                    .and_then(|p| {
                        if shift < 0 {
                            p.checked_sub_days(Days::new(7))
                        } else {
                            p.checked_add_days(Days::new(7 * shift as u64))
                        }
                    })
                    .map(week_value),
                DateResolution::Week,
            ),
        };
    }
    let n = c.name("n").and_then(|n| number_word(n.as_str()));
    let unit = c
        .name("unit")
        .map_or(String::new(), |u| u.as_str().to_lowercase());
    let unit = unit.trim_end_matches('s');
    let resolution = match unit {
        "month" => DateResolution::Month,
        "year" => DateResolution::Year,
        _ => DateResolution::Day,
    };
    let (Some(n), Some(p)) = (n, published) else {
        return (None, resolution);
    };
    let value = match unit {
        "day" => p.checked_sub_days(Days::new(n)).map(day_value),
        "week" => p.checked_sub_days(Days::new(n * 7)).map(day_value),
        "month" => shift_months(p, -(n.min(1200) as i32)).map(|d| month_value(d.year(), d.month())),
        _ => Some(format!("{:04}", p.year() - n.min(5000) as i32)),
    };
    (value, resolution)
}

/// Whether the word before a year makes it a date ("in 2018", "since 2015", "mid-2019").
fn year_context_before(before: &str) -> bool {
    const WORDS: &[&str] = &[
        "in", "since", "by", "until", "from", "during", "before", "after", "early", "late",
        "through", "between", "to", "and", "year", "summer", "spring", "autumn", "winter", "fall",
    ];
    if before.ends_with("mid-") {
        return true;
    }
    let trimmed = before.trim_end();
    if trimmed.len() == before.len() && !before.is_empty() {
        // Glued to the word before: not after a context word.
        return false;
    }
    let word = trimmed
        .rsplit(|c: char| !c.is_alphabetic())
        .next()
        .unwrap_or("");
    if word.len() > 7 {
        return false;
    }
    let lower = word.to_ascii_lowercase();
    if WORDS.contains(&lower.as_str()) {
        // "In"/"in" and so on, but not "IN" shouting or "iN".
        return word == lower || word[1..] == lower[1..];
    }
    // "end of 2018", "start of 2018".
    (lower == "of")
        && trimmed[..trimmed.len() - word.len()]
            .trim_end()
            .rsplit(' ')
            .next()
            .is_some_and(|w| matches!(w, "end" | "End" | "start" | "Start"))
}

/// Whether the weekday at `start..end` is part of a newspaper's or a programme's name ("the
/// Sunday Times", "Mail on Sunday", "Monday Night Football") rather than a day.
fn names_a_title(text: &str, start: usize, end: usize) -> bool {
    const TITLE_WORDS: &[&str] = &[
        "Times",
        "Telegraph",
        "Mirror",
        "Express",
        "Herald",
        "People",
        "Post",
        "Mail",
        "Independent",
        "Tribune",
        "Star",
        "Sport",
        "Observer",
        "Business",
        "Night",
        "Politics",
        "Programme",
        "Show",
        "Club",
        "Review",
        "Magazine",
        "Edition",
    ];
    let next = text[end..]
        .strip_prefix(' ')
        .and_then(|rest| rest.split(|c: char| !c.is_alphanumeric()).next())
        .unwrap_or("");
    let before = text[..start].trim_end();
    TITLE_WORDS.contains(&next)
        || before.ends_with("Mail on")
        || before.ends_with("Independent on")
        || before.ends_with("Sunday")
}

/// The ISO 8601 week of a day ("2018-W30"); its year is the ISO week-numbering year.
fn week_value(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{:04}-W{:02}", w.year(), w.week())
}

fn shift_months(p: NaiveDate, by: i32) -> Option<NaiveDate> {
    let first = NaiveDate::from_ymd_opt(p.year(), p.month(), 1)?;
    if by < 0 {
        first.checked_sub_months(Months::new(by.unsigned_abs()))
    } else {
        first.checked_add_months(Months::new(by as u32))
    }
}

/// Parses a publication date leniently: ISO 8601 ("2019-01-26", "2019-01-26T10:00:00Z"),
/// "2019/01/26", or any full date the mention finder recognises ("Jan 26, 2019",
/// "Sat, 26 Jan 2019 10:00:00 +0000").
pub fn parse_published(s: &str) -> Option<NaiveDate> {
    static SLASHED: OnceLock<Regex> = OnceLock::new();
    let slashed = SLASHED.get_or_init(|| {
        Regex::new(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})").expect("valid regex")
    });
    if let Some(c) = slashed.captures(s) {
        let n = |i: usize| c.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
        if let (Some(y), Some(m), Some(d)) = (n(1), n(2), n(3)) {
            return NaiveDate::from_ymd_opt(y as i32, m, d);
        }
    }
    find(s, None)
        .into_iter()
        .find(|d| d.resolution == DateResolution::Day && !d.relative && !d.value.is_empty())
        .and_then(|d| NaiveDate::parse_from_str(&d.value, "%Y-%m-%d").ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str, published: Option<&str>) -> Vec<(String, String)> {
        find(text, published.and_then(parse_published))
            .into_iter()
            .map(|d| (d.text, d.value))
            .collect()
    }

    #[test]
    fn absolute_dates_in_both_orders_and_ranges() {
        let v = values(
            "on May 9, 2018 and on 19 January, then January 20 and 21.",
            Some("2019-01-26"),
        );
        assert_eq!(
            v,
            [
                ("May 9, 2018".into(), "2018-05-09".into()),
                ("19 January".into(), "2019-01-19".into()),
                ("January 20".into(), "2019-01-20".into()),
                ("21".into(), "2019-01-21".into()),
            ]
        );
    }

    #[test]
    fn relative_dates_need_the_publication_date() {
        let text =
            "last Wednesday, on Friday, last September, three weeks ago, last month, in December";
        let v = values(text, Some("Sat, 26 Jan 2019 10:00:00 +0000"));
        let got: Vec<&str> = v.iter().map(|(_, v)| v.as_str()).collect();
        assert_eq!(
            got,
            [
                "2019-01-23",
                "2019-01-25",
                "2018-09",
                "2019-01-05",
                "2018-12",
                "2018-12"
            ]
        );
        for (_, value) in values(text, None) {
            assert!(value.is_empty());
        }
    }

    #[test]
    fn not_dates() {
        assert!(values("we may go; the S-300 and S-2017 tanks; 85 kilometers", None).is_empty());
        // Names of newspapers and programmes seen in BBC news text.
        let text =
            "He told the Sunday Times and the Mail on Sunday, then Radio 4's Today programme.";
        assert!(values(text, Some("2005-03-15")).is_empty());
        assert!(values("The march will go ahead, we may hear.", Some("2005-03-15")).is_empty());
    }

    #[test]
    fn weeks_resolve_to_iso_weeks() {
        let found = find(
            "Earlier this week the minister said that last week was hard. Today we vote.",
            parse_published("2018-07-26"),
        );
        let got: Vec<(&str, &str, &str)> = found
            .iter()
            .map(|d| (d.text.as_str(), d.value.as_str(), d.resolution.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("Earlier this week", "2018-W30", "week"),
                ("last week", "2018-W29", "week"),
                ("Today", "2018-07-26", "day"),
            ]
        );
    }
}
