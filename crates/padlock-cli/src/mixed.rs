//! Mixed content (W3C Mixed Content): the subresources an https:// page loads over plain
//! http://, found in its HTML and inline CSS, and how browsers treat each. Scripts, styles,
//! fonts, frames, plugins and text tracks are *blockable* ("active": they can rewrite the
//! page, so browsers refuse them); images, audio and video are *upgradeable* ("passive":
//! browsers fetch them over https:// instead, or show them with a warning). A form that
//! submits to http:// sends what the user typed in clear text; browsers warn before sending.

use crate::html_tags::{Scanner, Tag, Token};
use crate::weburl::{self, WebUrl};

/// Findings kept per page; a page with more is reported as having "more".
pub const MAX_ITEMS: usize = 10_000;

/// How browsers treat an insecure subresource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Blocked (or, for forms, a warning before the data goes out in clear text).
    Active,
    /// Upgraded to https:// or shown with a warning.
    Passive,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Active => "active",
            Class::Passive => "passive",
        }
    }
}

/// What the subresource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Script,
    Stylesheet,
    Font,
    Frame,
    Object,
    TextTrack,
    Form,
    /// Anything else fetched by `<link rel=preload>` (fetch, worker, manifest...).
    Resource,
    Image,
    Media,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Script => "script",
            Kind::Stylesheet => "stylesheet",
            Kind::Font => "font",
            Kind::Frame => "frame",
            Kind::Object => "object",
            Kind::TextTrack => "text track",
            Kind::Form => "form",
            Kind::Resource => "resource",
            Kind::Image => "image",
            Kind::Media => "media",
        }
    }

    pub fn class(self) -> Class {
        match self {
            Kind::Image | Kind::Media => Class::Passive,
            _ => Class::Active,
        }
    }

    /// What to change, for this item.
    pub fn fix(self, via_base: bool) -> &'static str {
        match (self, via_base) {
            (_, true) => "make the page's <base href> an https:// URL, or remove it",
            (Kind::Form, _) => "send the form to an https:// URL",
            _ => "load it over https://, or use a protocol-relative (//host/path) or relative URL",
        }
    }
}

/// One insecure subresource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub kind: Kind,
    /// The element, lower case.
    pub tag: String,
    /// The attribute (`src`, `srcset`, `style`...), or the CSS construct (`url()`,
    /// `@import`) inside a `<style>` element.
    pub attribute: String,
    /// The http:// URL, resolved against `<base href>` when it came from there.
    pub url: String,
    /// 1-based line in the page.
    pub line: usize,
    /// The URL was relative and `<base href>` made it http://.
    pub via_base: bool,
}

impl Item {
    pub fn class(&self) -> Class {
        self.kind.class()
    }
}

/// What a page's HTML showed.
#[derive(Debug, Default)]
pub struct Findings {
    pub items: Vec<Item>,
    /// Items past [`MAX_ITEMS`], counted but not kept.
    pub more: usize,
    /// A `<meta http-equiv=Content-Security-Policy>` asks browsers to upgrade every
    /// request (`upgrade-insecure-requests`).
    pub meta_upgrade: bool,
    /// The `<base href>`, when it is http://.
    pub insecure_base: Option<String>,
}

/// Scans `html`, the page at `page`.
pub fn scan(html: &[u8], page: &WebUrl) -> Findings {
    let lines = Lines::new(html);
    let mut state = State {
        findings: Findings::default(),
        base: page.clone(),
        base_seen: false,
        lines: &lines,
    };
    for token in Scanner::new(html) {
        match token {
            Token::Start(tag) => state.tag(&tag),
            Token::Style { text, at } => {
                for u in css_urls(&text) {
                    let line = lines.line(at + u.at);
                    state.check(u.kind, "style", u.construct, &u.url, line);
                }
            }
        }
    }
    state.findings
}

struct State<'a> {
    findings: Findings,
    /// Where relative URLs point: the page, or its first `<base href>`.
    base: WebUrl,
    base_seen: bool,
    lines: &'a Lines,
}

