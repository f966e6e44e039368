//! Renders the report as one HTML page with its CSS, SVG charts and script inline. A content
//! security policy forbids every network load, so the page is the same offline and online.

use std::fmt::Write;

use newsmill_core::{RunInfo, StageReport};

use super::topk::TopK;
use super::{Aggregates, ClusterInfo, Rejected};

/// Rows shown per top list.
const SHOWN: usize = 15;
const SHOWN_CLUSTERS: usize = 8;

const STYLE: &str = r#"
:root { --ink: #1d2733; --muted: #5b6b7c; --line: #d9e0e7; --bg: #f6f8fa; --kept: #2f7d5b;
  --dup: #c28a16; --rej: #b8443a; --bar: #3c6e9f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
header { background: var(--ink); color: #fff; padding: 20px 32px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #c6d2de; font-size: 13px; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 32px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px;
  margin: 16px 0; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 12px 0 6px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; margin-bottom: 12px; }
.card { flex: 1 1 150px; border: 1px solid var(--line); border-radius: 6px; padding: 10px 14px; }
.card b { display: block; font-size: 26px; }
.card span { color: var(--muted); font-size: 13px; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(330px, 1fr)); gap: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: var(--bg); cursor: pointer; user-select: none; white-space: nowrap; }
th.sorted-asc::after { content: " ▲"; } th.sorted-desc::after { content: " ▼"; }
th.n, td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.muted { color: var(--muted); }
.passage { color: var(--muted); font-style: italic; }
details { border-top: 1px solid var(--line); padding: 6px 0; }
summary { cursor: pointer; }
code { font-size: 12px; background: var(--bg); padding: 1px 4px; border-radius: 3px; }
svg text { font: 12px system-ui, sans-serif; fill: var(--ink); }
.note { font-size: 12px; color: var(--muted); }
"#;

/// Sortable tables, and a marker proving the script ran without an exception (the browser
/// test looks for it in the rendered DOM).
const SCRIPT: &str = r#"
(function () {
  'use strict';
  function cellValue(row, index) {
    var cell = row.cells[index];
    var text = cell ? cell.getAttribute('data-v') || cell.textContent : '';
    var number = parseFloat(text.replace(/,/g, ''));
    return isNaN(number) || !/^[\d.,\-]+$/.test(text.trim()) ? text.toLowerCase() : number;
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    var heads = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(heads, function (th, index) {
      th.addEventListener('click', function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var ascending = !th.classList.contains('sorted-asc');
        Array.prototype.forEach.call(heads, function (h) {
          h.classList.remove('sorted-asc', 'sorted-desc');
        });
        th.classList.add(ascending ? 'sorted-asc' : 'sorted-desc');
        rows.sort(function (a, b) {
          var x = cellValue(a, index), y = cellValue(b, index);
          var order = x < y ? -1 : x > y ? 1 : 0;
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  });
  var ok = document.createElement('div');
  ok.id = 'report-ready';
  ok.hidden = true;
  document.body.appendChild(ok);
})();
"#;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(ch),
        }
    }
    out
}

/// 1234567 → "1,234,567".
fn num(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A tracked count; "≤" when part of it may belong to keys it replaced (see `topk`).
fn count<E>(counted: &super::topk::Counted<E>) -> String {
    match counted.error {
        0 => num(counted.count),
        _ => format!("≤ {}", num(counted.count)),
    }
}

fn ratio(x: f64) -> String {
    crate::cells::ratio(x)
}

pub fn render(agg: &Aggregates, run: &RunInfo) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; \
         style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>newsmill report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <header><h1>newsmill report</h1><p>newsmill {} · started {} · {:.1} s · {} threads · config <code>{}</code></p></header>\n<main>\n",
        esc(&run.version),
        esc(&run.started),
        run.seconds,
        run.threads,
        esc(if run.config_path.is_empty() {
            "built-in default"
        } else {
            &run.config_path
        }),
    );
    funnel(&mut page, agg, run);
    stages(&mut page, &run.stages);
    cleaning(&mut page, agg, &run.stages);
    clusters(
        &mut page,
        "Largest duplicate clusters",
        "Copies of one article (syndication, re-scrapes, light edits), with the kept copy and \
         how similar each copy is to it.",
        &agg.clusters[0],
    );
    clusters(
        &mut page,
        "Largest story clusters",
        "Different articles sharing passages (quotes from one interview, one press release).",
        &agg.clusters[1],
    );
    entities(&mut page, agg);
    speakers(&mut page, agg);
    rejected(&mut page, agg, run);
    let _ = write!(
        page,
        "<p class=\"note\">Lists are the top entries of each kind; the full tables are in the \
         CSV, xlsx and SQLite outputs. run.json has every count.</p>\n</main>\n\
         <script>{SCRIPT}</script>\n</body>\n</html>\n"
    );
    page
}

