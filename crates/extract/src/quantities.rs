//! Amounts with units: a number (digits with separators and decimals, number words, "a dozen",
//! "1.5 million"), an optional hedge kept as qualifier ("some 60 miles"), and a unit that gives
//! the kind. Distances are normalised to km, durations to days, masses to kg.
//!
//! A number glued to letters ("S-300", "S200", "F-16") is a model name, not an amount, and
//! spans that are dates are left to the date finder. Bare numbers without unit are not exported.

use std::sync::OnceLock;

use newsmill_core::{DateMention, Quantity};
use regex::Regex;

use crate::lexicon::lexicon;

struct Unit {
    unit: &'static str,
    kind: &'static str,
    /// Factor to the kind's base unit, and that unit.
    to_base: Option<(f64, &'static str)>,
}

fn unit_of(word: &str) -> Option<Unit> {
    let w = word.to_lowercase();
    let w = w.split_whitespace().collect::<Vec<_>>().join(" ");
    let u = |unit, kind, to_base| {
        Some(Unit {
            unit,
            kind,
            to_base,
        })
    };
    match w.as_str() {
        "mile" | "miles" | "mi" => u("mile", "distance", Some((1.609344, "km"))),
        "nautical mile" | "nautical miles" => u("nautical mile", "distance", Some((1.852, "km"))),
        "kilometer" | "kilometers" | "kilometre" | "kilometres" | "km" | "kms" => {
            u("kilometre", "distance", Some((1.0, "km")))
        }
        "meter" | "meters" | "metre" | "metres" => u("metre", "distance", Some((0.001, "km"))),
        "foot" | "feet" | "ft" => u("foot", "distance", Some((0.0003048, "km"))),
        "yard" | "yards" => u("yard", "distance", Some((0.0009144, "km"))),
        "tonne" | "tonnes" | "ton" | "tons" => u("tonne", "mass", Some((1000.0, "kg"))),
        "kilogram" | "kilograms" | "kg" => u("kilogram", "mass", Some((1.0, "kg"))),
        "dollar" | "dollars" | "usd" | "us dollars" => u("USD", "money", Some((1.0, "USD"))),
        "euro" | "euros" | "eur" => u("EUR", "money", Some((1.0, "EUR"))),
        "pound" | "pounds" | "gbp" | "pounds sterling" => u("GBP", "money", Some((1.0, "GBP"))),
        "shekel" | "shekels" | "nis" => u("ILS", "money", Some((1.0, "ILS"))),
        "ruble" | "rubles" | "rouble" | "roubles" => u("RUB", "money", Some((1.0, "RUB"))),
        "%" | "percent" | "per cent" | "percentage points" => u("percent", "percent", None),
        "second" | "seconds" => u("second", "duration", Some((1.0 / 86400.0, "day"))),
        "minute" | "minutes" => u("minute", "duration", Some((1.0 / 1440.0, "day"))),
        "hour" | "hours" => u("hour", "duration", Some((1.0 / 24.0, "day"))),
        "day" | "days" => u("day", "duration", Some((1.0, "day"))),
        "week" | "weeks" => u("week", "duration", Some((7.0, "day"))),
        "month" | "months" => u("month", "duration", Some((30.4375, "day"))),
        "year" | "years" => u("year", "duration", Some((365.25, "day"))),
        "decade" | "decades" => u("decade", "duration", Some((3652.5, "day"))),
        _ => COUNT_UNITS
            .iter()
            .find(|c| **c == w)
            .and_then(|c| u(c, "count", None)),
    }
}

const COUNT_UNITS: &[&str] = &[
    "people",
    "persons",
    "personnel",
    "troops",
    "soldiers",
    "civilians",
    "officers",
    "children",
    "residents",
    "refugees",
    "fighters",
    "militants",
    "workers",
    "members",
    "employees",
    "students",
    "deaths",
    "casualties",
    "victims",
    "protesters",
    "prisoners",
    "patients",
    "cases",
    "voters",
    "jobs",
    "households",
    "families",
    "migrants",
    "passengers",
    "policemen",
    "officials",
    "diplomats",
    "journalists",
    "hostages",
    "rockets",
    "missiles",
    "strikes",
    "articles",
];

const CURRENCY_SYMBOLS: &[(&str, &str)] =
    &[("US$", "USD"), ("$", "USD"), ("£", "GBP"), ("€", "EUR")];

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let units: Vec<&str> = [
            "nautical miles?", "miles?", "mi", "kilomet(?:er|re)s?", "kms?", "met(?:er|re)s?",
            "feet", "foot", "ft", "yards?", "tonnes?", "tons?", "kilograms?", "kg", "US dollars",
            "dollars?", "USD", "euros?", "EUR", "pounds sterling", "pounds?", "GBP", "shekels?",
            "NIS", "r[ou]bles?", "percent", "per cent", "percentage points", "seconds?",
            "minutes?", "hours?", "days?", "weeks?", "months?", "years?", "decades?",
        ]
        .into_iter()
        .chain(COUNT_UNITS.iter().copied())
        .collect();
        let tens = "twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety";
        let ones = "one|two|three|four|five|six|seven|eight|nine";
        let teens = "ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen";
        let number = format!(
            r"\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?i:(?:{tens})(?:[- ](?:{ones}))?|{teens}|{ones}|a dozen|a hundred|a thousand)"
        );
        let re = format!(
            r"(?:(?P<q>(?i:some|about|around|approximately|roughly|nearly|almost|over|under|more than|less than|fewer than|at least|at most|up to|as many as|as much as|an estimated|close to|upwards of|between))\s+)?(?:(?P<vague>(?i:tens of thousands|hundreds of thousands|dozens|hundreds|thousands|millions|billions))\s+of(?-u:\b)|(?P<cur>US\$|\$|£|€)?(?P<num>{number})(?:(?P<sabbr>bn|m|k)(?-u:\b)|(?-u:\b)(?:\s+(?P<scale>hundred|thousand|million|billion|trillion)(?-u:\b))?)(?:\s*(?P<sep>-|–|—|to|and)\s*(?P<cur2>US\$|\$|£|€)?(?P<num2>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:(?P<sabbr2>bn|m|k)(?-u:\b)|(?-u:\b)(?:\s+(?P<scale2>hundred|thousand|million|billion|trillion)(?-u:\b))?))?)(?:(?:\s+|-)(?P<adj>[A-Za-z][a-z]+\s+)?(?P<unit>{units})(?-u:\b)|\s?(?P<pct>%))?",
            units = units.join("|"),
        );
        Regex::new(&re).expect("valid quantity regex")
    })
}

