//! Lines and line ends whose information belongs in metadata: bylines, contributor notes and
//! photo credits.

use std::sync::LazyLock;

use regex::Regex;

use crate::rules::{spaced_words, word_count};

/// Words that may appear in lowercase inside a name or an outlet ("Voice of America",
/// "Ursula von der Leyen", "Amos Ben Gershom and Jane Doe").
const NAME_JOINERS: &[&str] = &[
    "and", "&", "of", "the", "de", "van", "von", "der", "den", "da", "di", "du", "al", "el", "bin",
    "ibn", "la", "le", "for", "y", "|", "-", "–", "—", "at", "in",
];

fn is_name_token(token: &str) -> bool {
    let token = token.trim_matches([',', ';', '(', ')']);
    if token.is_empty() || NAME_JOINERS.contains(&token.to_lowercase().as_str()) {
        return true;
    }
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_uppercase() || c.is_numeric() || c == '@')
}

/// "By Batya Jerenberg, World Israel News", "BY JANE DOE", "Jane Doe | Reuters".
pub fn is_byline(line: &str) -> bool {
    let words = word_count(line);
    if words > 14 || line.ends_with(['!', '?', ':']) {
        return false;
    }
    // A sentence ending in a full stop is prose, unless the stop ends an initial ("Jr.").
    if line.ends_with('.')
        && line
            .rsplit(' ')
            .next()
            .is_none_or(|w| w.chars().count() > 3)
    {
        return false;
    }
    let mut tokens = line.split_whitespace();
    if let Some(first) = tokens.next()
        && matches!(first, "By" | "BY" | "by")
    {
        let rest: Vec<&str> = tokens.collect();
        return !rest.is_empty()
            && rest
                .first()
                .is_some_and(|t| t.chars().next().is_some_and(char::is_uppercase))
            && rest.iter().all(|t| is_name_token(t));
    }
    // "NAME | Outlet": a name of two to four words, a bar, an outlet of one to five words.
    if let Some((name, outlet)) = line.split_once(" | ") {
        let name_words = word_count(name);
        let outlet_words = word_count(outlet);
        return (2..=4).contains(&name_words)
            && (1..=5).contains(&outlet_words)
            && !outlet.contains(" | ")
            && name
                .split_whitespace()
                .chain(outlet.split_whitespace())
                .all(is_name_token);
    }
    false
}

static CONTRIBUTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?P<names>.+?)\s+(?:also\s+)?contributed\s+(?:to\s+)?(?:this\s+|the\s+)?(?:report|story|article|reporting|coverage)(?:ing)?\b[^.]*\.?$")
        .expect("valid contributor pattern")
});
static REPORTING_BY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:additional|further|with)?\s*(?:reporting|writing)\s+by\s+(?P<names>.+)$")
        .expect("valid reporting-by pattern")
});
static NAME_SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*(?:,\s*and\s+|,\s*|\s+and\s+|\s*&\s*)").expect("valid name separator")
});
static NAME_PREFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?:the\s+)?(?:(?:associated press|ap|reuters|afp|staff|jta|times of israel)\s+)?(?:staff\s+)?(?:writers?|reporters?|correspondents?|photographers?)\s+")
        .expect("valid name prefix")
});
static NAME_PLACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+(?:in|from)\s+[A-Z].*$").expect("valid name place suffix"));

/// "contributed", "reporting" or "writing", in one pass over the line.
static CONTRIBUTOR_WORDS: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::new([
        "ontribut", "eporting", "riting", "ONTRIBUT", "EPORTING", "RITING",
    ])
    .expect("valid contributor words")
});

/// The names in a contributor note, or `None` if the line is not one.
pub fn contributors(line: &str) -> Option<Vec<String>> {
    // Every form says "contributed", "reporting" or "writing": look for those bytes first.
    // (The first letter may be either case; a line in capitals is caught by the second form.)
    if spaced_words(line) > 30 || !CONTRIBUTOR_WORDS.is_match(line) {
        return None;
    }
    let names = if let Some(c) = CONTRIBUTED.captures(line) {
        c.name("names")?.as_str().to_string()
    } else if let Some(c) = REPORTING_BY.captures(line) {
        // "Reporting by A and B; Editing by C": only the reporters contributed.
        let names = c.name("names")?.as_str();
        names
            .split(';')
            .next()
            .unwrap_or(names)
            .trim_end_matches('.')
            .to_string()
    } else {
        return None;
    };
    let found: Vec<String> = NAME_SPLIT
        .split(&names)
        .map(|n| NAME_PREFIX.replace(n.trim(), "").to_string())
        .map(|n| NAME_PLACE.replace(&n, "").trim().to_string())
        .filter(|n| !n.is_empty())
        .collect();
    // Every piece must look like a name, or this is a sentence that happens to match.
    let plausible = !found.is_empty()
        && found.iter().all(|n| {
            let words = word_count(n);
            (1..=5).contains(&words) && n.split_whitespace().all(is_name_token)
        });
    plausible.then_some(found)
}

/// A photo credit cut off the end of a line.
#[derive(Debug, PartialEq, Eq)]
pub struct CreditCut {
    /// The line without the credit (empty if the line was only a credit).
    pub rest: String,
    /// The text removed from the line, as printed.
    pub cut: String,
    /// The credited name or agency ("Amos Ben Gershom/GPO").
    pub credit: String,
}