fn card(page: &mut String, value: u64, label: &str) {
    let _ = write!(
        page,
        "<div class=\"card\"><b>{}</b><span>{}</span></div>",
        num(value),
        esc(label)
    );
}

/// A horizontal bar chart: one labelled bar per `(label, value, colour)`.
fn bars(page: &mut String, items: &[(String, u64, &str)]) {
    let max = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let row = 26;
    let height = row * items.len() + 4;
    let _ = write!(
        page,
        "<svg role=\"img\" viewBox=\"0 0 760 {height}\" width=\"100%\" \
         preserveAspectRatio=\"xMinYMin meet\">"
    );
    for (i, (label, value, colour)) in items.iter().enumerate() {
        let y = i * row + 2;
        let width = (*value as f64 / max as f64 * 480.0).max(if *value > 0 { 2.0 } else { 0.0 });
        let _ = write!(
            page,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"200\" y=\"{y}\" width=\"{width:.1}\" \
             height=\"18\" rx=\"3\" fill=\"{colour}\"/><text x=\"{:.1}\" y=\"{}\">{}</text>",
            y + 14,
            esc(label),
            206.0 + width,
            y + 14,
            num(*value)
        );
    }
    page.push_str("</svg>\n");
}

fn funnel(page: &mut String, agg: &Aggregates, run: &RunInfo) {
    let input_rejections = run.rejections.len() as u64;
    let duplicates = agg.marked_duplicates + agg.dropped_duplicates;
    let unique = agg.articles - agg.marked_duplicates;
    let rejected = agg.rejected_documents + input_rejections;
    page.push_str(
        "<section id=\"funnel\"><h2>What happened to the inputs</h2><div class=\"cards\">",
    );
    card(page, run.inputs.len() as u64, "input files");
    card(page, run.documents, "documents read");
    card(page, agg.articles, "articles written");
    card(page, duplicates, "duplicates");
    card(page, rejected, "rejected");
    page.push_str("</div>\n");
    bars(
        page,
        &[
            (
                "inputs read".into(),
                run.documents + input_rejections,
                "var(--bar)",
            ),
            ("unique articles".into(), unique, "var(--kept)"),
            (
                "duplicates kept, marked".into(),
                agg.marked_duplicates,
                "var(--dup)",
            ),
            (
                "duplicates dropped".into(),
                agg.dropped_duplicates,
                "var(--dup)",
            ),
            (
                "rejected documents".into(),
                agg.rejected_documents,
                "var(--rej)",
            ),
            ("rejected inputs".into(), input_rejections, "var(--rej)"),
        ],
    );
    page.push_str("</section>\n");
}

fn stages(page: &mut String, stages: &[StageReport]) {
    page.push_str(
        "<section id=\"stages\"><h2>Stages</h2><table class=\"sortable\"><thead><tr>\
         <th class=\"n\">#</th><th>stage</th><th class=\"n\">in</th><th class=\"n\">kept</th><th class=\"n\">dropped</th><th class=\"n\">errors</th>\
         <th class=\"n\">seconds</th><th>kept share</th></tr></thead><tbody>\n",
    );
    for stage in stages {
        let dropped: u64 = stage.dropped.values().sum();
        let reasons = stage
            .dropped
            .iter()
            .map(|(reason, n)| format!("{} {}", esc(reason), num(*n)))
            .collect::<Vec<_>>()
            .join(", ");
        let share = if stage.input > 0 {
            stage.kept as f64 / stage.input as f64
        } else {
            0.0
        };
        let _ = writeln!(
            page,
            "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
             <td class=\"n\" data-v=\"{dropped}\">{}{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2}</td>\
             <td data-v=\"{share:.4}\"><svg viewBox=\"0 0 120 12\" width=\"120\" height=\"12\">\
             <rect width=\"120\" height=\"12\" fill=\"#e6ebf0\"/><rect width=\"{:.1}\" height=\"12\" \
             fill=\"#2f7d5b\"/></svg></td></tr>",
            stage.index,
            esc(&stage.kind),
            num(stage.input),
            num(stage.kept),
            num(dropped),
            if reasons.is_empty() {
                String::new()
            } else {
                format!(" <span class=\"muted\">({reasons})</span>")
            },
            num(stage.errors),
            stage.apply_seconds + stage.observe_seconds + stage.decide_seconds,
            share * 120.0
        );
    }
    page.push_str("</tbody></table></section>\n");
}

