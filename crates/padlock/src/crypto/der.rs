//! Just enough DER (X.690) reading to tell what kind of private key a
//! PKCS#8 / SEC1 / PKCS#1 blob holds before handing it to aws-lc-rs, so a
//! wrong key type gets a precise error and RSA-PSS keys can be unwrapped.
//! Input is local configuration, but it is still parsed without panics.

/// DER tags we meet in private key structures.
pub(crate) const INTEGER: u8 = 0x02;
pub(crate) const OCTET_STRING: u8 = 0x04;
pub(crate) const OID: u8 = 0x06;
pub(crate) const SEQUENCE: u8 = 0x30;

/// Context-specific constructed tags `[0]`..`[3]`.
pub(crate) const fn context(n: u8) -> u8 {
    0xa0 | n
}

/// Object identifiers (content bytes only) that matter for key loading.
pub(crate) mod oid {
    /// rsaEncryption, RFC 8017 appendix C.
    pub(crate) const RSA_ENCRYPTION: &[u8] =
        &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    /// id-RSASSA-PSS, RFC 4055 §3.1.
    pub(crate) const RSASSA_PSS: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a];
    /// id-mgf1, RFC 4055 §2.2.
    pub(crate) const MGF1: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08];
    /// id-ecPublicKey, RFC 5480 §2.1.1.
    pub(crate) const EC_PUBLIC_KEY: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    /// secp256r1 / prime256v1, RFC 5480 §2.1.1.1.
    pub(crate) const SECP256R1: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07];
    /// secp384r1.
    pub(crate) const SECP384R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x22];
    /// secp521r1.
    pub(crate) const SECP521R1: &[u8] = &[0x2b, 0x81, 0x04, 0x00, 0x23];
    /// id-Ed25519, RFC 8410 §3.
    pub(crate) const ED25519: &[u8] = &[0x2b, 0x65, 0x70];
    /// id-Ed448, RFC 8410 §3.
    pub(crate) const ED448: &[u8] = &[0x2b, 0x65, 0x71];
    /// id-X25519, RFC 8410 §3 (a key-agreement key, not a signing key).
    pub(crate) const X25519: &[u8] = &[0x2b, 0x65, 0x6e];
    /// id-dsa, RFC 3279 §2.3.2.
    pub(crate) const DSA: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x38, 0x04, 0x01];
    /// id-sha1.
    pub(crate) const SHA1: &[u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
    /// id-sha256, RFC 5754 §2.
    pub(crate) const SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    /// id-sha384.
    pub(crate) const SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    /// id-sha512.
    pub(crate) const SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
}

/// A cursor over DER bytes.
#[derive(Clone, Copy)]
pub(crate) struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self(bytes)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The next element's tag without consuming it.
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.0.first().copied()
    }

    /// Reads one element (single-byte tag, definite length of at most four
    /// length bytes) and returns `(tag, contents)`.
    pub(crate) fn any(&mut self) -> Option<(u8, &'a [u8])> {
        let (&tag, rest) = self.0.split_first()?;
        let (&first, mut rest) = rest.split_first()?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 {
                return None;
            }
            let (len_bytes, after) = rest.split_at_checked(n)?;
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let (contents, after) = rest.split_at_checked(len)?;
        self.0 = after;
        Some((tag, contents))
    }

    /// Reads an element that must carry `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Option<&'a [u8]> {
        match self.any()? {
            (t, contents) if t == tag => Some(contents),
            _ => None,
        }
    }

    /// Reads an element only if it carries `tag`.
    pub(crate) fn optional(&mut self, tag: u8) -> Option<&'a [u8]> {
        if self.peek_tag() == Some(tag) {
            self.expect(tag)
        } else {
            None
        }
    }
}

/// The parts of a PKCS#8 `PrivateKeyInfo` / `OneAsymmetricKey`
/// (RFC 5208 §5, RFC 5958 §2) we look at.
pub(crate) struct Pkcs8<'a> {
    pub(crate) algorithm: &'a [u8],
    /// The raw `parameters` element (tag and contents), if present.
    pub(crate) parameters: Option<(u8, &'a [u8])>,
    /// The contents of the `privateKey` OCTET STRING.
    pub(crate) private_key: &'a [u8],
}

pub(crate) fn parse_pkcs8(bytes: &[u8]) -> Option<Pkcs8<'_>> {
    let mut outer = Der::new(bytes);
    let mut info = Der::new(outer.expect(SEQUENCE)?);
    info.expect(INTEGER)?;
    let mut alg = Der::new(info.expect(SEQUENCE)?);
    let algorithm = alg.expect(OID)?;
    let parameters = if alg.is_empty() { None } else { alg.any() };
    let private_key = info.expect(OCTET_STRING)?;
    Some(Pkcs8 {
        algorithm,
        parameters,
        private_key,
    })
}

