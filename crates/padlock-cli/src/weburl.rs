//! Just enough of the WHATWG URL rules for `scan`: absolute `scheme://host[:port]/path`
//! URLs, and references resolved against them (redirects, `<base href>`, subresources).

use std::fmt;

/// The longest URL `scan` takes; browsers have limits too, and a page is bounded anyway.
pub const MAX_URL: usize = 16 * 1024;

/// An absolute hierarchical URL, without its fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebUrl {
    /// Lower case: `https`, `http`.
    pub scheme: String,
    /// Lower case; an IPv6 address without its brackets.
    pub host: String,
    /// `None`: the scheme's default port.
    pub port: Option<u16>,
    /// Path and query, starting with `/`, percent-encoded where it had to be.
    pub path: String,
}

impl WebUrl {
    /// Parses an absolute URL with an authority (`scheme://host...`).
    pub fn parse(s: &str) -> Result<WebUrl, String> {
        let s = clean(s);
        if s.len() > MAX_URL {
            return Err(format!("URL longer than {MAX_URL} bytes"));
        }
        let scheme = scheme_of(&s).ok_or_else(|| format!("{s:?} is not an absolute URL"))?;
        let rest = s.get(scheme.len() + 1..).unwrap_or_default();
        let rest = rest
            .strip_prefix("//")
            .ok_or_else(|| format!("{s:?} has no host"))?;
        let rest = strip_fragment(rest);
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        if authority.contains('@') {
            return Err(format!(
                "{s:?} carries a user name or password, which scan does not send"
            ));
        }
        let (host, port) =
            split_authority(authority).ok_or_else(|| format!("{s:?} has a bad host or port"))?;
        Ok(WebUrl {
            scheme,
            host,
            port,
            path: normalize_path(path),
        })
    }

    /// The port to connect to: the explicit one, else 443 for https and 80 for http.
    pub fn port_or_default(&self) -> u16 {
        self.port.unwrap_or(match self.scheme.as_str() {
            "http" => 80,
            _ => 443,
        })
    }

    /// `host[:port]` as the Host header and the URL write it (the port only when it is not
    /// the scheme's default).
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match self.port {
            Some(p) if p != default_port(&self.scheme) => format!("{host}:{p}"),
            _ => host,
        }
    }

    /// Resolves `reference` (absolute, `//host/path`, `/path`, `?query` or relative)
    /// against this URL.
    pub fn join(&self, reference: &str) -> Result<WebUrl, String> {
        let r = clean(reference);
        let r = strip_fragment(&r).replace('\\', "/");
        if let Some(scheme) = scheme_of(&r) {
            let rest = r.get(scheme.len() + 1..).unwrap_or_default();
            if rest.starts_with("//") {
                return WebUrl::parse(&r);
            }
            // `http:foo`: relative when the scheme matches the base's, else `http://foo`
            // (the URL standard's rule for special schemes).
            if scheme != self.scheme {
                return WebUrl::parse(&format!("{scheme}://{rest}"));
            }
            return self.join(rest);
        }
        if r.starts_with("//") {
            return WebUrl::parse(&format!("{}:{r}", self.scheme));
        }
        let path = if r.is_empty() {
            self.path.clone()
        } else if r.starts_with('/') {
            r
        } else if r.starts_with('?') {
            format!("{}{r}", self.path.split('?').next().unwrap_or("/"))
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = base
                .rfind('/')
                .map_or("/", |i| base.get(..=i).unwrap_or("/"));
            format!("{dir}{r}")
        };
        Ok(WebUrl {
            scheme: self.scheme.clone(),
            host: self.host.clone(),
            port: self.port,
            path: normalize_path(&path),
        })
    }
}

impl fmt::Display for WebUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}{}", self.scheme, self.authority(), self.path)
    }
}

fn default_port(scheme: &str) -> u16 {
    if scheme == "http" {
        80
    } else {
        443
    }
}

/// What browsers do to a URL before parsing it: leading and trailing spaces and control
/// characters go, and so do tabs and newlines anywhere.
pub fn clean(s: &str) -> String {
    s.trim_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\n' | '\r'))
        .collect()
}

/// The scheme of `reference` in lower case, if it has one (RFC 3986 §3.1:
/// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`).
pub fn scheme_of(reference: &str) -> Option<String> {
    let colon = reference.find(':')?;
    let scheme = reference.get(..colon)?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    (first_ok && rest_ok).then(|| scheme.to_ascii_lowercase())
}