pub(crate) fn number_value(s: &str) -> Option<f64> {
    let digits: String = s.chars().filter(|c| *c != ',').collect();
    if let Ok(v) = digits.parse::<f64>() {
        return Some(v);
    }
    let lower = s.to_lowercase();
    let word = |w: &str| -> Option<f64> {
        let v = match w {
            "one" => 1,
            "two" => 2,
            "three" => 3,
            "four" => 4,
            "five" => 5,
            "six" => 6,
            "seven" => 7,
            "eight" => 8,
            "nine" => 9,
            "ten" => 10,
            "eleven" => 11,
            "twelve" => 12,
            "thirteen" => 13,
            "fourteen" => 14,
            "fifteen" => 15,
            "sixteen" => 16,
            "seventeen" => 17,
            "eighteen" => 18,
            "nineteen" => 19,
            "twenty" => 20,
            "thirty" => 30,
            "forty" => 40,
            "fifty" => 50,
            "sixty" => 60,
            "seventy" => 70,
            "eighty" => 80,
            "ninety" => 90,
            "a dozen" => 12,
            "a hundred" => 100,
            "a thousand" => 1000,
            _ => return None,
        };
        Some(v as f64)
    };
    if let Some(v) = word(&lower) {
        return Some(v);
    }
    let mut total = 0.0;
    for part in lower.split(['-', ' ']) {
        total += word(part)?;
    }
    Some(total)
}

/// The least number a vague plural means: "hundreds of" is at least 100.
fn vague_value(s: &str) -> Option<f64> {
    let v = match s.to_lowercase().as_str() {
        "dozens" => 24.0,
        "hundreds" => 100.0,
        "thousands" => 1e3,
        "tens of thousands" => 1e4,
        "hundreds of thousands" => 1e5,
        "millions" => 1e6,
        "billions" => 1e9,
        _ => return None,
    };
    Some(v)
}

/// Rounds to 4 significant digits, so 60 miles is 96.56 km, not 96.56064.
fn round_significant(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    let magnitude = v.abs().log10().floor() as i32;
    let factor = 10f64.powi(3 - magnitude);
    (v * factor).round() / factor
}

