//! The named line rules: what boilerplate looks like, grouped by purpose.
//!
//! Phrase rules judge only short lines (at most `max_rule_words` words, not counting a copy of
//! the headline quoted in the line): measured on labelled web pages, a phrase such as
//! "subscribe" marks boilerplate far more reliably on a short line than on a sentence of prose.
//! Patterns are case-insensitive regular expressions; most are anchored at the line start or
//! cover the whole line so that an article sentence mentioning the same words is never hit.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::{Regex, RegexSet, RegexSetBuilder};

/// One named phrase rule; `name` is what removals record ("phrase:paywall").
pub struct PhraseRule {
    pub name: &'static str,
    /// What the rule removes, for the README and `newsmill stages`.
    pub purpose: &'static str,
    /// Whether such a line means the article is over (paywall, comment form, donation
    /// appeal), as opposed to furniture that also appears inside articles (ads, links).
    /// Only a closing line may start a trailing boilerplate block.
    pub closing: bool,
    /// Only applies when no long (prose) line follows: bare navigation words such as
    /// "Comments" are only safe to drop in the page's trailing block.
    pub tail_only: bool,
    /// Only applies while no long (prose) line came before: a date on its own line belongs to
    /// the page's header there, but lower down it is part of the article (a timeline).
    pub head_only: bool,
    /// Judges lines of any length: the phrase is never article prose (a cookie notice, a
    /// copyright line), so even a long line carrying it is boilerplate.
    pub any_length: bool,
    pub patterns: &'static [&'static str],
}

const APOS: &str = "['’]";
const MIN_HTML_TAGS: usize = 5;
const MAX_WORDS_BESIDE_TAGS: usize = 10;

