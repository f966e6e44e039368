//! Word lists shipped with the crate (see `data/` and the README for their sources).
//!
//! They are compiled into the binary so a run never depends on files next to it, and parsed
//! once per process.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

const COUNTRIES: &str = include_str!("../data/countries.txt");
const REGIONS: &str = include_str!("../data/regions.txt");
const CITIES: &str = include_str!("../data/cities.txt");
const FIRST_NAMES: &str = include_str!("../data/first_names.txt");
const GENDERED_NAMES: &str = include_str!("../data/gendered_names.txt");
const COMMON_WORDS: &str = include_str!("../data/common_words.txt");
const DEMONYMS: &str = include_str!("../data/demonyms.tsv");
const REPORTING_VERBS: &str = include_str!("../data/reporting_verbs_en.txt");
const REPORTING_VERBS_EXTRA: &str = include_str!("../data/reporting_verbs_extra.txt");

/// Full month names, in calendar order.
pub const MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Full weekday names, Monday first (ISO 8601 order).
pub const WEEKDAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// Every full month and weekday name: words that name dates, never entities or authors.
pub fn calendar_names() -> impl Iterator<Item = &'static str> {
    MONTH_NAMES.into_iter().chain(WEEKDAY_NAMES)
}

/// What kind of place a gazetteer name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlaceKind {
    Country,
    Region,
    City,
}

pub struct Lexicon {
    places: HashMap<String, PlaceKind>,
    first_names: HashSet<String>,
    /// Given names and title words that mark a woman (`true`) or a man (`false`).
    gendered: HashMap<String, bool>,
    common_words: HashSet<String>,
    /// Nationality adjective → country.
    demonyms: HashMap<String, String>,
    reporting_verbs: HashSet<String>,
}

fn words(data: &str) -> impl Iterator<Item = &str> {
    data.lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.split_whitespace())
}

fn lines(data: &str) -> impl Iterator<Item = &str> {
    data.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

impl Lexicon {
    fn load() -> Lexicon {
        let mut places = HashMap::new();
        // Countries win over regions and cities of the same name ("Georgia", "Luxembourg").
        for (data, kind) in [
            (CITIES, PlaceKind::City),
            (REGIONS, PlaceKind::Region),
            (COUNTRIES, PlaceKind::Country),
        ] {
            for name in lines(data) {
                places.insert(name.to_string(), kind);
            }
        }
        let demonyms = lines(DEMONYMS)
            .filter_map(|l| l.split_once('\t'))
            .map(|(a, c)| (a.trim().to_string(), c.trim().to_string()))
            .collect();
        let gendered = lines(GENDERED_NAMES)
            .filter_map(|l| l.split_once(' '))
            .flat_map(|(sex, names)| {
                let female = sex == "F";
                names
                    .split_whitespace()
                    .map(move |n| (n.to_string(), female))
            })
            .collect();
        Lexicon {
            places,
            gendered,
            first_names: words(FIRST_NAMES).map(str::to_string).collect(),
            common_words: words(COMMON_WORDS).map(str::to_lowercase).collect(),
            demonyms,
            reporting_verbs: words(REPORTING_VERBS)
                .chain(words(REPORTING_VERBS_EXTRA))
                .map(str::to_lowercase)
                .collect(),
        }
    }

    /// Every gazetteer place with its kind.
    pub fn places_iter(&self) -> impl Iterator<Item = (&str, PlaceKind)> {
        self.places.iter().map(|(k, v)| (k.as_str(), *v))
    }

    /// Every nationality adjective with its country.
    pub fn demonyms_iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.demonyms.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn is_given_name(&self, word: &str) -> bool {
        self.first_names.contains(word)
    }

    /// Whether a given name or title word marks a woman (`Some(true)`) or a man
    /// (`Some(false)`); `None` when it tells neither (unknown, or given to both).
    pub fn marks_female(&self, word: &str) -> Option<bool> {
        self.gendered.get(word).copied()
    }

    pub fn first_names_iter(&self) -> impl Iterator<Item = &str> {
        self.first_names.iter().map(String::as_str)
    }

    pub fn place(&self, name: &str) -> Option<PlaceKind> {
        self.places.get(name).copied()
    }

    /// Whether `word` (any case) is a common English word.
    pub fn is_common(&self, word: &str) -> bool {
        if word.bytes().all(|b| b.is_ascii_lowercase()) {
            return self.common_words.contains(word);
        }
        self.common_words.contains(&word.to_lowercase())
    }

    /// The country a nationality adjective refers to ("Russian" → "Russia").
    pub fn demonym_country(&self, word: &str) -> Option<&str> {
        self.demonyms.get(word).map(String::as_str)
    }

    pub fn is_reporting_verb(&self, word: &str) -> bool {
        self.reporting_verbs.contains(word)
    }
}

pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(Lexicon::load)
}
