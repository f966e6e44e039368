//! Turning bytes into text: BOM, configured label, declared charset, UTF-8, detection.
//!
//! Scrapers hand over UTF-8, Windows-1252, Latin-1 and UTF-16, with or without BOM, and
//! sometimes damaged. Decoding never fails: bytes that cannot be decoded become U+FFFD and
//! are counted, so the damage is visible in the output instead of silently lost.

use encoding_rs::{DecoderResult, Encoding, UTF_8, UTF_16BE, UTF_16LE, WINDOWS_1252};
use newsmill_core::Decoding;

use crate::error::ReadError;

/// How much of a file the binary sniffer and the charset detector look at.
const SNIFF_BYTES: usize = 8 * 1024;
const DETECT_BYTES: usize = 256 * 1024;

/// Why `bytes` look like a binary file rather than text, if they do.
pub fn binary_reason(bytes: &[u8]) -> Option<String> {
    if Encoding::for_bom(bytes).is_some() {
        // UTF-16 text is full of NUL bytes; its BOM says it is text.
        return None;
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if let Some(at) = memchr::memchr(0, head) {
        return Some(format!("a NUL byte at offset {at}"));
    }
    let controls = head
        .iter()
        .filter(|&&b| {
            (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0b | 0x0c | 0x1b)) || b == 0x7f
        })
        .count();
    // Text has at most a stray control character; compressed or image data has them
    // everywhere (about one byte in eight when random).
    if head.len() >= 32 && controls * 20 > head.len() {
        return Some(format!(
            "{controls} control bytes in the first {} bytes",
            head.len()
        ));
    }
    None
}

/// The charset a page declares in its first bytes (`<meta charset=...>`, or the
/// `http-equiv` form), following the HTML rule that a declared UTF-16 means UTF-8.
pub fn declared_html_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower = head.to_ascii_lowercase();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&lower[from..], b"charset") {
        let mut i = from + found + b"charset".len();
        from = i;
        while i < lower.len() && matches!(lower[i], b' ' | b'\t' | b'\n' | b'\r') {
            i += 1;
        }
        if lower.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while i < lower.len() && matches!(lower[i], b' ' | b'\t' | b'"' | b'\'') {
            i += 1;
        }
        let start = i;
        while i < lower.len()
            && (lower[i].is_ascii_alphanumeric() || matches!(lower[i], b'-' | b'_' | b':' | b'.'))
        {
            i += 1;
        }
        if let Some(enc) = Encoding::for_label(&lower[start..i]) {
            return Some(if enc == UTF_16LE || enc == UTF_16BE {
                UTF_8
            } else {
                enc.output_encoding()
            });
        }
    }
    None
}

/// Decodes a whole document. `declared` is a charset the content itself names (HTML).
pub fn decode(
    bytes: &[u8],
    forced: Option<&'static Encoding>,
    declared: Option<&'static Encoding>,
) -> (String, Decoding) {
    let (encoding, how, body) = choose(bytes, forced, declared);
    let (text, replaced) = decode_counting(encoding, body);
    let decoding = Decoding {
        encoding: encoding.name().to_string(),
        how: how.to_string(),
        replaced,
    };
    (text, decoding)
}

/// Picks the encoding and returns the bytes to decode (without a BOM).
fn choose<'a>(
    bytes: &'a [u8],
    forced: Option<&'static Encoding>,
    declared: Option<&'static Encoding>,
) -> (&'static Encoding, &'static str, &'a [u8]) {
    let bom = Encoding::for_bom(bytes);
    if let Some(enc) = forced {
        let body = match bom {
            Some((bom_enc, len)) if bom_enc == enc => &bytes[len..],
            _ => bytes,
        };
        return (enc, "config", body);
    }
    if let Some((enc, len)) = bom {
        return (enc, "bom", &bytes[len..]);
    }
    if let Some(enc) = declared {
        return (enc, "declared", bytes);
    }
    let sample = &bytes[..bytes.len().min(DETECT_BYTES)];
    (
        detect(sample, sample.len() == bytes.len()),
        if std::str::from_utf8(bytes).is_ok() {
            "utf-8"
        } else {
            "detected"
        },
        bytes,
    )
}

/// Guesses the encoding of a sample (`complete` when it is the whole input).
pub fn detect(sample: &[u8], complete: bool) -> &'static Encoding {
    let (multibyte, invalid) = utf8_evidence(sample, complete);
    if invalid == 0 {
        return UTF_8;
    }
    // Legacy single-byte text almost never forms valid multi-byte UTF-8 sequences by accident,
    // so a sample that has several of them is UTF-8 with some damage, not Windows-1252.
    if multibyte >= invalid {
        return UTF_8;
    }
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(sample, true);
    let guess = detector.guess(None, chardetng::Utf8Detection::Deny);
    // Never guess a multi-byte legacy encoding for a few stray high bytes in ASCII text.
    if multibyte == 0 && invalid < 4 && !guess.is_single_byte() {
        WINDOWS_1252
    } else {
        guess
    }
}