/// Finds quantities in `text` (byte offsets), skipping spans taken by `dates`.
pub fn find(text: &str, dates: &[DateMention]) -> Vec<Quantity> {
    let mut out = Vec::new();
    let re = pattern();
    let mut pos = 0;
    while pos <= text.len() {
        let Some(c) = re.captures_at(text, pos) else {
            break;
        };
        let Some(whole) = c.get(0) else { break };
        pos = whole.end().max(pos + 1);
        while pos < text.len() && !text.is_char_boundary(pos) {
            pos += 1;
        }
        // "£3 million and €20m" is two amounts, not a range: match again without the second.
        if let (Some(sep), Some(_)) = (c.name("sep"), c.name("num2"))
            && not_a_range(&c, sep.as_str())
        {
            if let Some(first) = re.captures_at(&text[..sep.start()], whole.start()) {
                add(text, &first, dates, &mut out);
            }
            pos = sep.end();
            continue;
        }
        add(text, &c, dates, &mut out);
    }
    out
}

/// Whether two numbers joined by `sep` are separate amounts: "and" makes a range only after
/// "between"; money on one side and a count on the other ("from £808m to 8,177 cases") is no
/// range either.
fn not_a_range(c: &regex::Captures, sep: &str) -> bool {
    let between = c
        .name("q")
        .is_some_and(|q| q.as_str().eq_ignore_ascii_case("between"));
    let unit_is_money = c
        .name("unit")
        .and_then(|u| unit_of(u.as_str()))
        .is_some_and(|u| u.kind == "money");
    let mixed = c.name("cur").is_some()
        && c.name("cur2").is_none()
        && c.name("unit").is_some()
        && !unit_is_money;
    (sep == "and" && !between) || mixed
}