fn strip_fragment(s: &str) -> &str {
    s.split('#').next().unwrap_or_default()
}

/// `host[:port]` or `[v6]:port`; the host lower-cased, the port checked.
fn split_authority(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() || host.contains(['/', '?', '#', ' ', '[', ']']) {
        return None;
    }
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(p.parse().ok()?),
    };
    Some((host.to_ascii_lowercase(), port))
}

/// Dot segments removed (RFC 3986 §5.2.4) and bytes that may not appear in a request line
/// percent-encoded; the query is kept as it is apart from that.
fn normalize_path(path: &str) -> String {
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let mut out: Vec<&str> = Vec::new();
    let segments: Vec<&str> = path.split('/').skip(1).collect();
    let last = segments.len().saturating_sub(1);
    for (i, seg) in segments.iter().enumerate() {
        match *seg {
            "." | "%2e" | "%2E" => {
                if i == last {
                    out.push("");
                }
            }
            ".." | ".%2e" | "%2e." | "%2e%2e" | "%2E%2E" => {
                out.pop();
                if i == last {
                    out.push("");
                }
            }
            s => out.push(s),
        }
    }
    let mut result = format!("/{}", out.join("/"));
    if let Some(q) = query {
        result.push('?');
        result.push_str(q);
    }
    percent_encode(&result)
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_graphic() {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> WebUrl {
        WebUrl::parse(s).unwrap()
    }

    #[test]
    fn parses_absolute_urls() {
        let u = url("  HTTPS://Example.COM:8443/a/b?q=1#frag ");
        assert_eq!(
            (u.scheme.as_str(), u.host.as_str(), u.port, u.path.as_str()),
            ("https", "example.com", Some(8443), "/a/b?q=1")
        );
        assert_eq!(u.to_string(), "https://example.com:8443/a/b?q=1");
        assert_eq!(url("https://a.test").path, "/");
        assert_eq!(url("https://a.test:443/").authority(), "a.test");
        assert_eq!(url("https://[::1]:4433/x").authority(), "[::1]:4433");
        assert_eq!(url("https://[::1]/").host, "::1");
        assert_eq!(url("https://a.test/a b").path, "/a%20b");
        assert_eq!(url("https://a.test/é").path, "/%C3%A9");
        for bad in [
            "a.test/x",
            "https:a.test",
            "https://",
            "https://:443/",
            "https://u:p@a.test/",
            "https://a.test:99999/",
            "https://[zz]/",
        ] {
            assert!(WebUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn joins_references() {
        let base = url("https://a.test:8443/dir/page.html?x=1");
        let j = |r: &str| base.join(r).unwrap().to_string();
        assert_eq!(j("other.html"), "https://a.test:8443/dir/other.html");
        assert_eq!(j("../up.html"), "https://a.test:8443/up.html");
        assert_eq!(j("../../../up.html"), "https://a.test:8443/up.html");
        assert_eq!(j("./"), "https://a.test:8443/dir/");
        assert_eq!(j("/root"), "https://a.test:8443/root");
        assert_eq!(j("?y=2"), "https://a.test:8443/dir/page.html?y=2");
        assert_eq!(j(""), "https://a.test:8443/dir/page.html?x=1");
        assert_eq!(j("#top"), "https://a.test:8443/dir/page.html?x=1");
        assert_eq!(j("//cdn.test/s.js"), "https://cdn.test/s.js");
        assert_eq!(j("http://b.test/"), "http://b.test/");
        assert_eq!(j("https:other"), "https://a.test:8443/dir/other");
        assert_eq!(j("http:b.test/x"), "http://b.test/x");
        assert_eq!(j("\\\\cdn.test\\x"), "https://cdn.test/x");
        assert_eq!(j(" /a\n/b "), "https://a.test:8443/a/b");
    }

    #[test]
    fn schemes() {
        assert_eq!(scheme_of("HTTP://x").as_deref(), Some("http"));
        assert_eq!(scheme_of("data:image/png,x").as_deref(), Some("data"));
        assert_eq!(scheme_of("/a:b"), None);
        assert_eq!(scheme_of("1http:x"), None);
        assert_eq!(scheme_of("no-colon"), None);
    }
}
