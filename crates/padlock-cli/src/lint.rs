//! Warnings about certificates, chains and keys that will bite in production: each one
//! sentence saying what is wrong, and what to do.

use crate::certinfo::{self, CertFacts};
use crate::style::capitalized;

/// Certificates expiring within this many days are flagged.
pub const EXPIRY_WARN_DAYS: i64 = 30;

/// Lints for a list of certificates as they appear in a file or on the wire (leaf first
/// expected), plus the public keys of any private keys given alongside.
pub fn lint(certs: &[CertFacts], key_publics: &[Vec<u8>], now: i64) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in certs.iter().enumerate() {
        let which = format!("Certificate {} ({})", i + 1, c.subject);
        let days = c.days_left(now);
        if c.not_after < now {
            out.push(format!(
                "{which} expired on {}, {}: renew it.",
                certinfo::date(c.not_after),
                certinfo::days_phrase(days)
            ));
        } else if days < EXPIRY_WARN_DAYS {
            out.push(format!(
                "{which} expires {} ({}): renew it before then.",
                certinfo::days_phrase(days),
                certinfo::date(c.not_after)
            ));
        }
        if c.not_before > now {
            out.push(format!(
                "{which} is not valid before {}: check the clock of the machine that issued it.",
                certinfo::date_time(c.not_before)
            ));
        }
        // A root's own signature is never checked, so only issued certificates count.
        if let (Some(weak), false) = (c.weak_signature(), c.self_issued) {
            out.push(format!(
                "{which} is signed with {weak}, which browsers reject: re-issue it with SHA-256."
            ));
        }
        if c.key.starts_with("RSA") && c.key_bits > 0 && c.key_bits < 2048 {
            out.push(format!(
                "{which} has a {}-bit RSA key, which browsers reject: use 2048 bits or more, or ECDSA P-256.",
                c.key_bits
            ));
        }
        if !c.is_ca && c.dns_names.is_empty() && c.ip_addresses.is_empty() {
            out.push(format!(
                "{which} has no subjectAltName, so browsers accept it for no name (the common name is ignored, RFC 9525): re-issue it with the names in subjectAltName."
            ));
        }
    }
    out.extend(chain_order(certs));
    out.extend(key_match(certs, key_publics));
    out
}

