//! Distinguished-name matching (RFC 5280 §7.1) without allocating: attribute by attribute,
//! string values ASCII case-folded with whitespace trimmed and collapsed, so that a
//! PrintableString issuer matches a UTF8String subject of the same text.
//!
//! Path building compares names on every candidate issuer, so names are compared in place
//! (`names_equal`) rather than turned into owned keys. Trust anchors keep one owned key
//! each (`name_key`), found by a stable hash of it (`name_hash`) that a certificate's
//! issuer name yields without building the key.

use x509_parser::x509::{AttributeTypeAndValue, RelativeDistinguishedName, X509Name};

/// Receives a name's comparison key piece by piece, so the same walk builds a key, hashes
/// it, or compares it with a stored one.
trait KeySink {
    fn put(&mut self, bytes: &[u8]);
}

impl KeySink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// FNV-1a, 64-bit: stable across runs, and only a filter (matches are confirmed in full).
struct Fnv(u64);

impl KeySink for Fnv {
    fn put(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// Checks the streamed key against a stored one.
struct Matcher<'k> {
    rest: &'k [u8],
    equal: bool,
}

impl KeySink for Matcher<'_> {
    fn put(&mut self, bytes: &[u8]) {
        if self.equal {
            match self.rest.strip_prefix(bytes) {
                Some(rest) => self.rest = rest,
                None => self.equal = false,
            }
        }
    }
}

/// An attribute value as compared: normalized text for the string types x509-parser reads
/// as text, the raw value bytes otherwise.
enum Value<'a> {
    Text(&'a str),
    Raw(&'a [u8]),
}

fn value<'a>(atv: &AttributeTypeAndValue<'a>) -> Value<'a> {
    match atv.as_str() {
        Ok(s) => Value::Text(s),
        Err(_) => Value::Raw(atv.attr_value().data),
    }
}

/// The normalized text: words separated by one space, ASCII lower-cased.
fn normalized(s: &str) -> impl Iterator<Item = u8> + '_ {
    s.split_ascii_whitespace()
        .enumerate()
        .flat_map(|(i, word)| {
            (i > 0)
                .then_some(b' ')
                .into_iter()
                .chain(word.bytes().map(|b| b.to_ascii_lowercase()))
        })
}

/// How many bytes `normalized(s)` yields, counted in one plain pass over the bytes (names
/// are hashed on every path-building step).
fn normalized_len(s: &str) -> usize {
    let (mut len, mut words, mut in_word) = (0usize, 0usize, false);
    for b in s.bytes() {
        if b.is_ascii_whitespace() {
            in_word = false;
        } else {
            if !in_word {
                words += 1;
                in_word = true;
            }
            len += 1;
        }
    }
    len + words.saturating_sub(1)
}

/// Lengths and counts in keys are 4-byte big-endian: values are bounded by the 64 KiB
/// certificate limit, so they never saturate.
fn put_len(sink: &mut impl KeySink, n: usize) {
    sink.put(&u32::try_from(n).unwrap_or(u32::MAX).to_be_bytes());
}

/// One attribute's key: its type and its value, each length-prefixed, so that keys of
/// different attributes can never run into each other.
fn put_attr(sink: &mut impl KeySink, atv: &AttributeTypeAndValue<'_>) {
    let typ = atv.attr_type().as_bytes();
    put_len(sink, typ.len());
    sink.put(typ);
    match value(atv) {
        Value::Text(s) => {
            sink.put(b"s");
            put_len(sink, normalized_len(s));
            // The bytes `normalized` yields, a word's chunk at a time.
            for (i, word) in s.split_ascii_whitespace().enumerate() {
                if i > 0 {
                    sink.put(b" ");
                }
                for chunk in word.as_bytes().chunks(64) {
                    let mut buf = [0u8; 64];
                    let lower = buf.get_mut(..chunk.len()).unwrap_or_default();
                    for (l, c) in lower.iter_mut().zip(chunk) {
                        *l = c.to_ascii_lowercase();
                    }
                    sink.put(lower);
                }
            }
        }
        Value::Raw(raw) => {
            sink.put(b"b");
            put_len(sink, raw.len());
            sink.put(raw);
        }
    }
}