/// The phrase rules, in the order they are tried (the first match names the removal).
///
/// All patterns are compiled into one set and matched in one pass per line. Avoid counted
/// repetitions of wide classes (`[\w ]{1,40}`, `.{1,40}`): they blow up the set's lazy DFA
/// and the engine falls back to its slowest matcher for every line (one such pattern halved
/// the stage's throughput). `\S+(?: \S+)?` or `.+` do the same job.
pub const PHRASE_RULES: &[PhraseRule] = &[
    PhraseRule {
        name: "phrase:paywall",
        purpose: "metered-paywall notices: \"You have read 3 articles this month\", \"5 free articles left\", \"You are a loyal reader\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^you(?:APOSve| have) (?:read|viewed|reached|used|enjoyed)\b.*\b(?:articles?|stories|story|pages?|limit)\b",
            r"^you have \d+ (?:free |more |remaining )?(?:articles?|stories)\b",
            r"\b\d+ (?:free )?(?:articles?|stories) (?:left|remaining)\b",
            r"\b(?:subscribers?|members?)[ -]only\b",
            r"^this (?:article|story|content) is (?:for|only available to|reserved for|exclusive to) (?:subscribers|members)\b",
            r"\byou are a loyal\b",
            r"\bloyal (?:\w+ )?readers?\b",
        ],
    },
    PhraseRule {
        name: "phrase:subscribe",
        purpose: "register / subscribe / log-in prompts: \"Register to receive full access\", \"Subscribe now\", \"Already a subscriber?\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"\b(?:full|unlimited|unrestricted|premium) (?:digital )?access\b",
            r"\bto (?:continue|keep) reading\b",
            r"^already (?:a |an )?(?:subscriber|member|registered|have an account)\b",
            r"^(?:please )?(?:subscribe|register|sign up|sign in|log ?in)(?: now| today| here| for free| free)?[.!]?$",
            r"^(?:please )?(?:subscribe|register|sign up|sign in|log ?in) (?:to|for|now|today|with)\b",
            r"^create (?:a |an |your )?(?:free )?account\b",
            r"^sign in(?:to)? (?:to )?your\b",
            r"^(?:join|register|sign up)\s*[/|]\s*(?:sign in|log ?in)$",
        ],
    },
    PhraseRule {
        name: "phrase:appeal",
        purpose: "donation and support appeals: \"Become a part of our mission by donating today\", \"Just before you scroll on...\", \"Support our journalism\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:please )?(?:donate|give)(?: now| today| here)?[.!]?$",
            r"\bby donating\b",
            r"\bdonat(?:e|ion|ing) (?:today|now|here)\b",
            r"\bmake a (?:donation|contribution|gift)\b",
            r"\bsupport (?:our|independent|quality|local) (?:journalism|reporting|work|mission|newsroom)\b",
            r"^support us\b",
            r"^(?:fund|support|donate to) (?:this|our|the) (?:blog|site|website|newsletter|podcast|channel|work)\b",
            r"^(?:just )?before you (?:go|scroll|leave|click away|move on)\b",
            r"\bsmall favou?r to ask\b",
            r"\bbecome a (?:member|supporter|patron|donor|subscriber)\b",
            r"^thanks? (?:you )?for (?:reading|your support|supporting)\b",
            r"\b(?:funded|supported|made possible) by readers like you\b",
            r"^help (?:us )?keep \S+(?: \S+)? (?:free|independent)\b",
        ],
    },
    PhraseRule {
        name: "phrase:newsletter",
        purpose: "newsletter and alert sign-ups: \"Never miss a thing\", \"Get the best stories faster...\", \"Sign up for our newsletter\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"\b(?:sign up|subscribe|register)\b.*\b(?:newsletters?|alerts|updates)\b",
            r"^(?:our |the |daily |weekly |free |morning |evening )*newsletters?$",
            r"\b(?:to|in|into) your inbox\b",
            r"^never miss (?:a|an|another|out)\b",
            r"^get (?:the|our) (?:best|latest|top|biggest|most important)\b.*\b(?:stories|news|headlines|updates)\b",
            r"^enter (?:your )?e-?mail\b",
            r"^(?:your )?e-?mail(?: address)?:?$",
            r"^(?:join|subscribe to|get on) (?:our |the |my )?.*\b(?:newsletter|mailing list|e-?mail list)\b",
            r"^thanks? (?:you )?for (?:signing up|subscribing)\b",
            r"\bcheck your inbox\b",
            r"\bunsubscribe at any time\b",
            r"^we (?:will )?never (?:sell|share|spam)\b",
            r"^we respect your privacy\b",
            r"^don(?:APOS)?t miss (?:a|an|any|out)\b",
            r"^stay (?:connected|up[- ]to[- ]date|in touch|informed)\b",
        ],
    },
    PhraseRule {
        name: "phrase:comments",
        purpose: "comment forms: \"Leave a comment\", \"Leave a Reply\", \"Your email address will not be published\", \"Be the first to comment on ...\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^leave a (?:comment|reply)\b",
            r"^be the first to (?:comment|reply|respond)\b",
            r"\byour e-?mail(?: address)? will not be (?:published|shared|displayed)\b",
            r"\brequired fields are marked\b",
            r"^post (?:a|your) comment\b",
            r"^add (?:a |your )?comment\b",
            r"^(?:show|view|load|read|see) (?:all |more )?(?:\d+ )?comments\b",
            r"^comments? (?:are )?(?:closed|disabled)\b",
            r"^you must be logged in to (?:post a )?comment\b",
            r"^join the (?:conversation|discussion|debate)\b",
            r"^(?:cancel reply|notify me of (?:new|follow-up) (?:comments|posts)\b.*)$",
            r"^\d+ comments?:?$",
        ],
    },
    PhraseRule {
        name: "phrase:share",
        purpose: "share and social-follow links: \"Share this article\", \"Facebook Twitter Email\", \"Follow us on Twitter\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^share(?: this(?: article| story| page| post)?| on \w+| via \w+| the (?:story|article))?\s*[:!]?$",
            r"^share (?:this|on|via)\b",
            r"^share (?:the )?(?:article|story|post|page)\s*[:!]?$",
            r"^share\s*:",
            r"^(?:(?:facebook|twitter|x|whatsapp|telegram|linkedin|pinterest|reddit|messenger|flipboard|e-?mail|print|copy(?: article)? link|tweet)[\s|·•/,]*){2,}$",
            r"^(?:tweet|copy link|copy article link|print this (?:article|page))$",
            r"^follow (?:us|me|@)",
            r"\bfollow (?:us|\w+) on (?:twitter|facebook|instagram|x|linkedin|tiktok|youtube|telegram|threads|bluesky)\b",
            r"\blike us on facebook\b",
            r"\bpin (?:this|it) for later\b",
            r"\bshare (?:it |this )?with a friend\b",
            r"\bjoin (?:us|our \w+(?: \w+)?) on (?:telegram|whatsapp|facebook|twitter|x|instagram)\b",
            r"^(?:click|tap) to (?:follow|share|tweet|email|print)\b",
        ],
    },
    PhraseRule {
        name: "phrase:cookie",
        purpose: "cookie and consent notices: \"We use cookies...\", \"Accept all cookies\", \"Cookie policy\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: true,
        patterns: &[
            r"\b(?:we|this (?:site|website)|our (?:site|website)) uses? cookies\b",
            r"\bcookie (?:policy|settings|preferences|consent|notice|banner)\b",
            r"\baccept (?:all )?cookies\b",
            r"^(?:accept|reject|decline) all$",
            r"\bmanage (?:cookies|consent|(?:your )?(?:privacy )?preferences)\b",
            r"\bby (?:continuing to (?:use|browse)|using) this (?:site|website)\b",
        ],
    },
    PhraseRule {
        name: "phrase:copyright",
        purpose: "copyright lines, at any length: \"© 2025 Example Media. All rights reserved.\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: true,
        patterns: &[
            r"\ball rights reserved\b",
            r"\bcopyright\s*(?:©|\(c\))",
            r"©\s?(?:19|20)\d\d\b",
            r"^copyright\s+(?:19|20)\d\d\b",
        ],
    },
    PhraseRule {
        name: "phrase:accessibility",
        purpose: "accessibility and skip links: \"Accessibility links\", \"Skip to content\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^accessibility (?:links|help|statement|options)$",
            r"^skip to (?:the )?(?:main )?(?:content|navigation|main|article|search|footer|menu)\b",
            r"^jump to (?:the )?(?:main )?(?:content|navigation|menu)\b",
            r"^(?:open|close|toggle) (?:the )?(?:menu|navigation|search)$",
            r"^(?:main )?(?:menu|navigation)$",
        ],
    },
    PhraseRule {
        name: "phrase:banner",
        purpose: "news banners standing alone on a line: \"Breaking News\", \"Just in\", \"Live updates\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:breaking(?: news)?|just in|developing(?: story)?|live(?: updates| coverage| blog)?|news alert|exclusive|update|updated)\s*[:!.]?$",
        ],
    },
    PhraseRule {
        name: "phrase:label",
        purpose: "labels with nothing after them: \"Article source:\", \"Tags:\", \"Filed under:\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:article |story |original |image |photo |news )?(?:source|sources|via|credits?|filed under|tags|tagged(?: with| as| in)?|categories|category|posted in|published in|topics|related topics|keywords|share|search(?: for)?)\s*:$",
        ],
    },
    PhraseRule {
        name: "phrase:advertisement",
        purpose: "advertising markers: \"Advertisement\", \"Sponsored content\", \"Story continues below advertisement\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:advertisement|advertising|advert|ad|ads|sponsored(?: content| post| links?| stories)?|promoted(?: content| stories| links)?|paid (?:content|post|partner(?: content)?)|partner content|(?:story|article|content) continues below(?: (?:this )?advertisement)?|continue reading below|scroll to continue(?: with content)?)\s*[-:.]*$",
            r"^advertisement\s*[-–—:]\s*(?:continue|story continues|scroll)\b",
        ],
    },
    PhraseRule {
        name: "phrase:read-more",
        purpose: "links to other stories: \"Read more\", \"Learn more\", \"Related articles\", \"Most read\", \"Top stories\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:read more|read (?:the )?full (?:story|article)|more on this (?:story|topic)|see also|also read|read also|you (?:may|might) also (?:like|be interested in)|recommended(?: for you| stories| articles| reading)?|most (?:read|popular|viewed|shared)|trending(?: now| stories)?|top stories|editor(?:APOS)?s(?:APOS)? picks|continue reading|related (?:articles|stories|content|coverage|news|posts|links|reading))\s*[:.…»>›]*$",
            r"^more (?:stories|news|articles|videos) (?:from|on|about|like this)\b",
            r"^(?:recommended|suggested|more) (?:content|videos?|products?|resources|guides|tools|posts)\s*[:.…»>›]*$",
            r"^(?:learn more|find out more|explore more|discover more|see more|view more|more info(?:rmation)?)\s*[:.…»>›→]*$",
        ],
    },
    PhraseRule {
        name: "phrase:link-line",
        purpose: "a link to another story standing on its own line: \"Read more: <headline>\", \"Related: <headline>\", \"Click here to ...\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:read more|see also|also read|read also|related|recommended|watch|listen)\s*:",
            r"^(?:you (?:may|might) (?:also )?(?:like|enjoy)|(?:related|recommended|suggested) (?:reading|articles?|stories|posts?|content))\s*:",
            r"^click here\b",
        ],
    },
    PhraseRule {
        name: "phrase:end-section",
        purpose: "headings of the sections a page prints after its article: \"About the Author\", \"Recent Posts\", \"More From Jane\", \"Other Posts You May Enjoy\", \"Previous post\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^about the (?:author|authors|reviewer|writer|editor|contributors?|expert)\b",
            r"^(?:full bio|author bio|meet the (?:author|writer|team)|why (?:you can )?trust us\??|end of (?:the )?(?:article|story|post)|more from (?:our|the) blog\s*:?|take the next step)$",
            r"^(?:recent|latest|popular|similar|other|more|related|featured) (?:posts|articles|stories|reads|guides|blogs?|news)(?: (?:from|by|on|about) .+)?\s*[:.…]*$",
            r"^(?:recently|other (?:posts|articles|stories)) (?:from|by) \S+(?: \S+)?(?: \S+)?$",
            r"^(?:other |more )?(?:posts|articles|stories|recipes) you (?:may|might|will) (?:also )?(?:enjoy|like|love)\b",
            r"^you (?:may|might) (?:also )?(?:like|enjoy|love)\s*[:.…]*$",
            r"^related (?:topics|resources|topics (?:&|and) resources)\s*:?$",
            r"^(?:previous|next|older|newer) (?:post|article|story|entry)\b",
            r"^(?:back|return) to (?:the )?(?:blog|news|articles|all posts|top)\b",
            r"^view all (?:posts|articles|stories) by\b",
        ],
    },
    PhraseRule {
        name: "phrase:call-to-action",
        purpose: "commercial buttons alone on a line: \"Book a demo\", \"Start free trial\", \"Request a Quote\", \"Contact Us\", \"Buy now\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:get started|start (?:your |a )?(?:free )?trial|try (?:it |us |now )?(?:for )?free|start (?:for )?free|sign[- ]?up (?:for )?free)(?: today| now)?\s*[.!→»›>]*$",
            r"^(?:start|try|get|begin|claim|activate) (?:\S+ )?(?:your |a |my )?(?:free )?\d+[- ]day (?:free )?trial\b",
            r"^(?:start|get|begin|claim|activate) (?:your |a |my )?free trial\b",
            r"^try \S+(?: \S+)? (?:for )?free\b",
            r"^(?:get|download|access|claim|grab) (?:the |our |your |my |a )?(?:free )?(?:e-?book|guide|checklist|template|tools?|pdf)\b",
            r"^(?:contact us|get in touch)\b",
            r"^(?:book|schedule|request|get|claim) (?:a |an |your |my )?(?:free |personal |complimentary )?(?:demo|quote|consultation|call|estimate|information|info|session|appointment)(?: today| now)?\s*[.!→»›>]*$",
            r"^(?:check|see|view|compare|get) (?:the )?(?:latest |current |best )?(?:prices?|deals?|offers?) (?:at|on|from) \S+(?: \S+)?\s*[.!→»›>]*$",
            r"^(?:view|buy|shop|order) (?:it |now )?(?:on|at|from) \S+(?: \S+)?\s*[.!→»›>]*$",
            r"^(?:request|book|schedule|claim|get) (?:a |an |your |my )?(?:free |personal |complimentary |no-obligation )?(?:\S+ )?(?:consultation|quote|demo|audit|assessment)\b",
            r"^(?:talk|speak) (?:to|with) (?:our|an?|one of our) (?:\S+ )?(?:experts?|specialists?|advisors?|consultants?)\b",
            r"^(?:contact us|get in touch|talk to (?:us|an expert|sales)|book now|buy now|shop now|order now|subscribe now|download now|view on amazon|check (?:the )?(?:latest )?price|see (?:the )?(?:latest )?price|view deal|see deal|get (?:the )?deal|buy on amazon|shop (?:the )?(?:collection|sale))\s*[.!→»›>]*$",
        ],
    },
    PhraseRule {
        name: "phrase:disclosure",
        purpose: "affiliate and review disclosures: \"As an Amazon Associate we earn from qualifying purchases\", \"We may earn commission from links on this page\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: true,
        patterns: &[
            r"\bearns? from qualifying purchases\b",
            r"\bas an amazon associate\b",
            r"\b(?:we|i) (?:may )?(?:earn|receive|get) (?:a )?(?:small )?(?:commission|compensation)s? (?:from|for|on|when|if)\b",
            r"\bif you (?:buy|purchase|click|shop) (?:something |anything )?(?:through|via|from) (?:our |the |my |these )?(?:affiliate |retail )?links\b",
            r"^(?:affiliate |advertiser |advertising )?disclos(?:ure|ures)\s*:?$",
            r"\breader-supported\b",
            r"\bis supported by (?:commissions|our readers)\b",
            r"\b(?:chosen|selected|tested|reviewed) independently by our (?:editors|reviewers|experts|team)\b",
            r"^(?:we|our (?:editors|reviewers|experts|team)) independently (?:test|review|research|select|choose|evaluate)\b",
        ],
    },
    PhraseRule {
        name: "phrase:author-bio",
        purpose: "an author's note about the writer, at any length: \"Jane Doe is a freelance writer covering ...\", \"He is a contributing editor at ...\"",
        closing: true,
        tail_only: false,
        head_only: false,
        any_length: true,
        patterns: &[
            r"^(?-i:[A-Z][a-z'’.-]*(?: [A-Z][a-z'’.-]*)?(?: [A-Z][a-z'’.-]*)?) (?:is|was) (?:a|an|the|our) (?:\S+ )?(?:\S+ )?(?:writer|journalist|reporter|columnist|blogger|copywriter|content (?:writer|strategist|marketer|manager|specialist))\b",
        ],
    },
    PhraseRule {
        name: "phrase:post-meta",
        purpose: "post metadata on a line of its own: reading times (\"11 min read\"), \"Posted by NAME\", \"Written by NAME\"",
        closing: false,
        tail_only: false,
        head_only: false,
        any_length: false,
        patterns: &[
            r"(?:^|[|·•] ?)\d+ ?(?:min|mins|minutes?)(?: read| to read)\s*$",
            r"^(?:posted|written)(?: on| by| at|:)\s",
        ],
    },
    PhraseRule {
        name: "phrase:date",
        purpose: "a bare date above the article: \"May 20, 2025\", \"15 Dec, 2025\", \"Last Updated: Nov 4, 2025\"",
        closing: false,
        tail_only: false,
        head_only: true,
        any_length: false,
        patterns: &[
            r"^(?:(?:last )?updated|published|posted)?(?: on)?:? ?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.? \d{1,2}(?:st|nd|rd|th)?(?:,? (?:19|20)\d\d)?$",
            r"^(?:(?:last )?updated|published|posted)?(?: on)?:? ?\d{1,2}(?:st|nd|rd|th)? (?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,? (?:19|20)\d\d$",
        ],
    },
    PhraseRule {
        name: "phrase:nav-label",
        purpose: "bare navigation words in the trailing block: \"Topics\", \"Comments\", \"Related\", \"Tags\"",
        closing: false,
        tail_only: true,
        head_only: false,
        any_length: false,
        patterns: &[
            r"^(?:topics|tags|comments?|related|more|categories|see more|latest|popular|trending|recommended|more from \w+(?: \w+)?)\s*:?$",
        ],
    },
];