/// (valid multi-byte UTF-8 characters, invalid sequences) in `bytes`. An incomplete
/// sequence at the very end of a partial sample is not counted as invalid.
fn utf8_evidence(bytes: &[u8], complete: bool) -> (usize, usize) {
    let mut multibyte = 0;
    let mut invalid = 0;
    let mut chunks = bytes.utf8_chunks().peekable();
    while let Some(chunk) = chunks.next() {
        multibyte += chunk.valid().chars().filter(|c| c.len_utf8() > 1).count();
        if !chunk.invalid().is_empty() && (complete || chunks.peek().is_some()) {
            invalid += 1;
        }
    }
    (multibyte, invalid)
}

/// Decodes `bytes` (no BOM) with `encoding`, counting replaced sequences.
pub fn decode_counting(encoding: &'static Encoding, bytes: &[u8]) -> (String, u64) {
    if encoding == UTF_8 {
        return utf8_lossy_counting(bytes);
    }
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len() * 3);
    let mut out = String::with_capacity(capacity);
    let mut replaced = 0u64;
    let mut rest = bytes;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut out, true);
        rest = rest.get(read..).unwrap_or_default();
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::Malformed(_, _) => {
                out.push('\u{FFFD}');
                replaced += 1;
            }
            DecoderResult::OutputFull => {
                let more = decoder
                    .max_utf8_buffer_length_without_replacement(rest.len())
                    .unwrap_or(rest.len() * 3);
                out.reserve(more.max(16));
            }
        }
    }
    (out, replaced)
}

/// UTF-8 decoding with one U+FFFD per invalid sequence, as `String::from_utf8_lossy`.
pub fn utf8_lossy_counting(bytes: &[u8]) -> (String, u64) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_string(), 0);
    }
    let mut out = String::with_capacity(bytes.len() + 16);
    let mut replaced = 0u64;
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            out.push('\u{FFFD}');
            replaced += 1;
        }
    }
    (out, replaced)
}

/// Decodes one whole-file document, rejecting empty and binary files. Replacements are
/// logged with the file name so damaged inputs can be found.
pub fn decode_document(
    name: &str,
    bytes: &[u8],
    forced: Option<&'static Encoding>,
    declared: Option<&'static Encoding>,
) -> Result<(String, Decoding), ReadError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(ReadError::Empty {
            path: name.to_string(),
            position: String::new(),
        });
    }
    if let Some(why) = binary_reason(bytes) {
        return Err(ReadError::Binary {
            path: name.to_string(),
            why,
        });
    }
    let (text, decoding) = decode(bytes, forced, declared);
    if text.trim().is_empty() {
        return Err(ReadError::Empty {
            path: name.to_string(),
            position: String::new(),
        });
    }
    if decoding.replaced > 0 {
        tracing::warn!(
            path = %name,
            encoding = %decoding.encoding,
            replaced = decoding.replaced,
            "Replaced undecodable bytes with U+FFFD."
        );
    }
    Ok((text, decoding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_detected() {
        let bytes = b"The caf\xe9 owner said \x93we will reopen\x94 on Monday, and the r\xe9sum\xe9 was \x96 as ever \x96 short.";
        let (text, d) = decode(bytes, None, None);
        assert_eq!(d.encoding, "windows-1252");
        assert_eq!(d.how, "detected");
        assert_eq!(d.replaced, 0);
        assert!(
            text.contains("caf\u{e9} owner said \u{201c}we will reopen\u{201d}"),
            "{text}"
        );
    }

    #[test]
    fn damaged_utf8_stays_utf8_and_counts_replacements() {
        let bytes = "Israel’s security ‘top priority,’ says “Russia” \u{2014} "
            .as_bytes()
            .iter()
            .copied()
            .chain([0xff, b'x', 0xe2, 0x80])
            .collect::<Vec<u8>>();
        let (text, d) = decode(&bytes, None, None);
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.replaced, 2);
        assert!(text.starts_with("Israel’s security"));
    }

    #[test]
    fn utf16_bom_and_forced_label() {
        let mut bytes = vec![0xff, 0xfe];
        for unit in "Café “quoted”".encode_utf16() {
            bytes.extend(unit.to_le_bytes());
        }
        assert!(binary_reason(&bytes).is_none());
        let (text, d) = decode(&bytes, None, None);
        assert_eq!(
            (text.as_str(), d.encoding.as_str(), d.how.as_str()),
            ("Café “quoted”", "UTF-16LE", "bom")
        );
        let (text, d) = decode(
            b"caf\xe9",
            Some(encoding_rs::Encoding::for_label(b"latin1").unwrap()),
            None,
        );
        assert_eq!((text.as_str(), d.how.as_str()), ("café", "config"));
    }

    #[test]
    fn declared_charset_is_found() {
        let page = br#"<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head>"#;
        assert_eq!(declared_html_charset(page), Some(WINDOWS_1252));
        assert_eq!(
            declared_html_charset(b"<meta charset='utf-16'>"),
            Some(UTF_8)
        );
        assert_eq!(declared_html_charset(b"<p>no charset here</p>"), None);
    }

    #[test]
    fn binary_is_recognised() {
        assert!(binary_reason(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").is_some());
        let noisy: Vec<u8> = (0..4096u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 1)
            .collect();
        assert!(binary_reason(&noisy).is_some());
        assert!(
            binary_reason(include_bytes!("../../../samples/000_d3f30cc8e01184eb.txt")).is_none()
        );
    }
}
