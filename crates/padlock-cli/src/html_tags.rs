//! A small HTML tag scanner for `scan`: start tags with their attributes, and the text of
//! `<style>` elements, each with its byte offset. It follows the HTML tokenizer where that
//! matters for finding URLs (comments, raw-text elements such as `<script>`, quoted and
//! unquoted attribute values, character references) and nothing more. Every step moves
//! forward through the input: time is linear, and memory is bounded by the input's size.

/// Attributes kept per tag; HTML allows any number, real pages use a handful.
const MAX_ATTRS: usize = 256;
/// Longest tag or attribute name kept (longer ones are no name `scan` looks for).
const MAX_NAME: usize = 64;

/// An attribute: lower-case name and value with character references decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub name: String,
    pub value: String,
    /// Byte offset of the value (of the name, when there is no value).
    pub at: usize,
}

/// A start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Lower case.
    pub name: String,
    pub attrs: Vec<Attr>,
    /// Byte offset of its `<`.
    pub at: usize,
}

impl Tag {
    /// The value of attribute `name` (the first one: HTML ignores repeats).
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
}

/// What the scanner reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Start(Tag),
    /// The contents of a `<style>` element (CSS: no character references).
    Style {
        text: String,
        at: usize,
    },
}

/// Elements whose contents are text, not markup, up to their end tag (HTML §13.2.5).
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Iterates over the tokens of `html`.
pub struct Scanner<'a> {
    html: &'a [u8],
    pos: usize,
    /// A `<style>`'s text, reported right after its start tag.
    pending: Option<Token>,
}

impl<'a> Scanner<'a> {
    pub fn new(html: &'a [u8]) -> Self {
        Scanner {
            html,
            pos: 0,
            pending: None,
        }
    }

    fn byte(&self, i: usize) -> Option<u8> {
        self.html.get(i).copied()
    }

    /// Moves past the next occurrence of `needle` (or to the end).
    fn skip_past(&mut self, needle: &[u8]) {
        self.pos = find(self.html, self.pos, needle).map_or(self.html.len(), |i| i + needle.len());
    }

    fn skip_space(&mut self) {
        while self.byte(self.pos).is_some_and(is_space) {
            self.pos += 1;
        }
    }

    /// A start tag whose `<` is at `self.pos`, its name starting right after.
    fn start_tag(&mut self) -> Option<Tag> {
        let at = self.pos;
        self.pos += 1;
        let name = self.name(|b| is_space(b) || b == b'/' || b == b'>');
        let mut attrs: Vec<Attr> = Vec::new();
        loop {
            while self
                .byte(self.pos)
                .is_some_and(|b| is_space(b) || b == b'/')
            {
                self.pos += 1;
            }
            match self.byte(self.pos) {
                // A tag cut off by the end of the input is dropped, as browsers do.
                None => return None,
                Some(b'>') => {
                    self.pos += 1;
                    return Some(Tag { name, attrs, at });
                }
                Some(_) => {}
            }
            let name_at = self.pos;
            // The first character may be '=' (HTML §13.2.5.32), so take it unconditionally.
            self.pos += 1;
            let rest = self.name(|b| is_space(b) || matches!(b, b'/' | b'>' | b'='));
            let first = self
                .byte(name_at)
                .map(|b| b.to_ascii_lowercase())
                .unwrap_or(b' ');
            let attr_name = format!("{}{rest}", char::from(first));
            self.skip_space();
            let (value, value_at) = if self.byte(self.pos) == Some(b'=') {
                self.pos += 1;
                self.skip_space();
                let value_at = self.pos;
                (self.value(), value_at)
            } else {
                (String::new(), name_at)
            };
            if attrs.len() < MAX_ATTRS && !attrs.iter().any(|a| a.name == attr_name) {
                attrs.push(Attr {
                    name: attr_name,
                    value: decode_references(&value),
                    at: value_at,
                });
            }
        }
    }

    /// A name up to a byte that `ends` it, lower-cased and cut to [`MAX_NAME`].
    fn name(&mut self, ends: impl Fn(u8) -> bool) -> String {
        let start = self.pos;
        while self.byte(self.pos).is_some_and(|b| !ends(b)) {
            self.pos += 1;
        }
        let raw = self.html.get(start..self.pos).unwrap_or_default();
        let raw = raw.get(..MAX_NAME).unwrap_or(raw);
        String::from_utf8_lossy(raw).to_ascii_lowercase()
    }