/// Rules that are not phrase rules but can be switched off by name all the same.
pub const STRUCTURAL_RULES: &[(&str, &str)] = &[
    (
        "phrase:user",
        "the phrases given in `extra_phrases`, on short lines",
    ),
    (
        "html-tags",
        "lines that are mostly a list of literal HTML tags (five or more tags, at most ten other words: \"You may use these HTML tags and attributes: <a href> <b> ...\"), at any length",
    ),
    (
        "title-slug",
        "a title that is a lowercase desk or CMS label of at most three words (\"update desk\"): it is replaced by the first line of the text",
    ),
    (
        "byline",
        "a byline near the top (\"By NAME, Outlet\", \"NAME | Outlet\"): moved to meta.byline",
    ),
    (
        "contributor",
        "\"X contributed to this report.\" and \"Additional reporting by X\" lines: names moved to meta.contributors",
    ),
    (
        "site-repeat",
        "lines printed on at least `site_repeat_min_docs` pages (and `site_repeat_min_share` of the pages) of the same site: menus, footers, newsletter boxes",
    ),
    (
        "body:before",
        "lines before the article: the densest run of prose lines (many words, function words, closing punctuation) is the article, and menus, headers and teasers above it go",
    ),
    (
        "body:after",
        "lines after the article: link lists, related-story blocks and footers below the densest run of prose",
    ),
    (
        "body:gap",
        "menu-like lines (links, headlines of other stories) between two blocks of prose that the body search joined into one article: a table of contents, a gallery or a product box that split it",
    ),
    (
        "body:comments",
        "the comment section: everything after the article once a comment-section opener (\"6 thoughts on …\", \"Leave a Reply\", \"Reply\") stands between it and the article",
    ),
    (
        "related",
        "related-story headlines: a line prefixed \"Read more:\", \"Related:\", \"See also:\"... followed by a headline, and the headline-like lines right under a related-content heading (\"Related stories\", \"More on this story\", \"You may also like\"): moved to meta.related",
    ),
    (
        "tail-block",
        "non-boilerplate lines sandwiched in the trailing block that starts at a closing boilerplate line (paywall, appeal, comment form) and in which boilerplate lines outnumber the others at least two to one",
    ),
    (
        "repeat-in-article",
        "an exact repeat (ignoring case and punctuation) of an earlier line of at least `repeat_min_words` words, of the line just before (4+ words), or of the title near the top",
    ),
    (
        "caption",
        "photo captions (a credit or source at the end, or a position marker such as \"(R)\" or \", left,\" with a date or no full stop at the end): moved to meta.captions",
    ),
    (
        "credit",
        "photo credits at the end of a caption (\"Credit: NAME/AGENCY.\", \"Photo: ...\", \"(AP Photo/NAME)\"): cut off into meta.credits",
    ),
];