impl State<'_> {
    fn tag(&mut self, tag: &Tag) {
        let attr = |name: &str| tag.attr(name);
        let lower = |name: &str| attr(name).map(|a| a.value.trim().to_ascii_lowercase());
        match tag.name.as_str() {
            "base" if !self.base_seen => {
                if let Some(href) = attr("href") {
                    self.base_seen = true;
                    if let Ok(base) = self.base.join(&href.value) {
                        if base.scheme == "http" {
                            self.findings.insecure_base = Some(base.to_string());
                        }
                        self.base = base;
                    }
                }
            }
            "meta" => {
                let csp = lower("http-equiv").is_some_and(|v| v == "content-security-policy");
                if csp && lower("content").is_some_and(|c| upgrades(&c)) {
                    self.findings.meta_upgrade = true;
                }
            }
            "script" => {
                // `href` and `xlink:href`: SVG's <script>.
                self.attrs(tag, &["src", "href", "xlink:href"], Kind::Script);
            }
            "link" => {
                let rel = lower("rel").unwrap_or_default();
                let rels: Vec<&str> = rel.split_ascii_whitespace().collect();
                let kind = if rels.contains(&"stylesheet") {
                    Some(Kind::Stylesheet)
                } else if rels.contains(&"modulepreload") {
                    Some(Kind::Script)
                } else if rels.iter().any(|r| r.ends_with("icon")) {
                    Some(Kind::Image)
                } else if rels.iter().any(|r| *r == "preload" || *r == "prefetch") {
                    Some(match lower("as").as_deref() {
                        Some("script" | "worker" | "sharedworker" | "serviceworker") => {
                            Kind::Script
                        }
                        Some("style") => Kind::Stylesheet,
                        Some("font") => Kind::Font,
                        Some("image") => Kind::Image,
                        Some("audio" | "video") => Kind::Media,
                        Some("track") => Kind::TextTrack,
                        Some("document" | "iframe") => Kind::Frame,
                        Some("object" | "embed") => Kind::Object,
                        _ => Kind::Resource,
                    })
                } else if rels.contains(&"manifest") {
                    Some(Kind::Resource)
                } else {
                    // Navigation (canonical, alternate, next...): not loaded by the page.
                    None
                };
                if let Some(kind) = kind {
                    self.attrs(tag, &["href"], kind);
                    self.srcset(tag, "imagesrcset", kind);
                }
            }
            "img" => {
                self.attrs(tag, &["src"], Kind::Image);
                self.srcset(tag, "srcset", Kind::Image);
            }
            "source" => {
                // In <audio>/<video>: src; in <picture>: srcset.
                self.attrs(tag, &["src"], Kind::Media);
                self.srcset(tag, "srcset", Kind::Image);
            }
            "video" => {
                self.attrs(tag, &["src"], Kind::Media);
                self.attrs(tag, &["poster"], Kind::Image);
            }
            "audio" => self.attrs(tag, &["src"], Kind::Media),
            // Text tracks are blockable, not upgradeable (Mixed Content §4.3).
            "track" => self.attrs(tag, &["src"], Kind::TextTrack),
            "iframe" | "frame" => self.attrs(tag, &["src"], Kind::Frame),
            "object" => self.attrs(tag, &["data"], Kind::Object),
            "embed" => self.attrs(tag, &["src"], Kind::Object),
            "form" => self.attrs(tag, &["action"], Kind::Form),
            "button" => self.attrs(tag, &["formaction"], Kind::Form),
            "input" => {
                self.attrs(tag, &["formaction"], Kind::Form);
                if lower("type").as_deref() == Some("image") {
                    self.attrs(tag, &["src"], Kind::Image);
                }
            }
            // SVG's <image>.
            "image" => self.attrs(tag, &["href", "xlink:href"], Kind::Image),
            // The legacy background attribute still loads an image.
            "body" | "table" | "td" | "th" | "tr" => self.attrs(tag, &["background"], Kind::Image),
            _ => {}
        }
        if let Some(style) = attr("style") {
            let line = self.lines.line(style.at);
            for u in css_urls(&style.value) {
                let newlines = style
                    .value
                    .get(..u.at)
                    .map_or(0, |s| s.matches('\n').count());
                self.check(u.kind, &tag.name, "style", &u.url, line + newlines);
            }
        }
    }

    fn attrs(&mut self, tag: &Tag, names: &[&str], kind: Kind) {
        for name in names {
            if let Some(a) = tag.attr(name) {
                let line = self.lines.line(a.at);
                self.check(kind, &tag.name, name, &a.value, line);
            }
        }
    }

    fn srcset(&mut self, tag: &Tag, name: &str, kind: Kind) {
        if let Some(a) = tag.attr(name) {
            let line = self.lines.line(a.at);
            for url in srcset_urls(&a.value) {
                self.check(kind, &tag.name, name, url, line);
            }
        }
    }

    /// Records `value` if it loads over http://.
    fn check(&mut self, kind: Kind, tag: &str, attribute: &str, value: &str, line: usize) {
        let value = weburl::clean(value);
        if value.is_empty() {
            // An empty URL is the page itself.
            return;
        }
        let (url, via_base) = match weburl::scheme_of(&value) {
            Some(s) if s == "http" => (value, false),
            Some(_) => return,
            None if self.base.scheme == "http" => {
                let url = self.base.join(&value).map_or(value, |u| u.to_string());
                (url, true)
            }
            None => return,
        };
        if self.findings.items.len() >= MAX_ITEMS {
            self.findings.more += 1;
            return;
        }
        self.findings.items.push(Item {
            kind,
            tag: tag.to_string(),
            attribute: attribute.to_string(),
            url,
            line,
            via_base,
        });
    }
}