    /// A quoted or unquoted attribute value, raw.
    fn value(&mut self) -> String {
        let start;
        let end;
        match self.byte(self.pos) {
            Some(q @ (b'"' | b'\'')) => {
                start = self.pos + 1;
                end = find(self.html, start, &[q]).unwrap_or(self.html.len());
                self.pos = (end + 1).min(self.html.len());
            }
            _ => {
                start = self.pos;
                while self
                    .byte(self.pos)
                    .is_some_and(|b| !is_space(b) && b != b'>')
                {
                    self.pos += 1;
                }
                end = self.pos;
            }
        }
        String::from_utf8_lossy(self.html.get(start..end).unwrap_or_default()).into_owned()
    }

    /// After a raw-text element's start tag: its text, up to `</name` (case-insensitive,
    /// followed by a space, `/` or `>`), or to the end of the input.
    fn raw_text(&mut self, name: &str) -> (String, usize) {
        let start = self.pos;
        let mut i = start;
        let end = loop {
            match find(self.html, i, b"</") {
                None => break self.html.len(),
                Some(lt) => {
                    let after = lt + 2 + name.len();
                    let matches = self
                        .html
                        .get(lt + 2..after)
                        .is_some_and(|n| n.eq_ignore_ascii_case(name.as_bytes()));
                    let ends = self
                        .byte(after)
                        .is_none_or(|b| is_space(b) || b == b'/' || b == b'>');
                    if matches && ends {
                        break lt;
                    }
                    i = lt + 2;
                }
            }
        };
        self.pos = end;
        let text = String::from_utf8_lossy(self.html.get(start..end).unwrap_or_default());
        (text.into_owned(), start)
    }
}