/// Every rule name that `disable` accepts and `removed.rule` can hold.
pub fn rule_names() -> Vec<&'static str> {
    PHRASE_RULES
        .iter()
        .map(|r| r.name)
        .chain(STRUCTURAL_RULES.iter().map(|(n, _)| *n))
        .collect()
}

/// The rule names a `disable` entry switches off: one rule, or a whole family written as its
/// prefix ("body" for `body:before`, `body:after` and `body:comments`). Empty when unknown.
pub fn expand_rule_name(name: &str) -> Vec<&'static str> {
    if let Some(full) = canonical_rule_name(name) {
        return vec![full];
    }
    let family = format!("{}:", name.trim());
    rule_names()
        .into_iter()
        .filter(|n| family.len() > 1 && n.starts_with(&family) && !n.starts_with("phrase:"))
        .collect()
}

/// The recorded name for a name as the user may write it (with or without `phrase:`).
pub fn canonical_rule_name(name: &str) -> Option<&'static str> {
    let name = name.trim();
    rule_names().into_iter().find(|full| {
        *full == name
            || full
                .strip_prefix("phrase:")
                .is_some_and(|short| short == name)
    })
}

/// What a phrase matcher found on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hit {
    pub rule: &'static str,
    pub closing: bool,
}

/// The compiled, enabled line rules.
pub struct LineRules {
    set: RegexSet,
    /// The patterns of the rules that judge lines of any length, and their owners.
    long_set: RegexSet,
    long_owner: Vec<usize>,
    /// For each pattern of `set`, the index of its rule in `PHRASE_RULES`.
    owner: Vec<usize>,
    user: Option<AhoCorasick>,
    html_tag: Option<Regex>,
    max_words: usize,
}