/// Whether a Content-Security-Policy value asks for `upgrade-insecure-requests`.
pub fn upgrades(policy: &str) -> bool {
    policy.split(';').any(|directive| {
        directive
            .split_ascii_whitespace()
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case("upgrade-insecure-requests"))
    })
}

/// The URLs of a `srcset` ("a.png 1x, b.png 2x"): each candidate's URL runs to the next
/// space; its descriptors run to a comma outside parentheses (HTML §4.8.4.3.10).
pub fn srcset_urls(srcset: &str) -> Vec<&str> {
    let mut urls = Vec::new();
    let mut rest = srcset;
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',');
        if rest.is_empty() {
            return urls;
        }
        let end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let (url, after) = rest.split_at(end);
        if let Some(stripped) = url.strip_suffix(',') {
            // "a.png,b.png": no descriptors.
            urls.push(stripped.trim_end_matches(','));
            rest = after;
            continue;
        }
        urls.push(url);
        let mut depth = 0usize;
        let mut cut = after.len();
        for (i, c) in after.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                ',' if depth == 0 => {
                    cut = i;
                    break;
                }
                _ => {}
            }
        }
        rest = after.get(cut..).unwrap_or_default();
    }
}

/// A URL in CSS, with what it loads.
#[derive(Debug, PartialEq, Eq)]
pub struct CssUrl {
    pub url: String,
    /// Byte offset in the CSS text.
    pub at: usize,
    pub kind: Kind,
    /// `url()` or `@import`.
    pub construct: &'static str,
}

