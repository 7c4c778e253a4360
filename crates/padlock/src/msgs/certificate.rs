//! Certificate, CertificateRequest and CertificateVerify (RFC 8446 §4.3.2,
//! §4.4.2, §4.4.3).

use crate::codec::{put_bytes, put_prefixed, DecodeError, Reader};

use super::enums::{ExtensionType, HandshakeType, SignatureScheme};
use super::extensions::{
    check_allowed, put_certificate_status, put_extension, put_schemes, read_block,
    read_certificate_status, read_schemes, ExtensionContext,
};

/// `CertificateRequest` (RFC 8446 §4.3.2). Encoding writes only
/// signature_algorithms(_cert); `present` is ignored when encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateRequest {
    /// `opaque certificate_request_context<0..2^8-1>`: empty during the
    /// handshake, set for post-handshake authentication.
    pub context: Vec<u8>,
    /// signature_algorithms, mandatory (RFC 8446 §4.3.2).
    pub signature_algorithms: Vec<SignatureScheme>,
    /// signature_algorithms_cert, if sent.
    pub signature_algorithms_cert: Option<Vec<SignatureScheme>>,
    /// Every extension type in wire order, including unknown ones.
    pub present: Vec<ExtensionType>,
}

impl CertificateRequest {
    /// Decodes the body; a missing signature_algorithms is
    /// `missing_extension` (RFC 8446 §4.3.2).
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let context = r.at("certificate_request_context").bytes_u8(0)?.to_vec();
        let block = read_block(&mut r)?;
        r.finish("CertificateRequest")?;
        check_allowed(
            block.types.iter().copied(),
            ExtensionContext::CertificateRequest,
        )?;
        let present = block.types;
        let mut signature_algorithms = None;
        let mut signature_algorithms_cert = None;
        for (typ, mut data) in block.entries {
            match typ {
                ExtensionType::SIGNATURE_ALGORITHMS => {
                    signature_algorithms = Some(read_schemes(&mut data)?)
                }
                ExtensionType::SIGNATURE_ALGORITHMS_CERT => {
                    signature_algorithms_cert = Some(read_schemes(&mut data)?)
                }
                _ => {}
            }
        }
        let signature_algorithms = signature_algorithms.ok_or(DecodeError::MissingExtension {
            ext: ExtensionType::SIGNATURE_ALGORITHMS,
            msg: HandshakeType::CERTIFICATE_REQUEST,
        })?;
        Ok(Self {
            context,
            signature_algorithms,
            signature_algorithms_cert,
            present,
        })
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, 1, &self.context);
        put_prefixed(out, 2, |o| {
            put_extension(o, ExtensionType::SIGNATURE_ALGORITHMS, |o| {
                put_schemes(o, &self.signature_algorithms)
            });
            if let Some(s) = &self.signature_algorithms_cert {
                put_extension(o, ExtensionType::SIGNATURE_ALGORITHMS_CERT, |o| {
                    put_schemes(o, s)
                });
            }
        });
    }
}

/// `CertificateEntry` (RFC 8446 §4.4.2) for X.509 certificates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateEntry {
    /// `opaque cert_data<1..2^24-1>`: one DER certificate.
    pub cert_der: Vec<u8>,
    /// The entry's extension block content (without its 2-byte length),
    /// kept raw. Decoding has checked it is well formed, free of duplicates
    /// and allowed in a Certificate (RFC 8446 §4.2 table).
    pub extensions: Vec<u8>,
}

impl CertificateEntry {
    /// The extension types in `extensions`, in wire order. The client must
    /// reject any it did not request with unsupported_extension
    /// (RFC 8446 §4.4.2).
    pub fn extension_types(&self) -> Vec<ExtensionType> {
        // Most entries carry none: no block to build.
        if self.extensions.is_empty() {
            return Vec::new();
        }
        let mut block = Vec::with_capacity(self.extensions.len() + 2);
        put_bytes(&mut block, 2, &self.extensions);
        read_block(&mut Reader::new(&block))
            .map(|b| b.types)
            .unwrap_or_default()
    }

