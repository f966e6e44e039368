//! Saved HTML pages: main content by Readability, metadata from the page's head.

use std::collections::HashMap;

use dom_query::{Document as Dom, NodeRef};
use newsmill_core::Document;

use crate::config::InputConfig;
use crate::decode::{declared_html_charset, decode_document};
use crate::discover::InputFile;
use crate::error::ReadError;

/// The document of a whole saved page's bytes.
pub fn html_document(
    bytes: &[u8],
    file: &InputFile,
    cfg: &InputConfig,
) -> Result<Document, ReadError> {
    let declared = declared_html_charset(bytes);
    let (html, decoding) = decode_document(&file.display, bytes, cfg.forced_encoding(), declared)?;
    if nests_deeper_than(&html, MAX_PARSE_DEPTH) {
        return Err(ReadError::TooDeep {
            path: file.display.clone(),
            limit: MAX_PARSE_DEPTH,
        });
    }
    // The page is arbitrary markup handed to third-party parsers: should one of them panic,
    // only this file is lost, as a rejection, not the run.
    let page =
        std::panic::catch_unwind(|| parse_page(&html)).map_err(|_| ReadError::NoContent {
            path: file.display.clone(),
        })?;
    if page.text.trim().is_empty() {
        return Err(ReadError::NoContent {
            path: file.display.clone(),
        });
    }
    let mut doc = Document {
        id: file.relative.clone(),
        source: file.display.clone(),
        url: page.url,
        site: page
            .site
            .clone()
            .or_else(|| file.site_dir().map(str::to_string)),
        title: page.title,
        published: page.published,
        text: page.text,
        decoding,
        ..Document::default()
    };
    doc.meta.authors = page
        .author
        .as_deref()
        .map(split_authors)
        .unwrap_or_default();
    doc.meta.byline = page.author;
    doc.meta.outlet = page.site;
    doc.meta.language = page.language;
    Ok(doc)
}

/// What newsmill takes from one page.
#[derive(Debug, Default)]
pub struct Page {
    pub title: Option<String>,
    pub author: Option<String>,
    pub published: Option<String>,
    pub url: Option<String>,
    pub site: Option<String>,
    pub language: Option<String>,
    /// Paragraphs separated by blank lines.
    pub text: String,
}

pub fn parse_page(html: &str) -> Page {
    let dom = Dom::from(html);
    // Read the head first: Readability rewrites the tree while it looks for the content.
    let metas = meta_values(&dom);
    let meta = |keys: &[&str]| keys.iter().find_map(|k| metas.get(*k).cloned());
    let attr = |selector: &str, name: &str| {
        dom.select(selector).iter().find_map(|s| {
            s.attr(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        })
    };
    let url = attr("link[rel=canonical]", "href").or_else(|| meta(&["og:url", "twitter:url"]));
    let author = meta(&[
        "author",
        "article:author",
        "dc.creator",
        "dcterms.creator",
        "parsely-author",
        "sailthru.author",
    ])
    .filter(|a| !looks_like_url(a))
    .or_else(|| text_of(&dom, "[rel=author]"));
    let published = meta(&[
        "article:published_time",
        "og:published_time",
        "og:article:published_time",
        "datepublished",
        "pubdate",
        "publishdate",
        "publish-date",
        "date",
        "dc.date",
        "dc.date.issued",
        "dcterms.date",
        "sailthru.date",
        "parsely-pub-date",
    ])
    .or_else(|| attr("time[datetime]", "datetime"));
    let site = meta(&["og:site_name", "application-name"]);
    let language = attr("html[lang]", "lang")
        .and_then(|l| l.split(['-', '_']).next().map(str::to_ascii_lowercase))
        .filter(|l| l.len() == 2 && l.chars().all(|c| c.is_ascii_alphabetic()));
    let head_title = meta(&["og:title", "twitter:title"]).or_else(|| text_of(&dom, "title"));

    let (title, byline, ld_published, ld_url, text) = if let Some(why) = too_tangled(&dom) {
        // Readability's cost grows with the page's size times its nesting depth: on markup
        // like this it would take minutes, so the whole body is read instead.
        tracing::warn!(reason = %why, "Read a page's whole body without looking for its main content.");
        (None, None, None, None, blocks_text(&dom))
    } else {
        let config = dom_smoothie::Config {
            max_elements_to_parse: 200_000,
            ..Default::default()
        };
        match dom_smoothie::Readability::with_document(dom, None, Some(config))
            .and_then(|mut r| r.parse())
        {
            Ok(article) => (
                Some(article.title).filter(|t| !t.trim().is_empty()),
                article.byline,
                article.published_time,
                article.url,
                blocks_text(&Dom::from(article.content.to_string())),
            ),
            Err(e) => {
                tracing::debug!(error = %e, "Readability found no main content; using the whole body.");
                (None, None, None, None, blocks_text(&Dom::from(html)))
            }
        }
    };
    Page {
        title: title.or(head_title).map(|t| collapse_spaces(&t)),
        author: author
            .or(byline.filter(|b| !b.trim().is_empty()))
            .map(|a| collapse_spaces(&a)),
        published: published.or(ld_published),
        url: url.or(ld_url),
        site,
        language,
        text,
    }
}

/// html5ever's tree builder checks the stack of open elements at every tag, so parsing is
/// quadratic in depth (50,000 levels take seconds, a 16 MB page of them hours): pages whose
/// tags nest deeper than this are refused before parsing.
const MAX_PARSE_DEPTH: usize = 10_000;

/// Elements that never hold others (void) or whose end tag pages often leave out: their start
/// tags do not count towards the depth estimate, nor do their end tags.
const NOT_NESTING: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "td", "th", "tr", "dt", "dd", "option", "optgroup", "tbody",
    "thead", "tfoot", "colgroup", "rb", "rt", "rp",
];

