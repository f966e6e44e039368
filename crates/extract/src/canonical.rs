//! Canonical names: one spelling per entity, computed from the name alone (no run-level state),
//! so the same person gets the same canonical name in every article and every shard.
//!
//! Person names are folded token by token to a preferred romanisation: a table of common
//! transliteration variants of given names (Sergey → Sergei, Aleksandr → Alexander,
//! Dmitriy → Dmitry, …) and the suffix rules "-skiy"/"-skii" → "-sky" and "-iy" → "-y". The
//! preferred spellings follow the forms most used by English-language wire services. Place
//! aliases ("U.S.", "US" → "United States") and nationality adjectives ("Russian" → "Russia") map
//! to the country's name.

use std::borrow::Cow;

const GIVEN_NAME_VARIANTS: &[(&str, &str)] = &[
    ("Sergey", "Sergei"),
    ("Sergej", "Sergei"),
    ("Aleksey", "Alexei"),
    ("Alexey", "Alexei"),
    ("Aleksei", "Alexei"),
    ("Andrey", "Andrei"),
    ("Nikolay", "Nikolai"),
    ("Dmitriy", "Dmitry"),
    ("Dmitri", "Dmitry"),
    ("Yuriy", "Yuri"),
    ("Yury", "Yuri"),
    ("Valeriy", "Valery"),
    ("Valeri", "Valery"),
    ("Evgeny", "Yevgeny"),
    ("Evgeniy", "Yevgeny"),
    ("Yevgeniy", "Yevgeny"),
    ("Aleksandr", "Alexander"),
    ("Alexandr", "Alexander"),
    ("Maksim", "Maxim"),
    ("Matvey", "Matvei"),
    ("Timofey", "Timofei"),
    ("Mikhayl", "Mikhail"),
    ("Lavrentiy", "Lavrenty"),
];

pub(crate) const PLACE_ALIASES: &[(&str, &str)] = &[
    ("U.S.", "United States"),
    ("US", "United States"),
    ("U.S.A.", "United States"),
    ("USA", "United States"),
    ("America", "United States"),
    ("United States of America", "United States"),
    ("UK", "United Kingdom"),
    ("U.K.", "United Kingdom"),
    ("Britain", "United Kingdom"),
    ("Great Britain", "United Kingdom"),
];

/// The preferred spelling of one name token.
fn preferred_token(token: &str) -> Cow<'_, str> {
    if let Some((_, to)) = GIVEN_NAME_VARIANTS.iter().find(|(from, _)| *from == token) {
        return Cow::Borrowed(to);
    }
    for (suffix, replacement) in [("skiy", "sky"), ("skii", "sky"), ("iy", "y")] {
        if let Some(stem) = token.strip_suffix(suffix)
            && stem.chars().count() >= 3
        {
            return Cow::Owned(format!("{stem}{replacement}"));
        }
    }
    Cow::Borrowed(token)
}

/// The canonical spelling of a person's name ("Sergey Lavrov" → "Sergei Lavrov").
pub fn canonical_person_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for (i, token) in name.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&preferred_token(token));
    }
    out
}

/// The canonical name of a place alias, if it is one.
pub fn place_alias(name: &str) -> Option<&'static str> {
    PLACE_ALIASES
        .iter()
        .find(|(a, _)| *a == name)
        .map(|(_, c)| *c)
}

/// A key under which spelling variants of one name are equal: the preferred spelling, lower
/// case, with diacritics and punctuation removed.
pub fn folding_key(name: &str) -> String {
    // The preferred spelling is folded token by token as it is made, without building it.
    let mut key = String::with_capacity(name.len());
    for (i, token) in name.split_whitespace().enumerate() {
        if i > 0 && !key.ends_with(' ') {
            key.push(' ');
        }
        for c in preferred_token(token).chars() {
            let c = match c {
                'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' => 'a',
                'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' => 'e',
                'í' | 'ì' | 'î' | 'ï' | 'Í' => 'i',
                'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ö' => 'o',
                'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ü' => 'u',
                'ç' => 'c',
                'ñ' => 'n',
                other => other,
            };
            if c.is_alphanumeric() {
                key.extend(c.to_lowercase());
            } else if c.is_whitespace() && !key.ends_with(' ') {
                key.push(' ');
            }
        }
    }
    if key.starts_with(' ') || key.ends_with(' ') {
        key.trim().to_string()
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transliteration_variants_fold_together() {
        assert_eq!(canonical_person_name("Sergey Lavrov"), "Sergei Lavrov");
        assert_eq!(canonical_person_name("Sergei Ryabkov"), "Sergei Ryabkov");
        assert_eq!(folding_key("Sergey Ryabkov"), folding_key("Sergei Ryabkov"));
        assert_eq!(canonical_person_name("Dmitriy Peskov"), "Dmitry Peskov");
        assert_eq!(folding_key("Ben-Shabbat"), "benshabbat");
    }
}