/// The `url(...)`s and `@import "..."`s of a style sheet: imports load style sheets, URLs
/// inside `@font-face` load fonts, and any other `url()` (backgrounds, cursors, list
/// markers) an image. One forward pass over the text.
pub fn css_urls(css: &str) -> Vec<CssUrl> {
    let b = css.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut depth = 0usize;
    let mut font_face: Option<usize> = None;
    let mut pending_font_face = false;
    let mut import = false;
    while let Some(&c) = b.get(i) {
        match c {
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = crate::html_tags::find(b, i + 2, b"*/").map_or(b.len(), |e| e + 2);
                continue;
            }
            b'"' | b'\'' => {
                let (value, end) = css_string(css, i);
                if import {
                    out.push(css_url(value, i + 1, Kind::Stylesheet, "@import"));
                    import = false;
                }
                i = end;
                continue;
            }
            b'@' => {
                let name_end = ident_end(b, i + 1);
                let name = css.get(i + 1..name_end).unwrap_or_default();
                import = name.eq_ignore_ascii_case("import");
                pending_font_face = name.eq_ignore_ascii_case("font-face");
                i = name_end;
                continue;
            }
            b'{' => {
                depth += 1;
                if pending_font_face {
                    font_face = Some(depth);
                    pending_font_face = false;
                }
            }
            b'}' => {
                if font_face == Some(depth) {
                    font_face = None;
                }
                depth = depth.saturating_sub(1);
            }
            b';' => import = false,
            b'u' | b'U' => {
                let is_url = b
                    .get(i..i + 4)
                    .is_some_and(|w| w.eq_ignore_ascii_case(b"url("));
                let starts_ident = i == 0 || b.get(i - 1).is_none_or(|p| !is_ident(*p));
                if is_url && starts_ident {
                    let (value, start, end) = url_function(css, i + 4);
                    let kind = if import {
                        Kind::Stylesheet
                    } else if font_face.is_some() {
                        Kind::Font
                    } else {
                        Kind::Image
                    };
                    let construct = if import { "@import" } else { "url()" };
                    out.push(css_url(value, start, kind, construct));
                    import = false;
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn css_url(url: &str, at: usize, kind: Kind, construct: &'static str) -> CssUrl {
    CssUrl {
        url: url.to_string(),
        at,
        kind,
        construct,
    }
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80
}

fn ident_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| is_ident(*c)) {
        i += 1;
    }
    i
}

/// A quoted string starting at the quote at `i`: its contents and the index after it.
/// Backslash escapes are skipped over; a newline ends a string (CSS Syntax §4.3.5).
fn css_string(css: &str, i: usize) -> (&str, usize) {
    let b = css.as_bytes();
    let quote = b.get(i).copied().unwrap_or(b'"');
    let mut j = i + 1;
    while let Some(&c) = b.get(j) {
        match c {
            b'\\' => j += 2,
            b'\n' => break,
            c if c == quote => {
                return (css.get(i + 1..j).unwrap_or_default(), j + 1);
            }
            _ => j += 1,
        }
    }
    let end = j.min(b.len());
    (css.get(i + 1..end).unwrap_or_default(), end)
}

/// The argument of `url(` starting at `i`: (value, its offset, index after the `)`).
fn url_function(css: &str, i: usize) -> (&str, usize, usize) {
    let b = css.as_bytes();
    let mut j = i;
    while b.get(j).is_some_and(u8::is_ascii_whitespace) {
        j += 1;
    }
    if matches!(b.get(j), Some(b'"' | b'\'')) {
        let (value, after) = css_string(css, j);
        let close = crate::html_tags::find(b, after, b")").map_or(b.len(), |e| e + 1);
        return (value, j + 1, close);
    }
    let end = crate::html_tags::find(b, j, b")").unwrap_or(b.len());
    let value = css.get(j..end).unwrap_or_default().trim_end();
    (value, j, (end + 1).min(b.len()))
}

/// Byte offsets to 1-based line numbers.
struct Lines {
    newlines: Vec<usize>,
}

impl Lines {
    fn new(text: &[u8]) -> Lines {
        Lines {
            newlines: text
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .map(|(i, _)| i)
                .collect(),
        }
    }

    fn line(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&nl| nl < offset) + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> WebUrl {
        WebUrl::parse("https://site.test/dir/page.html").unwrap()
    }

    fn found(html: &str) -> Vec<(Kind, String, String, String, usize)> {
        scan(html.as_bytes(), &page())
            .items
            .into_iter()
            .map(|i| (i.kind, i.tag, i.attribute, i.url, i.line))
            .collect()
    }

    fn one(
        kind: Kind,
        tag: &str,
        attr: &str,
        url: &str,
        line: usize,
    ) -> (Kind, String, String, String, usize) {
        (kind, tag.into(), attr.into(), url.into(), line)
    }

    #[test]
    fn each_kind_of_element() {
        let html = "<script src=http://a/s.js></script>\n\
            <link rel=\"Stylesheet\" href='http://a/s.css'>\n\
            <link rel=icon href=http://a/i.ico><link rel=canonical href=http://a/>\n\
            <link rel=preload as=font href=http://a/f.woff2>\n\
            <img src=http://a/1.png srcset='https://a/2.png 2x, http://a/3.png 3x'>\n\
            <picture><source srcset=http://a/4.webp></picture>\n\
            <video src=http://a/v.mp4 poster=http://a/p.jpg><track src=http://a/t.vtt></video>\n\
            <audio><source src=http://a/a.ogg></audio>\n\
            <iframe src=http://a/f></iframe><frame src=http://a/g>\n\
            <object data=http://a/o.swf></object><embed src=http://a/e>\n\
            <form action=http://a/login><button formaction=http://a/b></button></form>\n\
            <input type=image src=http://a/in.png>\n\
            <svg><image href=http://a/svg.png /></svg><a href=http://a/link>link</a>";
        assert_eq!(
            found(html),
            [
                one(Kind::Script, "script", "src", "http://a/s.js", 1),
                one(Kind::Stylesheet, "link", "href", "http://a/s.css", 2),
                one(Kind::Image, "link", "href", "http://a/i.ico", 3),
                one(Kind::Font, "link", "href", "http://a/f.woff2", 4),
                one(Kind::Image, "img", "src", "http://a/1.png", 5),
                one(Kind::Image, "img", "srcset", "http://a/3.png", 5),
                one(Kind::Image, "source", "srcset", "http://a/4.webp", 6),
                one(Kind::Media, "video", "src", "http://a/v.mp4", 7),
                one(Kind::Image, "video", "poster", "http://a/p.jpg", 7),
                one(Kind::TextTrack, "track", "src", "http://a/t.vtt", 7),
                one(Kind::Media, "source", "src", "http://a/a.ogg", 8),
                one(Kind::Frame, "iframe", "src", "http://a/f", 9),
                one(Kind::Frame, "frame", "src", "http://a/g", 9),
                one(Kind::Object, "object", "data", "http://a/o.swf", 10),
                one(Kind::Object, "embed", "src", "http://a/e", 10),
                one(Kind::Form, "form", "action", "http://a/login", 11),
                one(Kind::Form, "button", "formaction", "http://a/b", 11),
                one(Kind::Image, "input", "src", "http://a/in.png", 12),
                one(Kind::Image, "image", "href", "http://a/svg.png", 13),
            ]
        );
    }

    #[test]
    fn secure_relative_and_other_schemes_are_fine() {
        let html = "<script src=https://a/s.js></script><script src=//cdn/s.js></script>\
            <img src=/i.png><img src=i.png><img src=data:image/png,x><img src=''>\
            <iframe src=about:blank></iframe><form action=javascript:void(0)></form>\
            <!-- <script src=http://a/commented.js></script> -->\
            <script>document.write('<script src=http://a/in-js.js><\\/script>')</script>";
        assert!(found(html).is_empty(), "{:?}", found(html));
    }

    #[test]
    fn disguised_http_urls() {
        let html = "<script src=' HTTP://a/1.js'></script>\
            <script src=\"&#104;ttp&colon;//a/2.js\"></script>\
            <img src=\"ht\ntp://a/3.png\">";
        let urls: Vec<String> = found(html).into_iter().map(|f| f.3).collect();
        assert_eq!(urls, ["HTTP://a/1.js", "http://a/2.js", "http://a/3.png"]);
    }

    #[test]
    fn an_http_base_makes_relative_urls_insecure() {
        let html = "<base href=http://old.test/static/><script src=app.js></script>\
            <img src=//img.test/x.png><img src=https://ok.test/y.png>";
        let f = scan(html.as_bytes(), &page());
        assert_eq!(f.insecure_base.as_deref(), Some("http://old.test/static/"));
        let got: Vec<(&str, bool)> = f
            .items
            .iter()
            .map(|i| (i.url.as_str(), i.via_base))
            .collect();
        assert_eq!(
            got,
            [
                ("http://old.test/static/app.js", true),
                ("http://img.test/x.png", true)
            ]
        );
        assert_eq!(
            f.items[0].kind.fix(true),
            "make the page's <base href> an https:// URL, or remove it"
        );
    }

    #[test]
    fn css_in_style_elements_and_attributes() {
        let html = "<style>\n@import url(\"http://a/i.css\");\n@import 'http://a/j.css';\n\
            /* url(http://a/comment.png) */\n\
            @font-face { font-family: x; src: url(http://a/f.woff) format('woff'); }\n\
            body { background: URL( http://a/bg.png ) }\n\
            .x { background: url(//cdn/ok.png), url('https://a/ok.png') }\n</style>\n\
            <div style=\"color: red;\nbackground-image: url(&quot;http://a/div.png&quot;)\"></div>";
        assert_eq!(
            found(html),
            [
                one(Kind::Stylesheet, "style", "@import", "http://a/i.css", 2),
                one(Kind::Stylesheet, "style", "@import", "http://a/j.css", 3),
                one(Kind::Font, "style", "url()", "http://a/f.woff", 5),
                one(Kind::Image, "style", "url()", "http://a/bg.png", 6),
                one(Kind::Image, "div", "style", "http://a/div.png", 10),
            ]
        );
    }

    #[test]
    fn css_edge_cases() {
        let urls =
            |css: &str| -> Vec<String> { css_urls(css).into_iter().map(|u| u.url).collect() };
        assert_eq!(urls("a{b:myurl(http://x)}"), Vec::<String>::new());
        assert_eq!(urls("a{b:url(http://x"), ["http://x"]);
        assert_eq!(urls("a{b:url('http://x"), ["http://x"]);
        assert_eq!(urls("content: \"url(http://x)\""), Vec::<String>::new());
        assert_eq!(urls("}}}}@font-face{{}} a{b:url(y)}"), ["y"]);
        assert_eq!(css_urls("@font-face{} a{b:url(y)}")[0].kind, Kind::Image);
    }

    #[test]
    fn srcset_candidates() {
        assert_eq!(srcset_urls("a.png 1x, b.png 2x"), ["a.png", "b.png"]);
        assert_eq!(srcset_urls("a.png, b.png"), ["a.png", "b.png"]);
        // A comma inside a URL belongs to it (data: URLs have them).
        assert_eq!(srcset_urls("a.png,b.png"), ["a.png,b.png"]);
        assert_eq!(
            srcset_urls(" a.png 100w (x, y), , b.png"),
            ["a.png", "b.png"]
        );
        assert_eq!(
            srcset_urls("data:image/png;base64,AAA= 1x"),
            ["data:image/png;base64,AAA="]
        );
        assert!(srcset_urls(" , ").is_empty());
    }

    #[test]
    fn upgrade_insecure_requests() {
        assert!(upgrades("default-src 'self'; Upgrade-Insecure-Requests"));
        assert!(!upgrades("default-src upgrade-insecure-requests"));
        let html = "<meta http-equiv=Content-Security-Policy content=upgrade-insecure-requests>";
        assert!(scan(html.as_bytes(), &page()).meta_upgrade);
    }

    #[test]
    fn items_are_bounded() {
        let html = "<img src=http://a/x>".repeat(MAX_ITEMS + 5);
        let f = scan(html.as_bytes(), &page());
        assert_eq!((f.items.len(), f.more), (MAX_ITEMS, 5));
    }
}