/// One RDN's key: its attribute count, then its attributes. RFC 5280 §7.1: a
/// multi-valued RDN is a set, so its attributes go in sorted key order (the one case that
/// allocates; certificates in practice have one attribute per RDN).
fn put_rdn(sink: &mut impl KeySink, rdn: &RelativeDistinguishedName<'_>) {
    let mut attrs = rdn.iter();
    match (attrs.next(), attrs.next()) {
        (None, _) => put_len(sink, 0),
        (Some(only), None) => {
            put_len(sink, 1);
            put_attr(sink, only);
        }
        _ => {
            let mut keys: Vec<Vec<u8>> = rdn
                .iter()
                .map(|atv| {
                    let mut k = Vec::new();
                    put_attr(&mut k, atv);
                    k
                })
                .collect();
            keys.sort();
            put_len(sink, keys.len());
            for k in &keys {
                sink.put(k);
            }
        }
    }
}

fn put_name(sink: &mut impl KeySink, name: &X509Name<'_>) {
    put_len(sink, name.iter().count());
    for rdn in name.iter() {
        put_rdn(sink, rdn);
    }
}

/// The owned comparison key of a name: equal keys, equal names.
pub(crate) fn name_key(name: &X509Name<'_>) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.as_raw().len() + 16);
    put_name(&mut key, name);
    key
}

/// The comparison key of one RDN; see [`name_key`].
fn rdn_key(rdn: &RelativeDistinguishedName<'_>) -> Vec<u8> {
    let mut key = Vec::new();
    put_rdn(&mut key, rdn);
    key
}

/// A stable hash of a name's key, computed without building it.
pub(crate) fn name_hash(name: &X509Name<'_>) -> u64 {
    let mut h = Fnv(FNV_OFFSET);
    put_name(&mut h, name);
    h.0
}

/// The same hash of an already built key.
pub(crate) fn key_hash(key: &[u8]) -> u64 {
    let mut h = Fnv(FNV_OFFSET);
    h.put(key);
    h.0
}

/// Whether `name` has the comparison key `key`, without building its key.
pub(crate) fn name_matches_key(name: &X509Name<'_>, key: &[u8]) -> bool {
    let mut m = Matcher {
        rest: key,
        equal: true,
    };
    put_name(&mut m, name);
    m.equal && m.rest.is_empty()
}

fn attrs_equal(a: &AttributeTypeAndValue<'_>, b: &AttributeTypeAndValue<'_>) -> bool {
    a.attr_type().as_bytes() == b.attr_type().as_bytes()
        && match (value(a), value(b)) {
            (Value::Text(s), Value::Text(t)) => normalized(s).eq(normalized(t)),
            (Value::Raw(s), Value::Raw(t)) => s == t,
            _ => false,
        }
}

/// Whether two RDNs match (their keys are equal), in place for the usual single attribute.
pub(crate) fn rdns_equal(
    a: &RelativeDistinguishedName<'_>,
    b: &RelativeDistinguishedName<'_>,
) -> bool {
    let (mut x, mut y) = (a.iter(), b.iter());
    match (x.next(), x.next(), y.next(), y.next()) {
        (None, _, None, _) => true,
        (Some(p), None, Some(q), None) => attrs_equal(p, q),
        _ => rdn_key(a) == rdn_key(b),
    }
}