fn cleaning(page: &mut String, agg: &Aggregates, stages: &[StageReport]) {
    let mut rules: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for stage in stages {
        for (key, n) in &stage.counters {
            if let Some(rule) = key.strip_prefix("removed:") {
                *rules.entry(rule).or_default() += n;
            }
        }
    }
    let mut rules: Vec<(&str, u64)> = rules.into_iter().collect();
    rules.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let total: u64 = rules.iter().map(|r| r.1).sum();
    let _ = write!(
        page,
        "<section id=\"cleaning\"><h2>Cleaning rules</h2><p class=\"muted\">{} lines removed \
         by {} rules.</p>",
        num(total),
        rules.len()
    );
    if rules.is_empty() {
        page.push_str("<p>No cleaning stage removed anything in this run.</p></section>\n");
        return;
    }
    let max = rules.first().map_or(1, |r| r.1.max(1));
    page.push_str(
        "<table class=\"sortable\"><thead><tr><th>rule</th><th class=\"n\">lines removed</th><th></th>\
         <th>example</th></tr></thead><tbody>\n",
    );
    for (rule, n) in rules {
        let example = agg.rule_examples.get(rule).map_or("", String::as_str);
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td data-v=\"{n}\"><svg viewBox=\"0 0 160 12\" \
             width=\"160\" height=\"12\"><rect width=\"{:.1}\" height=\"12\" fill=\"#3c6e9f\"/></svg>\
             </td><td class=\"passage\">{}</td></tr>",
            esc(rule),
            num(n),
            n as f64 / max as f64 * 160.0,
            esc(example)
        );
    }
    page.push_str("</tbody></table></section>\n");
}

fn approx_note(page: &mut String, exact: bool) {
    if !exact {
        page.push_str(
            "<p class=\"note\">This run had more distinct names than the report tracks; counts \
             shown are upper bounds (the tables have exact figures).</p>",
        );
    }
}

fn clusters(page: &mut String, title: &str, about: &str, top: &TopK<ClusterInfo>) {
    let shown: Vec<_> = top
        .top(SHOWN_CLUSTERS)
        .into_iter()
        .filter(|(_, c)| c.count > 1)
        .collect();
    let _ = write!(
        page,
        "<section class=\"clusters\"><h2>{}</h2><p class=\"muted\">{}</p>",
        esc(title),
        esc(about)
    );
    if shown.is_empty() {
        page.push_str("<p>None in this run.</p></section>\n");
        return;
    }
    for (cluster, counted) in shown {
        let info = &counted.extra;
        let _ = write!(
            page,
            "<details open><summary><b>{}</b> articles · kept copy <code>{}</code>{}</summary>",
            count(counted),
            esc(&info.representative),
            info.title
                .as_deref()
                .map(|t| format!(" — “{}”", esc(t)))
                .unwrap_or_default()
        );
        let _ = write!(
            page,
            "<p class=\"note\">cluster <code>{}</code></p><table><thead><tr><th>member</th>\
             <th class=\"n\">similarity</th><th class=\"n\">containment</th><th class=\"n\">shared shingles</th><th>longest shared \
             passage</th></tr></thead><tbody>",
            esc(cluster)
        );
        for member in &info.members {
            let _ = write!(
                page,
                "<tr><td><code>{}</code></td><td class=\"n\">{}</td><td class=\"n\">{}</td>\
                 <td class=\"n\">{}</td><td class=\"passage\">{}</td></tr>",
                esc(&member.id),
                ratio(member.similarity),
                ratio(member.containment),
                num(member.shared),
                esc(&member.passage)
            );
        }
        if counted.count > info.members.len() as u64 + 1 {
            let _ = write!(
                page,
                "<tr><td colspan=\"5\" class=\"muted\">and {} more (see clusters.csv)</td></tr>",
                num(counted.count - info.members.len() as u64 - 1)
            );
        }
        page.push_str("</tbody></table></details>\n");
    }
    approx_note(page, top.exact());
    page.push_str("</section>\n");
}

