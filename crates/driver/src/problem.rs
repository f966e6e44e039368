use std::fmt;

/// One thing wrong with a config file, located precisely enough to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    /// 1-based line and column; 0 when the problem has no single place (a missing table).
    pub line: usize,
    pub column: usize,
    /// The key it concerns, dotted: "stage[2].threshold", "input.format".
    pub key: String,
    pub message: String,
    /// Valid choices, when the key takes one of a known set.
    pub choices: Vec<String>,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: ", self.file, self.line, self.column)?;
        } else {
            write!(f, "{}: ", self.file)?;
        }
        write!(f, "{}: {}", self.key, self.message)?;
        if !self.choices.is_empty() {
            write!(f, " (valid choices: {})", self.choices.join(", "))?;
        }
        Ok(())
    }
}

/// Maps byte offsets of a source text to 1-based line and column (columns count characters).
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, line_starts }
    }

    pub fn locate(&self, byte: usize) -> (usize, usize) {
        let byte = byte.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= byte).max(1);
        let start = self.line_starts[line - 1];
        let column = self
            .text
            .get(start..byte)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        (line, column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locates_lines_and_columns() {
        let index = LineIndex::new("a = 1\n[input]\nformat = \"x\"\n");
        assert_eq!(index.locate(0), (1, 1));
        assert_eq!(index.locate(6), (2, 1));
        assert_eq!(index.locate(23), (3, 10));
    }
}