impl Iterator for Scanner<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if let Some(t) = self.pending.take() {
            return Some(t);
        }
        loop {
            self.pos = find(self.html, self.pos, b"<")?;
            let next = self.byte(self.pos + 1);
            if self
                .html
                .get(self.pos..)
                .is_some_and(|r| r.starts_with(b"<!--"))
            {
                // `<!-->` and `<!--->` are (empty) comments too.
                let body = self.pos + 4;
                self.pos = match self.html.get(body..) {
                    Some(r) if r.starts_with(b">") => body + 1,
                    Some(r) if r.starts_with(b"->") => body + 2,
                    _ => find(self.html, body, b"-->").map_or(self.html.len(), |i| i + 3),
                };
            } else if matches!(next, Some(b'!' | b'?' | b'/')) {
                // Doctype, processing instruction (bogus comment), end tag: nothing to find.
                self.skip_past(b">");
            } else if next.is_some_and(|b| b.is_ascii_alphabetic()) {
                let tag = self.start_tag()?;
                if tag.name == "plaintext" {
                    // Everything after it is text.
                    self.pos = self.html.len();
                } else if RAW_TEXT.contains(&tag.name.as_str()) {
                    let (text, at) = self.raw_text(&tag.name);
                    if tag.name == "style" {
                        self.pending = Some(Token::Style { text, at });
                    }
                }
                return Some(Token::Start(tag));
            } else {
                // A '<' that starts nothing is text.
                self.pos += 1;
            }
        }
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// The first `needle` in `hay` at or after `from`.
pub fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = from;
    while let Some(rest) = hay.get(i..) {
        let at = i + rest.iter().position(|&b| b == first)?;
        if hay.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Decodes character references (`&#104;`, `&#x68;`, `&amp;`, `&colon;`...): browsers do,
/// so `&#104;ttp://` is an http URL.
pub fn decode_references(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        rest = rest.get(amp..).unwrap_or_default();
        match reference(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = rest.get(len..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

/// The character a reference at the start of `s` stands for, and its length.
fn reference(s: &str) -> Option<(char, usize)> {
    let body = s.get(1..)?;
    if let Some(num) = body.strip_prefix('#') {
        let (digits, radix, skip) = match num.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16, 3),
            None => (num, 10, 2),
        };
        let len = digits
            .find(|c: char| !c.is_digit(radix))
            .unwrap_or(digits.len());
        // More digits than any code point needs: a bogus reference, left as text.
        if len == 0 || len > 8 {
            return None;
        }
        let value = u32::from_str_radix(digits.get(..len)?, radix).ok()?;
        let c = char::from_u32(value).unwrap_or('\u{fffd}');
        let semi = usize::from(digits.get(len..)?.starts_with(';'));
        return Some((c, skip + len + semi));
    }
    const NAMED: &[(&str, char)] = &[
        ("amp;", '&'),
        ("lt;", '<'),
        ("gt;", '>'),
        ("quot;", '"'),
        ("apos;", '\''),
        ("colon;", ':'),
        ("sol;", '/'),
        ("period;", '.'),
        ("Tab;", '\t'),
        ("NewLine;", '\n'),
        ("nbsp;", '\u{a0}'),
        // Legacy forms without the semicolon.
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
    ];
    NAMED
        .iter()
        .find(|(name, _)| body.starts_with(name))
        .map(|(name, c)| (*c, 1 + name.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(html: &str) -> Vec<Token> {
        Scanner::new(html.as_bytes()).collect()
    }

    fn start(t: &Token) -> &Tag {
        match t {
            Token::Start(tag) => tag,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn attributes_in_every_form() {
        let html = "<IMG SRC=a.png alt='x y' data-x=\"q\" checked/><p>";
        let t = tags(html);
        assert_eq!(t.len(), 2);
        let img = start(&t[0]);
        assert_eq!(img.name, "img");
        let got: Vec<(&str, &str)> = img
            .attrs
            .iter()
            .map(|a| (a.name.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("src", "a.png"),
                ("alt", "x y"),
                ("data-x", "q"),
                ("checked", "")
            ]
        );
        assert_eq!(img.attrs[0].at, html.find("a.png").unwrap());
        assert_eq!(start(&t[1]).name, "p");
    }

    #[test]
    fn repeated_attributes_keep_the_first() {
        let t = tags("<script src=a src=b>");
        assert_eq!(start(&t[0]).attr("src").unwrap().value, "a");
    }

    #[test]
    fn comments_and_raw_text_hide_markup() {
        let html = "<!-- <img src=1> --><!--><img src=2><script>if (a<b) x='<img src=3>'\
                    </SCRIPT ><textarea><img src=4></textarea><style>a{}</style ><b>";
        let names: Vec<String> = tags(html)
            .iter()
            .map(|t| match t {
                Token::Start(tag) => tag.name.clone(),
                Token::Style { text, .. } => format!("css:{text}"),
            })
            .collect();
        assert_eq!(
            names,
            ["img", "script", "textarea", "style", "css:a{}", "b"]
        );
    }

    #[test]
    fn end_tag_needs_a_delimiter() {
        // `</scripts>` does not end a script.
        let t = tags("<script></scripts><img src=x></script><i>");
        let names: Vec<&str> = t.iter().map(|t| start(t).name.as_str()).collect();
        assert_eq!(names, ["script", "i"]);
    }

    #[test]
    fn cut_off_tags_and_stray_brackets() {
        assert!(tags("<img src='http://x").is_empty());
        assert!(tags("a < b <3 <").is_empty());
        assert_eq!(start(&tags("<<a>")[0]).name, "a");
        assert!(tags("<plaintext><img src=x>").len() == 1);
    }

    #[test]
    fn character_references() {
        assert_eq!(decode_references("&#104;ttp&colon;//x"), "http://x");
        assert_eq!(decode_references("&#x68;&#X74;tp"), "http");
        assert_eq!(decode_references("a&amp;b&ampc&unknown;"), "a&b&c&unknown;");
        assert_eq!(
            decode_references("&#99999999999;&#;&"),
            "&#99999999999;&#;&"
        );
        assert_eq!(decode_references("&#0;"), "\u{0}");
        assert_eq!(decode_references("&#x110000;"), "\u{fffd}");
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_linear() {
        let mut seed = 0x1234_5678u32;
        for _ in 0..200 {
            let len = (seed % 300) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    b"<>!-/='\" &#;ascriptyle\n\xff"[(seed >> 16) as usize % 24]
                })
                .collect();
            let _ = Scanner::new(&bytes).count();
        }
        // Many unclosed quotes and '<'s: one pass, no blow-up.
        let nasty = "<a b='".repeat(20_000) + &"<".repeat(50_000);
        let _ = Scanner::new(nasty.as_bytes()).count();
    }
}