fn entities(page: &mut String, agg: &Aggregates) {
    page.push_str(
        "<section id=\"entities\"><h2>Who and what the articles name</h2><div class=\"grid\">",
    );
    for (heading, top) in [
        ("People", &agg.entities[0]),
        ("Organisations", &agg.entities[1]),
        ("Places", &agg.entities[2]),
    ] {
        let _ = write!(
            page,
            "<div><h3>{heading}</h3><table class=\"sortable\"><thead><tr><th>name</th>\
             <th class=\"n\">articles</th><th class=\"n\">mentions</th></tr></thead><tbody>"
        );
        let shown = top.top(SHOWN);
        if shown.is_empty() {
            page.push_str("<tr><td colspan=\"3\" class=\"muted\">none found</td></tr>");
        }
        for (name, counted) in shown {
            let titles = counted.extra.titles.join("; ");
            let _ = write!(
                page,
                "<tr><td>{}{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
                esc(name),
                if titles.is_empty() {
                    String::new()
                } else {
                    format!(" <span class=\"muted\">({})</span>", esc(&titles))
                },
                count(counted),
                num(counted.extra.mentions)
            );
        }
        page.push_str("</tbody></table>");
        approx_note(page, top.exact());
        page.push_str("</div>");
    }
    page.push_str("</div></section>\n");
}

fn speakers(page: &mut String, agg: &Aggregates) {
    let _ = write!(
        page,
        "<section id=\"speakers\"><h2>Most-quoted speakers</h2><p class=\"muted\">{} direct \
         quotes, {} of them without an attributed speaker.</p><table class=\"sortable\"><thead>\
         <tr><th>speaker</th><th class=\"n\">quotes</th><th>for example</th></tr></thead><tbody>",
        num(agg.quotes),
        num(agg.unattributed_quotes)
    );
    let shown = agg.speakers.top(SHOWN);
    if shown.is_empty() {
        page.push_str("<tr><td colspan=\"3\" class=\"muted\">no attributed quotes</td></tr>");
    }
    for (speaker, counted) in shown {
        let info = &counted.extra;
        let _ = write!(
            page,
            "<tr><td>{}{}</td><td class=\"n\">{}</td><td class=\"passage\">“{}” \
             <span class=\"muted\">({})</span></td></tr>",
            esc(speaker),
            info.title
                .as_deref()
                .map(|t| format!(" <span class=\"muted\">({})</span>", esc(t)))
                .unwrap_or_default(),
            count(counted),
            esc(&info.sample),
            esc(&info.article)
        );
    }
    page.push_str("</tbody></table>");
    approx_note(page, agg.speakers.exact());
    page.push_str("</section>\n");
}

fn rejected(page: &mut String, agg: &Aggregates, run: &RunInfo) {
    let total = run.rejections.len() as u64 + agg.rejected_documents;
    let _ = write!(
        page,
        "<section id=\"rejected\"><h2>Rejected inputs</h2><p class=\"muted\">{} inputs or \
         documents did not become articles.</p>",
        num(total)
    );
    if total == 0 {
        page.push_str("<p>Every input became an article or a duplicate of one.</p></section>\n");
        return;
    }
    page.push_str(
        "<table class=\"sortable\"><thead><tr><th>source</th><th>position</th><th>reason</th>\
         <th>detail</th></tr></thead><tbody>\n",
    );
    let listed = run
        .rejections
        .iter()
        .take(super::LISTED_REJECTIONS)
        .map(|r| Rejected {
            source: r.source.clone(),
            position: r.position.clone(),
            reason: r.reason.clone(),
            detail: r.detail.clone(),
        })
        .chain(agg.rejected.iter().cloned())
        .take(super::LISTED_REJECTIONS);
    let mut shown = 0u64;
    for r in listed {
        shown += 1;
        let _ = writeln!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.source),
            esc(&r.position),
            esc(&r.reason),
            esc(&r.detail)
        );
    }
    page.push_str("</tbody></table>");
    if total > shown {
        let _ = write!(
            page,
            "<p class=\"note\">The first {} of {}; rejected.csv lists them all.</p>",
            num(shown),
            num(total)
        );
    }
    page.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_groups_digits() {
        assert_eq!(
            esc("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(num(0), "0");
        assert_eq!(num(1234), "1,234");
        assert_eq!(num(1234567), "1,234,567");
    }
}