impl LineRules {
    pub fn new(
        enabled: &dyn Fn(&str) -> bool,
        extra_phrases: &[String],
        max_words: usize,
    ) -> Result<LineRules, aho_corasick::BuildError> {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (index, rule) in PHRASE_RULES.iter().enumerate() {
            if !enabled(rule.name) {
                continue;
            }
            for pattern in rule.patterns {
                // ASCII word boundaries: the phrases are English words, and a Unicode `\b`
                // makes the regex engine fall back to its slowest matcher on any line with a
                // curly quote or an accent.
                patterns.push(pattern.replace("APOS", APOS).replace(r"\b", r"(?-u:\b)"));
                owner.push(index);
            }
        }
        let set = RegexSetBuilder::new(&patterns)
            .case_insensitive(true)
            .build()
            .expect("the built-in line rules are valid regular expressions");
        let (long_patterns, long_owner): (Vec<&String>, Vec<usize>) = patterns
            .iter()
            .zip(&owner)
            .filter(|(_, rule)| PHRASE_RULES[**rule].any_length)
            .map(|(p, rule)| (p, *rule))
            .unzip();
        let long_set = RegexSetBuilder::new(long_patterns)
            .case_insensitive(true)
            .build()
            .expect("the built-in line rules are valid regular expressions");
        let phrases: Vec<&str> = extra_phrases
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .collect();
        let user = if enabled("phrase:user") && !phrases.is_empty() {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&phrases)?,
            )
        } else {
            None
        };
        let html_tag = enabled("html-tags").then(|| {
            Regex::new(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
                .expect("the HTML tag pattern is a valid regular expression")
        });
        Ok(LineRules {
            set,
            long_set,
            long_owner,
            owner,
            user,
            html_tag,
            max_words,
        })
    }

    /// The rule that marks `line` as boilerplate, if any.
    ///
    /// `title` is the document's headline: a line that quotes it ("Be the first to comment
    /// on <title>") is judged by its words outside the headline. `prose_follows` says whether
    /// a long line comes later in the text (tail-only rules then do not apply).
    pub fn classify(&self, line: &str, title: Option<&str>, prose_follows: bool) -> Option<Hit> {
        self.classify_counted(line, word_count(line), title, false, prose_follows)
    }

    /// [`classify`](Self::classify) for a line whose words are already counted;
    /// `prose_before` says whether a long line came earlier (head-only rules then do not
    /// apply; `classify` judges as if none had).
    pub fn classify_counted(
        &self,
        line: &str,
        words: usize,
        title: Option<&str>,
        prose_before: bool,
        prose_follows: bool,
    ) -> Option<Hit> {
        if let Some(tags) = &self.html_tag {
            // Mostly tags: a help line of a comment form, not an article about HTML.
            // Closing tags mean markup or code being shown, not a list of allowed tags.
            if line.contains('<')
                && !line.contains("</")
                && tags.find_iter(line).nth(MIN_HTML_TAGS - 1).is_some()
            {
                let outside = word_count(&tags.replace_all(line, " "));
                if outside <= MAX_WORDS_BESIDE_TAGS {
                    return Some(Hit {
                        rule: "html-tags",
                        closing: true,
                    });
                }
            }
        }
        if effective_words(line, words, title, self.max_words) > self.max_words {
            return self
                .long_set
                .matches(line)
                .iter()
                .filter_map(|pattern| self.long_owner.get(pattern).copied())
                .filter(|&rule| !(PHRASE_RULES[rule].tail_only && prose_follows))
                .min()
                .map(|rule| Hit {
                    rule: PHRASE_RULES[rule].name,
                    closing: PHRASE_RULES[rule].closing,
                });
        }
        // Phrases are anchored at the line start; a leading emoji, bullet or arrow ("🔥 Recommended
        // Posts", "• Share this") does not change what the line is. (A copyright sign or a
        // quotation mark stays: the copyright patterns and quoted speech need them.)
        let line = line.trim_start_matches(|c: char| {
            !c.is_alphanumeric() && !c.is_whitespace() && !"©(“‘\"'<".contains(c)
        });
        let line = line.trim_start();
        let best = self
            .set
            .matches(line)
            .iter()
            .filter_map(|pattern| self.owner.get(pattern).copied())
            .filter(|&rule| !(PHRASE_RULES[rule].tail_only && prose_follows))
            .filter(|&rule| !(PHRASE_RULES[rule].head_only && prose_before))
            .min();
        if let Some(rule) = best {
            return Some(Hit {
                rule: PHRASE_RULES[rule].name,
                closing: PHRASE_RULES[rule].closing,
            });
        }
        if let Some(user) = &self.user
            && user.is_match(line)
        {
            return Some(Hit {
                rule: "phrase:user",
                closing: false,
            });
        }
        None
    }

    pub fn max_words(&self) -> usize {
        self.max_words
    }
}