    /// The OCSP response stapled to this certificate in a status_request extension
    /// (RFC 8446 §4.4.2.1), if any. A malformed CertificateStatus is an error.
    pub fn ocsp_response(&self) -> Result<Option<Vec<u8>>, DecodeError> {
        if self.extensions.is_empty() {
            return Ok(None);
        }
        let mut block = Vec::with_capacity(self.extensions.len() + 2);
        put_bytes(&mut block, 2, &self.extensions);
        for (typ, mut data) in read_block(&mut Reader::new(&block))?.entries {
            if typ == ExtensionType::STATUS_REQUEST {
                return read_certificate_status(&mut data).map(Some);
            }
        }
        Ok(None)
    }

    /// An entry for `cert_der` carrying `ocsp_response` in a status_request extension
    /// (RFC 8446 §4.4.2.1).
    pub fn with_ocsp_response(cert_der: Vec<u8>, ocsp_response: &[u8]) -> Self {
        let mut extensions = Vec::with_capacity(ocsp_response.len() + 8);
        put_extension(&mut extensions, ExtensionType::STATUS_REQUEST, |o| {
            put_certificate_status(o, ocsp_response)
        });
        Self {
            cert_der,
            extensions,
        }
    }
}

/// `Certificate` (RFC 8446 §4.4.2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Certificate {
    /// `opaque certificate_request_context<0..2^8-1>`.
    pub context: Vec<u8>,
    /// `CertificateEntry certificate_list<0..2^24-1>`: end-entity first. A
    /// client without a suitable certificate sends it empty.
    pub entries: Vec<CertificateEntry>,
}

impl Certificate {
    /// Decodes the body.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let context = r.at("certificate_request_context").bytes_u8(0)?.to_vec();
        let mut list = r.at("certificate_list").sub_u24()?;
        r.finish("Certificate")?;
        let mut entries = Vec::new();
        while !list.is_empty() {
            let cert_der = list.at("cert_data").bytes_u24(1)?.to_vec();
            let mut exts = list.clone();
            let block = read_block(&mut list)?;
            check_allowed(block.types.iter().copied(), ExtensionContext::Certificate)?;
            let extensions = exts.bytes_u16(0)?.to_vec();
            entries.push(CertificateEntry {
                cert_der,
                extensions,
            });
        }
        Ok(Self { context, entries })
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_bytes(out, 1, &self.context);
        put_prefixed(out, 3, |o| {
            for e in &self.entries {
                put_bytes(o, 3, &e.cert_der);
                put_bytes(o, 2, &e.extensions);
            }
        });
    }

    /// Encodes the body of a Certificate carrying `chain` (DER, end-entity first) with no
    /// entry extensions, as [`Self::encode`] would, straight from the chain: a server sends
    /// the same chain in every handshake, and copying it into entries first cost three
    /// allocations and a copy of every certificate.
    pub fn encode_chain<'a>(
        context: &[u8],
        chain: impl IntoIterator<Item = &'a [u8]>,
        out: &mut Vec<u8>,
    ) {
        put_bytes(out, 1, context);
        put_prefixed(out, 3, |o| {
            for der in chain {
                put_bytes(o, 3, der);
                put_bytes(o, 2, &[]);
            }
        });
    }
}

/// `CertificateVerify` (RFC 8446 §4.4.3).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateVerify {
    /// The signature algorithm used.
    pub scheme: SignatureScheme,
    /// `opaque signature<0..2^16-1>`.
    pub signature: Vec<u8>,
}

impl CertificateVerify {
    /// Decodes the body.
    pub fn decode(body: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(body);
        let scheme = SignatureScheme::read(r.at("CertificateVerify.algorithm"))?;
        let signature = r.at("CertificateVerify.signature").bytes_u16(0)?.to_vec();
        r.finish("CertificateVerify")?;
        Ok(Self { scheme, signature })
    }

    /// Encodes the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        self.scheme.encode(out);
        put_bytes(out, 2, &self.signature);
    }
}
