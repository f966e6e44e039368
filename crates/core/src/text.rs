/// Converts byte offsets of one text into character offsets, in O(log n) per lookup.
///
/// Exported offsets are character offsets (what spreadsheet users and Python's `str` see);
/// Rust string searching gives byte offsets.
pub struct CharOffsets {
    /// Byte offset of every non-ASCII char boundary, with the char index at that point.
    marks: Vec<(usize, usize)>,
}

impl CharOffsets {
    pub fn new(text: &str) -> Self {
        let mut marks = Vec::new();
        let mut extra = 0usize; // bytes beyond one per char seen so far
        for (byte, ch) in text.char_indices() {
            let len = ch.len_utf8();
            if len > 1 {
                extra += len - 1;
                marks.push((byte + len, byte + len - extra));
            }
        }
        CharOffsets { marks }
    }

    /// The char offset of byte offset `byte` (which must be a char boundary).
    pub fn char_at(&self, byte: usize) -> usize {
        match self.marks.partition_point(|&(b, _)| b <= byte) {
            0 => byte,
            i => {
                let (b, c) = self.marks[i - 1];
                c + (byte - b)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn char_offsets_match_char_counts() {
        let text = "Israel’s security ‘top priority,’ says — Ryabkov…";
        let offsets = CharOffsets::new(text);
        for (byte, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(
                offsets.char_at(byte),
                text[..byte].chars().count(),
                "byte {byte}"
            );
        }
    }
}