/// A server sends its leaf first and then each certificate's issuer (RFC 8446 §4.4.2;
/// RFC 5246 §7.4.2 required it outright).
fn chain_order(certs: &[CertFacts]) -> Option<String> {
    if certs.len() < 2 {
        return None;
    }
    let issues = |issuer: &CertFacts, subject: &CertFacts| issuer.subject_der == subject.issuer_der;
    let broken = certs
        .windows(2)
        .position(|w| matches!(w, [a, b] if !issues(b, a) && !a.self_issued))?;
    let mut sentence =
        format!(
        "The chain is out of order: certificate {} ({}) is not the issuer of certificate {} ({})",
        broken + 2,
        certs.get(broken + 1).map(|c| c.subject.as_str()).unwrap_or("?"),
        broken + 1,
        certs.get(broken).map(|c| c.subject.as_str()).unwrap_or("?"),
    );
    match proper_order(certs) {
        Some(order) => sentence.push_str(&format!(
            "; put the leaf first and then each issuer, in the order {}.",
            order
                .iter()
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
        None => sentence.push_str(
            "; put the leaf first and then each issuer, and leave out certificates of other chains.",
        ),
    }
    Some(sentence)
}

/// The order leaf, issuer, issuer's issuer... when the certificates form one chain.
fn proper_order(certs: &[CertFacts]) -> Option<Vec<usize>> {
    // The leaf issues nothing in the set.
    let issues_another = |i: usize| {
        certs.iter().enumerate().any(|(j, c)| {
            j != i
                && certs
                    .get(i)
                    .is_some_and(|me| me.subject_der == c.issuer_der)
        })
    };
    let leaves: Vec<usize> = (0..certs.len()).filter(|&i| !issues_another(i)).collect();
    let [leaf] = leaves.as_slice() else {
        return None;
    };
    let mut order = vec![*leaf];
    while order.len() < certs.len() {
        let last = certs.get(*order.last()?)?;
        if last.self_issued {
            return None;
        }
        let next = (0..certs.len()).find(|j| {
            !order.contains(j)
                && certs
                    .get(*j)
                    .is_some_and(|c| c.subject_der == last.issuer_der)
        })?;
        order.push(next);
    }
    Some(order)
}

/// A private key given with certificates must be the first certificate's (what a server
/// loads as its leaf).
fn key_match(certs: &[CertFacts], key_publics: &[Vec<u8>]) -> Vec<String> {
    let Some(leaf) = certs.first() else {
        return Vec::new();
    };
    key_publics
        .iter()
        .enumerate()
        .filter(|(_, k)| **k != leaf.public_key)
        .map(|(n, k)| {
            let key = if key_publics.len() > 1 {
                format!("private key {}", n + 1)
            } else {
                "the private key".into()
            };
            match certs.iter().position(|c| c.public_key == *k) {
                Some(i) => format!(
                    "{} belongs to certificate {} ({}), not to the leaf certificate 1 ({}): put that certificate first, or use the leaf's key.",
                    capitalized(&key),
                    i + 1,
                    certs.get(i).map(|c| c.subject.as_str()).unwrap_or("?"),
                    leaf.subject
                ),
                None => format!(
                    "{} does not match certificate 1 ({}): use the key the certificate was issued for, or re-issue the certificate for this key.",
                    capitalized(&key),
                    leaf.subject
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};

    struct Made {
        facts: CertFacts,
        key: KeyPair,
    }

    fn chain() -> Vec<Made> {
        let root_key = KeyPair::generate().unwrap();
        let mut root_params = CertificateParams::new(vec![]).unwrap();
        root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "root");
        let root = root_params.self_signed(&root_key).unwrap();
        let root_issuer = rcgen::Issuer::new(root_params, &root_key);

        let int_key = KeyPair::generate().unwrap();
        let mut int_params = CertificateParams::new(vec![]).unwrap();
        int_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        int_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "intermediate");
        let int = int_params.signed_by(&int_key, &root_issuer).unwrap();
        let int_issuer = rcgen::Issuer::new(int_params, &int_key);

        let leaf_key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["a.test".into()])
            .unwrap()
            .signed_by(&leaf_key, &int_issuer)
            .unwrap();
        vec![
            Made {
                facts: CertFacts::parse(leaf.der()).unwrap(),
                key: leaf_key,
            },
            Made {
                facts: CertFacts::parse(int.der()).unwrap(),
                key: int_key,
            },
            Made {
                facts: CertFacts::parse(root.der()).unwrap(),
                key: root_key,
            },
        ]
    }

    #[test]
    fn good_chain_has_no_warnings() {
        let made = chain();
        let facts: Vec<CertFacts> = made.iter().map(|m| m.facts.clone()).collect();
        let key = made[0].key.public_key_raw().to_vec();
        assert_eq!(lint(&facts, &[key], certinfo::now()), Vec::<String>::new());
    }

    #[test]
    fn wrong_order_and_wrong_key() {
        let made = chain();
        let facts: Vec<CertFacts> = [0, 2, 1].iter().map(|&i| made[i].facts.clone()).collect();
        let key = made[1].key.public_key_raw().to_vec();
        let warnings = lint(&facts, &[key], certinfo::now());
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert_eq!(
            warnings[0],
            "The chain is out of order: certificate 2 (CN=root) is not the issuer of certificate 1 (CN=rcgen self signed cert); put the leaf first and then each issuer, in the order 1, 3, 2."
        );
        assert_eq!(
            warnings[1],
            "The private key belongs to certificate 3 (CN=intermediate), not to the leaf certificate 1 (CN=rcgen self signed cert): put that certificate first, or use the leaf's key."
        );
        let stranger = KeyPair::generate().unwrap().public_key_raw().to_vec();
        assert_eq!(
            lint(&facts[..1], &[stranger], certinfo::now()),
            vec!["The private key does not match certificate 1 (CN=rcgen self signed cert): use the key the certificate was issued for, or re-issue the certificate for this key.".to_string()]
        );
    }

    #[test]
    fn expiry_and_names() {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![]).unwrap();
        params.not_before = rcgen::date_time_ymd(2020, 1, 1);
        params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        let c = CertFacts::parse(params.self_signed(&key).unwrap().der()).unwrap();
        let now = c.not_after - 86_400 * 10;
        let w = lint(std::slice::from_ref(&c), &[], now);
        assert_eq!(
            w,
            [
                "Certificate 1 (CN=rcgen self signed cert) expires in 10 days (2021-01-01): renew it before then.",
                "Certificate 1 (CN=rcgen self signed cert) has no subjectAltName, so browsers accept it for no name (the common name is ignored, RFC 9525): re-issue it with the names in subjectAltName."
            ]
        );
        let w = lint(std::slice::from_ref(&c), &[], c.not_after + 86_400 * 3);
        assert_eq!(
            w[0],
            "Certificate 1 (CN=rcgen self signed cert) expired on 2021-01-01, 3 days ago: renew it."
        );
    }
}