/// The curve OID of a SEC1 `ECPrivateKey` (RFC 5915 §3) if it names one,
/// and the length of its private scalar.
pub(crate) fn parse_sec1(bytes: &[u8]) -> Option<(Option<&[u8]>, usize)> {
    let mut outer = Der::new(bytes);
    let mut key = Der::new(outer.expect(SEQUENCE)?);
    key.expect(INTEGER)?;
    let scalar = key.expect(OCTET_STRING)?;
    let curve = key
        .optional(context(0))
        .and_then(|params| Der::new(params).expect(OID));
    Some((curve, scalar.len()))
}

/// The modulus size in bits of a PKCS#1 `RSAPrivateKey` (RFC 8017 §A.1.2).
pub(crate) fn rsa_modulus_bits(pkcs1: &[u8]) -> Option<usize> {
    let mut outer = Der::new(pkcs1);
    let mut key = Der::new(outer.expect(SEQUENCE)?);
    key.expect(INTEGER)?;
    let modulus = key.expect(INTEGER)?;
    let significant = match modulus.iter().position(|&b| b != 0) {
        Some(i) => modulus.get(i..)?,
        None => return Some(0),
    };
    let top = significant.first()?;
    Some(significant.len() * 8 - top.leading_zeros() as usize)
}

/// The hash an `RSASSA-PSS-params` (RFC 4055 §3.1) restricts a key to:
/// `Ok(None)` when the key carries no parameters (any hash), `Ok(Some(oid))`
/// for a consistent restriction, `Err(reason)` for one TLS cannot satisfy.
pub(crate) fn pss_restriction(params: Option<(u8, &[u8])>) -> Result<Option<&[u8]>, &'static str> {
    let Some((tag, contents)) = params else {
        return Ok(None);
    };
    if tag != SEQUENCE {
        return Err("malformed RSASSA-PSS parameters");
    }
    let mut p = Der::new(contents);
    // RFC 4055 §3.1: absent hashAlgorithm means SHA-1, which TLS 1.3's
    // rsa_pss_pss_* schemes never use.
    let hash = match p.optional(context(0)) {
        Some(h) => algorithm_oid(h).ok_or("malformed RSASSA-PSS hashAlgorithm")?,
        None => oid::SHA1,
    };
    // RFC 8446 §4.2.3: MGF1 with the same hash as the message digest.
    let mgf_hash = match p.optional(context(1)) {
        Some(m) => {
            let mut mgf = Der::new(
                Der::new(m)
                    .expect(SEQUENCE)
                    .ok_or("malformed maskGenAlgorithm")?,
            );
            if mgf.expect(OID) != Some(oid::MGF1) {
                return Err("maskGenAlgorithm is not MGF1");
            }
            let inner = mgf.expect(SEQUENCE).ok_or("malformed MGF1 parameters")?;
            Der::new(inner).expect(OID).ok_or("malformed MGF1 hash")?
        }
        None => oid::SHA1,
    };
    if hash != mgf_hash {
        return Err("RSASSA-PSS parameters use different message and MGF1 hashes");
    }
    let hash_len = match hash {
        h if h == oid::SHA256 => 32,
        h if h == oid::SHA384 => 48,
        h if h == oid::SHA512 => 64,
        _ => return Err("RSASSA-PSS parameters name a hash TLS 1.3 does not use"),
    };
    // The key's saltLength is the minimum the key may sign with; TLS 1.3
    // signs with salt = hash length (RFC 8446 §4.2.3).
    if let Some(salt) = p.optional(context(2)) {
        let salt = Der::new(salt)
            .expect(INTEGER)
            .ok_or("malformed saltLength")?;
        if salt.len() > 2 || salt.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b)) > hash_len
        {
            return Err("RSASSA-PSS saltLength exceeds the hash length TLS 1.3 signs with");
        }
    }
    Ok(Some(hash))
}

fn algorithm_oid(explicit: &[u8]) -> Option<&[u8]> {
    let mut seq = Der::new(Der::new(explicit).expect(SEQUENCE)?);
    seq.expect(OID)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_and_oversized_lengths_are_rejected() {
        assert!(Der::new(&[]).any().is_none());
        assert!(Der::new(&[0x30]).any().is_none());
        assert!(Der::new(&[0x30, 0x02, 0x00]).any().is_none());
        assert!(Der::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).any().is_none());
        assert!(Der::new(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff])
            .any()
            .is_none());
        assert_eq!(
            Der::new(&[0x04, 0x81, 0x01, 0xaa]).any(),
            Some((0x04, &[0xaa][..]))
        );
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for len in 0..200 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    (seed & 0xff) as u8
                })
                .collect();
            let _ = parse_pkcs8(&bytes);
            let _ = parse_sec1(&bytes);
            let _ = rsa_modulus_bits(&bytes);
            let _ = pss_restriction(Some((SEQUENCE, &bytes)));
        }
    }
}