/// Adds the quantity (or the two bounds of a range) that `c` matched.
fn add(text: &str, c: &regex::Captures, dates: &[DateMention], out: &mut Vec<Quantity>) {
    let Some(whole) = c.get(0) else { return };
    let Some(num) = c.name("num").or_else(|| c.name("vague")) else {
        return;
    };
    let unit_match = c.name("unit").or_else(|| c.name("pct"));
    let cur = c.name("cur").or_else(|| c.name("cur2")).map(|m| m.as_str());
    if c.name("vague").is_some() && c.name("unit").is_none() {
        return;
    }
    let qualifier = c.name("q").map(|q| q.as_str().to_lowercase());
    if unit_match.is_none() && cur.is_none() {
        return;
    }
    // A number attached to letters is a model or code ("S-300", "S200", "F-16").
    let lead = c.name("cur").map_or(num.start(), |m| m.start());
    let before = text[..lead].chars().next_back();
    let before2 = text[..lead].chars().rev().nth(1);
    if before.is_some_and(|b| b.is_alphanumeric() || b == '.' || b == '/')
        || (before.is_some_and(|b| b == '-') && before2.is_some_and(char::is_alphanumeric))
    {
        return;
    }
    if text[num.end()..].starts_with(|ch: char| ch.is_alphanumeric())
        && c.name("sabbr").is_none()
        && c.name("scale").is_none()
        && c.name("unit").is_none()
    {
        return;
    }
    if let Some(adj) = c.name("adj") {
        let a = adj.as_str().trim();
        let is_count = c
            .name("unit")
            .and_then(|u| unit_of(u.as_str()))
            .is_some_and(|u| u.kind == "count");
        if !is_count || lexicon().is_common(a) {
            return;
        }
    }
    let start = whole.start();
    let end = whole.end();
    if dates.iter().any(|d| d.start < end && start < d.end) {
        return;
    }
    let scale_of = |scale: Option<&str>| match scale {
        Some("hundred") => 1e2,
        Some("thousand" | "k") => 1e3,
        Some("million" | "m") => 1e6,
        Some("billion" | "bn") => 1e9,
        Some("trillion") => 1e12,
        _ => 1.0,
    };
    let upper = c
        .name("num2")
        .and_then(|n| number_value(n.as_str()))
        .map(|v| v * scale_of(c.name("scale2").or(c.name("sabbr2")).map(|m| m.as_str())));
    let Some(mut number) = (match c.name("vague") {
        Some(v) => vague_value(v.as_str()),
        None => number_value(num.as_str()),
    }) else {
        return;
    };
    let own_scale = c.name("scale").or(c.name("sabbr")).map(|m| m.as_str());
    // "£3-5 million": the scale printed after the range applies to both bounds.
    number *= scale_of(own_scale.or(if own_scale.is_none() {
        c.name("scale2").or(c.name("sabbr2")).map(|m| m.as_str())
    } else {
        None
    }));
    let unit = match unit_match.and_then(|u| unit_of(u.as_str())) {
        Some(u) => u,
        None => {
            let code = CURRENCY_SYMBOLS
                .iter()
                .find(|(s, _)| Some(*s) == cur)
                .map_or("USD", |(_, code)| code);
            Unit {
                unit: code,
                kind: "money",
                to_base: Some((1.0, code)),
            }
        }
    };
    // "a 31-year-old man": an age, not a duration.
    let (unit, end) = match text[end..]
        .strip_prefix("-old")
        .or(text[end..].strip_prefix(" old"))
    {
        Some(rest) if unit.unit == "year" && !rest.starts_with(char::is_alphabetic) => (
            Unit {
                unit: "year",
                kind: "age",
                to_base: None,
            },
            text.len() - rest.len(),
        ),
        _ => (unit, end),
    };
    // "$5 million dollars" keeps the symbol's currency.
    let (normalized, normalized_unit) = match unit.to_base {
        Some((factor, base)) => (
            Some(round_significant(number * factor)),
            Some(base.to_string()),
        ),
        None => (None, None),
    };
    let row = |number: f64, qualifier: Option<String>| Quantity {
        text: text[start..end].to_string(),
        number,
        unit: unit.unit.to_string(),
        kind: unit.kind.to_string(),
        normalized: unit
            .to_base
            .map(|(factor, _)| round_significant(number * factor)),
        normalized_unit: normalized_unit.clone(),
        qualifier,
        start,
        end,
    };
    let _ = normalized;
    match upper {
        // A range is two rows over the same words: its lower ("from") and upper ("to")
        // bound.
        Some(high) => {
            out.push(row(number, Some("from".to_string())));
            out.push(row(high, Some("to".to_string())));
        }
        None => {
            let hedge = match c.name("vague") {
                Some(v) => Some(format!("{} of", v.as_str().to_lowercase())),
                None => qualifier,
            };
            out.push(row(number, hedge));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_with_units_and_hedges() {
        let text = "some 60 miles away, 85 kilometers, $1.5 million, 14 personnel, a two-hour talk, 12.5% and the S-300 or S200.";
        let q = find(text, &[]);
        let got: Vec<(&str, f64, &str, Option<f64>)> = q
            .iter()
            .map(|q| (q.text.as_str(), q.number, q.unit.as_str(), q.normalized))
            .collect();
        assert_eq!(
            got,
            [
                ("some 60 miles", 60.0, "mile", Some(96.56)),
                ("85 kilometers", 85.0, "kilometre", Some(85.0)),
                ("$1.5 million", 1.5e6, "USD", Some(1.5e6)),
                ("14 personnel", 14.0, "personnel", None),
                ("two-hour", 2.0, "hour", Some(0.08333)),
                ("12.5%", 12.5, "percent", None),
            ]
        );
        assert_eq!(q[0].qualifier.as_deref(), Some("some"));
    }

    fn probe(text: &str) -> Vec<(String, f64, String, Option<String>)> {
        find(text, &[])
            .into_iter()
            .map(|q| (q.text, q.number, q.unit, q.qualifier))
            .collect()
    }

    #[test]
    fn ranges_and_vague_amounts() {
        let got =
            probe("a 5-10 km walk, between 20 and 30 miles, hundreds of people and £3-5 million.");
        let got: Vec<(&str, f64, &str, Option<&str>)> = got
            .iter()
            .map(|(t, n, u, q)| (t.as_str(), *n, u.as_str(), q.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("5-10 km", 5.0, "kilometre", Some("from")),
                ("5-10 km", 10.0, "kilometre", Some("to")),
                ("between 20 and 30 miles", 20.0, "mile", Some("from")),
                ("between 20 and 30 miles", 30.0, "mile", Some("to")),
                ("hundreds of people", 100.0, "people", Some("hundreds of")),
                ("£3-5 million", 3e6, "GBP", Some("from")),
                ("£3-5 million", 5e6, "GBP", Some("to")),
            ]
        );
    }

    #[test]
    fn ages_are_not_durations() {
        let found = find("A 31-year-old man served two years.", &[]);
        let got: Vec<(&str, &str)> = found
            .iter()
            .map(|q| (q.text.as_str(), q.kind.as_str()))
            .collect();
        assert_eq!(got, [("31-year-old", "age"), ("two years", "duration")]);
    }

    #[test]
    fn money_with_scale_words() {
        let got = probe("It cost $1.5bn, then £3 million and €20m, plus £250,000.");
        let got: Vec<(&str, f64, &str)> = got
            .iter()
            .map(|(t, n, u, _)| (t.as_str(), *n, u.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("$1.5bn", 1.5e9, "USD"),
                ("£3 million", 3e6, "GBP"),
                ("€20m", 2e7, "EUR"),
                ("£250,000", 250000.0, "GBP"),
            ]
        );
    }
}