/// Words of a normalised line (single ASCII spaces between words, no other whitespace, as
/// `normalize_line` makes them): one more than its spaces, counted a vector at a time.
pub fn spaced_words(line: &str) -> usize {
    if line.is_empty() {
        return 0;
    }
    1 + line.bytes().filter(|&b| b == b' ').count()
}

/// Whitespace-separated words, as `split_whitespace().count()` counts them, scanning bytes:
/// this runs several times on every line. A multi-byte character is a space only if it is one
/// of Unicode's White_Space characters, whose UTF-8 forms are matched below.
pub fn word_count(s: &str) -> usize {
    let bytes = s.as_bytes();
    let mut n = 0;
    let mut in_word = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let (space, len) = match b {
            b' ' | b'\t' | b'\n' | b'\r' | 0x0B | 0x0C => (true, 1),
            0x00..=0x7F => (false, 1),
            0xC2 => (matches!(bytes.get(i + 1), Some(0x85 | 0xA0)), 2),
            0xE1 => (bytes.get(i + 1..i + 3) == Some(&[0x9A, 0x80]), 3),
            0xE2 => (
                match (bytes.get(i + 1), bytes.get(i + 2)) {
                    (Some(0x80), Some(c)) => matches!(c, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF),
                    (Some(0x81), Some(0x9F)) => true,
                    _ => false,
                },
                3,
            ),
            0xE3 => (bytes.get(i + 1..i + 3) == Some(&[0x80, 0x80]), 3),
            0xC0..=0xDF => (false, 2),
            0xE0..=0xEF => (false, 3),
            _ => (false, 4),
        };
        n += usize::from(!space && !in_word);
        in_word = !space;
        i += len;
    }
    n
}