static LABELLED_CREDIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)^(?P<rest>.*?)(?P<cut>\(?\s*\b(?:photo(?:graph)?s?(?:\s+credit)?|image(?:\s+credit)?|picture|credit|courtesy(?:\s+of)?)\s*:\s*(?P<credit>[^():]{2,80}?)\s*\)?\s*\.?)\s*$")
        .expect("valid credit pattern")
});
static AGENCY_PHOTO: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?P<rest>.*?)(?P<cut>\((?P<credit>[A-Z][\w.]*\s+Photos?\s*/\s*[^()]{2,60})\))\s*$",
    )
    .expect("valid agency photo pattern")
});
static PARENTHESISED_SOURCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[.!?”\x22]\s+\((?P<credit>[^()]{2,60})\)\s*$").expect("valid source pattern")
});

fn plausible_credit(credit: &str) -> bool {
    let words = word_count(credit);
    (1..=8).contains(&words)
        && credit.chars().next().is_some_and(|c| c.is_uppercase())
        && !credit.contains(['!', '?', ';', '“', '”', '"'])
}

/// The caption can stand alone: nothing, or something that ends like a sentence.
fn caption_ends(rest: &str) -> bool {
    let rest = rest.trim_end();
    rest.is_empty() || rest.ends_with(['.', '!', '?', ')', ']', '”', '"', '’', '|', '-', '–', '—'])
}

/// Cuts a labelled credit ("Credit: NAME/AGENCY.", "Photo: ...", "(AP Photo/NAME)") off the
/// end of a caption line.
pub fn cut_credit(line: &str) -> Option<CreditCut> {
    // Cheap tests first: every credit form has a colon or ends in a parenthesis.
    if !line.contains(':') && !line.ends_with(')') {
        return None;
    }
    if spaced_words(line) > 80 {
        return None;
    }
    for pattern in [&*AGENCY_PHOTO, &*LABELLED_CREDIT] {
        if let Some(c) = pattern.captures(line) {
            let (rest, cut, credit) = (c.name("rest")?, c.name("cut")?, c.name("credit")?);
            let credit = credit.as_str().trim().trim_end_matches('.').trim();
            if plausible_credit(credit) && caption_ends(rest.as_str()) {
                let rest = rest
                    .as_str()
                    .trim_end()
                    .trim_end_matches(['|', '-', '–', '—'])
                    .trim_end();
                return Some(CreditCut {
                    rest: rest.to_string(),
                    cut: cut.as_str().trim().to_string(),
                    credit: credit.to_string(),
                });
            }
        }
    }
    None
}

/// The source printed in parentheses at the end of a caption ("... 2017. (Reuters)").
pub fn parenthesised_source(line: &str) -> Option<String> {
    if !line.ends_with(')') || spaced_words(line) > 60 {
        return None;
    }
    let c = PARENTHESISED_SOURCE.captures(line)?;
    let credit = c.name("credit")?.as_str().trim();
    (plausible_credit(credit) && !credit.contains(['.', ','])).then(|| credit.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bylines() {
        assert!(is_byline("By Batya Jerenberg, World Israel News"));
        assert!(is_byline("BY JANE DOE"));
        assert!(is_byline("Jane Doe | Reuters"));
        assert!(!is_byline(
            "By the end of the year the talks had collapsed."
        ));
        assert!(!is_byline("By Tuesday, the talks had collapsed"));
        assert!(!is_byline("Russia | Syria"));
    }

    #[test]
    fn contributor_notes() {
        assert_eq!(
            contributors("Tovah Lazaoff contributed to this report."),
            Some(vec!["Tovah Lazaoff".into()])
        );
        assert_eq!(
            contributors(
                "Associated Press writers Jane Doe in Moscow and John Roe contributed to this report."
            ),
            Some(vec!["Jane Doe".into(), "John Roe".into()])
        );
        assert_eq!(
            contributors("Reporting by Jane Doe and John Roe; Editing by Ann Poe"),
            Some(vec!["Jane Doe".into(), "John Roe".into()])
        );
        assert_eq!(
            contributors("Many people contributed to this report's findings, officials said."),
            None
        );
    }

    #[test]
    fn credits() {
        let cut =
            cut_credit("Leaders in Moscow, on May 9, 2018. Credit: Amos Ben Gershom/GPO.").unwrap();
        assert_eq!(cut.rest, "Leaders in Moscow, on May 9, 2018.");
        assert_eq!(cut.credit, "Amos Ben Gershom/GPO");
        assert_eq!(cut.cut, "Credit: Amos Ben Gershom/GPO.");
        let cut = cut_credit("The president speaks. (AP Photo/Evan Vucci)").unwrap();
        assert_eq!(cut.credit, "AP Photo/Evan Vucci");
        assert_eq!(cut_credit("Photo: Reuters").unwrap().rest, "");
        assert_eq!(cut_credit("He was given credit: for nothing at all"), None);
        assert_eq!(
            parenthesised_source(
                "Putin say Islamic State can be defeated, November 11, 2017. (Reuters)"
            ),
            Some("Reuters".into())
        );
        assert_eq!(
            parenthesised_source("They met the guard (IRGC) on Friday."),
            None
        );
    }
}