/// Whether the start and end tags of `html` nest deeper than `limit`, estimated from the tags
/// alone without building a tree (script and style contents are skipped).
fn nests_deeper_than(html: &str, limit: usize) -> bool {
    let bytes = html.as_bytes();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let open = at + offset;
        let closing = bytes.get(open + 1) == Some(&b'/');
        let name_from = open + 1 + usize::from(closing);
        let name_len = bytes[name_from..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let Some(end) = bytes[name_from..].iter().position(|&b| b == b'>') else {
            break;
        };
        let end = name_from + end;
        at = end + 1;
        if name_len == 0 || !bytes[name_from].is_ascii_alphabetic() {
            continue; // a comment, a doctype, or a stray "<"
        }
        let name = &html[name_from..name_from + name_len];
        if NOT_NESTING.iter().any(|t| t.eq_ignore_ascii_case(name)) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if bytes[end - 1] != b'/' {
            if name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style") {
                // Their contents are text, whatever "<" they hold.
                let close = format!("</{name}");
                match find_ignoring_case(&bytes[at..], close.as_bytes()) {
                    Some(found) => at += found,
                    None => break,
                }
                continue;
            }
            depth += 1;
            if depth > limit {
                return true;
            }
        }
    }
    false
}

fn find_ignoring_case(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Deeper than real pages nest (a few dozen levels); deeper is machine-made or hostile.
const MAX_READABLE_DEPTH: usize = 256;
/// The sum of all elements' depths (how many ancestor-descendant pairs there are), which is
/// what Readability's work grows with: a large real page has well under a million.
const MAX_READABLE_PAIRS: usize = 4_000_000;

/// Why the page is too deeply nested for Readability, if it is.
fn too_tangled(dom: &Dom) -> Option<String> {
    let mut pairs = 0usize;
    let mut stack = vec![(dom.root(), 0usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_READABLE_DEPTH {
            return Some(format!(
                "elements nested more than {MAX_READABLE_DEPTH} deep"
            ));
        }
        pairs += depth;
        if pairs > MAX_READABLE_PAIRS {
            return Some(format!(
                "more than {MAX_READABLE_PAIRS} element-ancestor pairs"
            ));
        }
        for child in node.children() {
            if child.is_element() {
                stack.push((child, depth + 1));
            }
        }
    }
    None
}

/// Meta tag values by lower-cased name, property or itemprop; the first tag wins.
fn meta_values(dom: &Dom) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for node in dom.select("meta").nodes() {
        let Some(content) = node.attr("content") else {
            continue;
        };
        let content = content.trim();
        if content.is_empty() {
            continue;
        }
        for key in ["name", "property", "itemprop"] {
            if let Some(k) = node.attr(key) {
                values
                    .entry(k.trim().to_ascii_lowercase())
                    .or_insert_with(|| content.to_string());
            }
        }
    }
    values
}

fn text_of(dom: &Dom, selector: &str) -> Option<String> {
    dom.select(selector).iter().find_map(|s| {
        let t = collapse_spaces(&s.text());
        (!t.is_empty()).then_some(t)
    })
}

fn looks_like_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://") || s.starts_with('/')
}

fn collapse_spaces(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// "Jane Roe and John Doe, Reuters" style author strings split into names.
fn split_authors(author: &str) -> Vec<String> {
    author
        .split([',', ';', '|'])
        .flat_map(|part| part.split(" and "))
        .map(|name| {
            name.trim()
                .trim_start_matches("By ")
                .trim_start_matches("by ")
                .trim()
        })
        .filter(|name| !name.is_empty() && !looks_like_url(name))
        .map(str::to_string)
        .collect()
}

const SKIPPED: &[&str] = &[
    "script", "style", "noscript", "template", "svg", "nav", "footer", "aside", "form", "button",
    "iframe", "head",
];

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "figure",
    "figcaption",
    "table",
    "tr",
    "td",
    "th",
    "hr",
    "address",
    "body",
];

/// The visible text as paragraphs: one per block element, whitespace inside collapsed,
/// `<br>` kept as a line break, paragraphs separated by a blank line.
pub fn blocks_text(dom: &Dom) -> String {
    enum Step<'a> {
        Enter(NodeRef<'a>),
        Leave,
    }
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, paragraphs: &mut Vec<String>| {
        let lines: Vec<String> = current
            .split('\n')
            .map(collapse_spaces)
            .filter(|l| !l.is_empty())
            .collect();
        if !lines.is_empty() {
            paragraphs.push(lines.join("\n"));
        }
        current.clear();
    };
    // An explicit stack: deeply nested pages must not overflow the call stack.
    let mut stack = vec![Step::Enter(dom.root())];
    while let Some(step) = stack.pop() {
        let node = match step {
            Step::Leave => {
                flush(&mut current, &mut paragraphs);
                continue;
            }
            Step::Enter(node) => node,
        };
        if node.is_text() {
            current.push_str(&node.text());
            continue;
        }
        let name = node
            .node_name()
            .map(|n| n.to_ascii_lowercase())
            .unwrap_or_default();
        if node.is_element() && SKIPPED.contains(&name.as_str()) {
            continue;
        }
        if name == "br" {
            current.push('\n');
            continue;
        }
        let block = BLOCKS.contains(&name.as_str());
        if block {
            flush(&mut current, &mut paragraphs);
            stack.push(Step::Leave);
        }
        for child in node.children().into_iter().rev() {
            stack.push(Step::Enter(child));
        }
    }
    flush(&mut current, &mut paragraphs);
    paragraphs.join("\n\n")
}
