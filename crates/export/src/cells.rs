//! Turning values into cells: formula neutralisation and fixed number formats.

use std::borrow::Cow;

/// Characters that make Excel, LibreOffice and Google Sheets treat a cell as a formula (or
/// that they strip before checking, tab and CR). OWASP's list for CSV injection.
pub const FORMULA_TRIGGERS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

/// Prefixes a text cell that a spreadsheet would evaluate with an apostrophe, which
/// spreadsheets show as a plain-text marker. Every text cell is treated alike, including ones
/// that merely look like negative numbers ("-5 degrees", "- Advertisement -"): telling a
/// harmless "-5" from "-5+cmd|..." is exactly the guess an attacker exploits. Numeric columns
/// are written as numbers and never prefixed.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A ratio in [0, 1] (similarity, containment) to exactly 4 decimals; empty when not finite.
pub fn ratio(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    let text = format!("{value:.4}");
    if text == "-0.0000" {
        "0.0000".to_string()
    } else {
        text
    }
}

/// The number a [`ratio`] cell shows, for JSON, so both outputs carry the same value.
pub fn ratio_value(value: f64) -> f64 {
    ratio(value).parse().unwrap_or(value)
}

/// An amount: at most 6 decimals with trailing zeros trimmed ("60", "96.56064"), scientific
/// notation beyond 1e15 so huge values stay short; empty when not finite.
pub fn amount(value: f64) -> String {
    if !value.is_finite() {
        return String::new();
    }
    if value.abs() >= 1e15 {
        return format!("{value:e}");
    }
    let fixed = format!("{value:.6}");
    let trimmed = fixed.trim_end_matches('0').trim_end_matches('.');
    if trimmed == "-0" {
        "0".to_string()
    } else {
        trimmed.to_string()
    }
}

/// One row under construction, cells in column order, as plain values. Each writer applies
/// its own rules (CSV neutralises formula triggers, typed formats parse numbers).
pub struct Row<'a> {
    cells: Vec<Cow<'a, str>>,
}

impl<'a> Row<'a> {
    pub fn new(width: usize) -> Self {
        Row {
            cells: Vec::with_capacity(width),
        }
    }

    /// A text cell.
    pub fn text(mut self, value: &'a str) -> Self {
        self.cells.push(Cow::Borrowed(value));
        self
    }

    pub fn owned(mut self, value: String) -> Self {
        self.cells.push(Cow::Owned(value));
        self
    }

    /// An optional text cell; `None` is empty.
    pub fn opt(self, value: Option<&'a str>) -> Self {
        self.text(value.unwrap_or(""))
    }

    /// A list joined with "; ".
    pub fn list(self, values: &[String]) -> Self {
        self.owned(values.join("; "))
    }

    /// A number or keyword.
    pub fn plain(mut self, value: impl ToString) -> Self {
        self.cells.push(Cow::Owned(value.to_string()));
        self
    }

    pub fn into_cells(self) -> Vec<Cow<'a, str>> {
        self.cells
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralizes_formula_triggers_only() {
        assert_eq!(neutralize("=SUM(A1:A9)"), "'=SUM(A1:A9)");
        assert_eq!(neutralize("@cmd"), "'@cmd");
        assert_eq!(neutralize("+1 202 555"), "'+1 202 555");
        assert_eq!(neutralize("-5"), "'-5");
        assert_eq!(neutralize("\tx"), "'\tx");
        assert_eq!(neutralize("Ryabkov said = no"), "Ryabkov said = no");
        assert_eq!(neutralize("“We in no way"), "“We in no way");
        assert_eq!(neutralize(""), "");
    }

    #[test]
    fn formats_numbers_short_and_fixed() {
        assert_eq!(ratio(1.0), "1.0000");
        assert_eq!(ratio(0.876543), "0.8765");
        assert_eq!(ratio(-0.00001), "0.0000");
        assert_eq!(ratio(f64::NAN), "");
        assert_eq!(ratio_value(0.876543), 0.8765);
        assert_eq!(amount(60.0), "60");
        assert_eq!(amount(96.56064), "96.56064");
        assert_eq!(amount(0.1 + 0.2), "0.3");
        assert_eq!(amount(-0.0000001), "0");
        assert_eq!(amount(2.5e20), "2.5e20");
        assert_eq!(amount(f64::INFINITY), "");
    }
}