/// Whether two names match (their keys are equal). Identical encodings, the common case of
/// an issuer name copied from its CA's subject, match without looking inside.
pub(crate) fn names_equal(a: &X509Name<'_>, b: &X509Name<'_>) -> bool {
    if a.as_raw() == b.as_raw() {
        return true;
    }
    let (mut x, mut y) = (a.iter(), b.iter());
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(r), Some(s)) if rdns_equal(r, s) => {}
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::prelude::FromDer;

    /// DER Name with one RDN per (OID arc of id-at, string tag, value).
    fn name(attrs: &[&[(u8, u8, &str)]]) -> Vec<u8> {
        fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
            let mut out = vec![tag, u8::try_from(body.len()).unwrap()];
            out.extend_from_slice(body);
            out
        }
        let mut rdns = Vec::new();
        for rdn in attrs {
            let mut set = Vec::new();
            for (arc, tag, v) in *rdn {
                let mut atv = tlv(0x06, &[0x55, 0x04, *arc]);
                atv.extend(tlv(*tag, v.as_bytes()));
                set.extend(tlv(0x30, &atv));
            }
            rdns.extend(tlv(0x31, &set));
        }
        tlv(0x30, &rdns)
    }

    fn parse(der: &[u8]) -> X509Name<'_> {
        X509Name::from_der(der).unwrap().1
    }

    const UTF8: u8 = 0x0c;
    const PRINTABLE: u8 = 0x13;
    const BMP: u8 = 0x1e;

    /// Every way of comparing agrees with comparing owned keys.
    fn agree(a: &[u8], b: &[u8]) -> bool {
        let (a, b) = (parse(a), parse(b));
        let by_key = name_key(&a) == name_key(&b);
        assert_eq!(names_equal(&a, &b), by_key);
        assert_eq!(names_equal(&b, &a), by_key);
        assert_eq!(name_matches_key(&a, &name_key(&b)), by_key);
        assert_eq!(name_key(&a), name_key(&a));
        for text in [" a  b ", "", "   ", "x", "Example\tCA\n"] {
            assert_eq!(normalized_len(text), normalized(text).count());
        }
        assert_eq!(name_hash(&a), key_hash(&name_key(&a)));
        if by_key {
            assert_eq!(name_hash(&a), name_hash(&b));
        }
        by_key
    }

    #[test]
    fn case_whitespace_and_string_type_do_not_matter() {
        let a = name(&[&[(6, PRINTABLE, "US")], &[(3, PRINTABLE, "Example  CA ")]]);
        let b = name(&[&[(6, UTF8, "us")], &[(3, UTF8, " example ca")]]);
        assert!(agree(&a, &b));
    }

    #[test]
    fn different_text_order_or_count_differs() {
        let a = name(&[&[(6, UTF8, "US")], &[(3, UTF8, "Example CA")]]);
        assert!(!agree(
            &a,
            &name(&[&[(3, UTF8, "Example CA")], &[(6, UTF8, "US")]])
        ));
        assert!(!agree(&a, &name(&[&[(6, UTF8, "US")]])));
        assert!(!agree(
            &a,
            &name(&[&[(6, UTF8, "US")], &[(3, UTF8, "Example CB")]])
        ));
        assert!(!agree(
            &a,
            &name(&[&[(6, UTF8, "US")], &[(10, UTF8, "Example CA")]])
        ));
        assert!(!agree(
            &a,
            &name(&[&[(6, UTF8, "US")], &[(3, UTF8, "ExampleCA")]])
        ));
    }

    #[test]
    fn non_text_values_compare_as_bytes() {
        let a = name(&[&[(3, BMP, "ab")]]);
        assert!(agree(&a, &name(&[&[(3, BMP, "ab")]])));
        assert!(!agree(&a, &name(&[&[(3, BMP, "AB")]])));
        assert!(!agree(&a, &name(&[&[(3, UTF8, "ab")]])));
    }

    #[test]
    fn multi_valued_rdns_are_sets() {
        let a = name(&[&[(3, UTF8, "CA"), (10, UTF8, "Org")]]);
        assert!(agree(&a, &name(&[&[(10, UTF8, "org"), (3, UTF8, "ca")]])));
        assert!(!agree(&a, &name(&[&[(3, UTF8, "CA")]])));
        assert!(!agree(
            &a,
            &name(&[&[(3, UTF8, "CA")], &[(10, UTF8, "Org")]])
        ));
        assert!(!agree(&a, &name(&[&[(3, UTF8, "CA"), (10, UTF8, "Org2")]])));
    }

    #[test]
    fn long_values_and_empty_names() {
        let long = "x".repeat(100);
        let a = name(&[&[(3, UTF8, &long)]]);
        assert!(agree(&a, &name(&[&[(3, UTF8, &long.to_uppercase())]])));
        assert!(!agree(&a, &name(&[&[(3, UTF8, &long[1..])]])));
        assert!(agree(&name(&[]), &name(&[])));
        assert!(!agree(&name(&[]), &a));
    }
}