/// Words of `line`, not counting a copy of the headline it quotes. Only lowercases the line
/// when the headline could bring it under `max_words`.
fn effective_words(line: &str, words: usize, title: Option<&str>, max_words: usize) -> usize {
    let Some(title) = title.filter(|_| words > max_words) else {
        return words;
    };
    // A title of n bytes has at most (n + 1) / 2 words: most lines are too long for the
    // headline to matter, and need no counting.
    if words - words.min(title.len().div_ceil(2)) > max_words {
        return words;
    }
    let title_words = word_count(title);
    if title_words < 3 || words - title_words.min(words) > max_words || line.len() <= title.len() {
        return words;
    }
    if line.to_lowercase().contains(&title.to_lowercase()) {
        words - title_words
    } else {
        words
    }
}

/// A headline that is really a desk or CMS label: one to three words, no capital letter, no
/// digit. Headlines are written in title or sentence case; a lowercase slug is not one.
pub fn is_title_slug(title: &str) -> bool {
    let words = word_count(title);
    (1..=3).contains(&words)
        && title.chars().any(char::is_alphabetic)
        && !title.chars().any(|c| c.is_uppercase() || c.is_numeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule_of(line: &str) -> Option<&'static str> {
        let rules = LineRules::new(&|_| true, &[], 12).expect("valid rules");
        rules.classify(line, None, true).map(|hit| hit.rule)
    }

    #[test]
    fn author_notes_go_and_news_about_people_stays() {
        for line in [
            "Batya Jerenberg is a journalist and editor who has covered the Middle East since 2010.",
            "Jane Doe is a freelance writer covering food, travel and the business of both for regional papers.",
            "She is a contributing writer at Example Media.",
        ] {
            assert_eq!(rule_of(line), Some("phrase:author-bio"), "{line}");
        }
        for line in [
            // The subject of a news story, not the writer.
            "Owain Bennallack is the editor of Develop magazine.",
            "Agriculture is a major contributor to greenhouse gas emissions.",
            "the reporter was a witness to the attack, the court heard on Tuesday in London.",
        ] {
            assert_eq!(rule_of(line), None, "{line}");
        }
    }

    #[test]
    fn shop_and_consultation_buttons_are_calls_to_action() {
        for line in [
            "Check price at Amazon",
            "See price at REI",
            "View on Amazon",
            "Request A Free Consultation for Accounting Services",
            "Talk to Our Experts",
        ] {
            assert_eq!(rule_of(line), Some("phrase:call-to-action"), "{line}");
        }
        for line in [
            "Schedule a call with your doctor",
            "Buy a used car in the spring",
        ] {
            assert_eq!(rule_of(line), None, "{line}");
        }
    }

    #[test]
    fn spaced_words_count_normalised_lines() {
        for s in ["", "one", "Israel’s security ‘top priority,’ says"] {
            assert_eq!(spaced_words(s), word_count(s));
        }
    }

    #[test]
    fn word_count_agrees_with_split_whitespace() {
        for s in [
            "",
            "  one ",
            "Israel’s security ‘top priority,’ says",
            "a\u{00A0}b\u{2003}c\u{3000}d\u{202F}e\u{205F}f\u{1680}g\u{85}h",
            "“quoted” — dash… ünïcödé 日本語 emoji 🎉 end",
            "tabs\tand\nnew\rlines\u{0B}\u{0C}x",
        ] {
            assert_eq!(word_count(s), s.split_whitespace().count(), "{s:?}");
        }
    }
}
