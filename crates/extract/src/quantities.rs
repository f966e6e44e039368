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
        let re = format!(
            r"(?:(?P<q>(?i:some|about|around|approximately|roughly|nearly|almost|over|under|more than|less than|fewer than|at least|at most|up to|as many as|as much as|an estimated|close to|upwards of))\s+)?(?P<cur>US\$|\$|£|€)?(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?i:(?:{tens})(?:[- ](?:{ones}))?|{teens}|{ones}|a dozen|a hundred|a thousand))\b(?:\s+(?P<scale>hundred|thousand|million|billion|trillion)\b|(?P<sabbr>m|bn|k)\b)?(?:(?:\s+|-)(?P<adj>[A-Za-z][a-z]+\s+)?(?P<unit>{})\b|\s?(?P<pct>%))?",
            units.join("|")
        );
        Regex::new(&re).expect("valid quantity regex")
    })
}

fn number_value(s: &str) -> Option<f64> {
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
    for c in pattern().captures_iter(text) {
        let (Some(whole), Some(num)) = (c.get(0), c.name("num")) else {
            continue;
        };
        let unit_match = c.name("unit").or_else(|| c.name("pct"));
        let cur = c.name("cur").map(|m| m.as_str());
        if unit_match.is_none() && cur.is_none() {
            continue;
        }
        // A number attached to letters is a model or code ("S-300", "S200", "F-16").
        let lead = c.name("cur").map_or(num.start(), |m| m.start());
        let before = text[..lead].chars().next_back();
        let before2 = text[..lead].chars().rev().nth(1);
        if before.is_some_and(|b| b.is_alphanumeric() || b == '.' || b == '/')
            || (before.is_some_and(|b| b == '-') && before2.is_some_and(char::is_alphanumeric))
        {
            continue;
        }
        if text[num.end()..].starts_with(|ch: char| ch.is_alphanumeric())
            && c.name("sabbr").is_none()
            && c.name("scale").is_none()
            && c.name("unit").is_none()
        {
            continue;
        }
        if let Some(adj) = c.name("adj") {
            let a = adj.as_str().trim();
            let is_count = c
                .name("unit")
                .and_then(|u| unit_of(u.as_str()))
                .is_some_and(|u| u.kind == "count");
            if !is_count || lexicon().is_common(a) {
                continue;
            }
        }
        let start = whole.start();
        let end = whole.end();
        if dates.iter().any(|d| d.start < end && start < d.end) {
            continue;
        }
        let Some(mut number) = number_value(num.as_str()) else {
            continue;
        };
        number *= match c
            .name("scale")
            .map(|m| m.as_str())
            .or(c.name("sabbr").map(|m| m.as_str()))
        {
            Some("hundred") => 1e2,
            Some("thousand" | "k") => 1e3,
            Some("million" | "m") => 1e6,
            Some("billion" | "bn") => 1e9,
            Some("trillion") => 1e12,
            _ => 1.0,
        };
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
        // "$5 million dollars" keeps the symbol's currency.
        let (normalized, normalized_unit) = match unit.to_base {
            Some((factor, base)) => (
                Some(round_significant(number * factor)),
                Some(base.to_string()),
            ),
            None => (None, None),
        };
        out.push(Quantity {
            text: text[start..end].to_string(),
            number,
            unit: unit.unit.to_string(),
            kind: unit.kind.to_string(),
            normalized,
            normalized_unit,
            qualifier: c.name("q").map(|q| q.as_str().to_lowercase()),
            start,
            end,
        });
    }
    out
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
}
