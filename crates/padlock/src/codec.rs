//! Byte-level codec for the TLS presentation language (RFC 8446 §3).
//!
//! [`Reader`] never panics: every read is bounds-checked and a short or
//! over-long input becomes a [`DecodeError`], which maps to the alert that
//! RFC 8446 §6 requires for it.

use std::fmt;

use crate::alert::AlertDescription;
use crate::msgs::enums::{ExtensionType, HandshakeType};

/// Why a wire structure could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// The input ended before `what` was complete.
    Truncated {
        /// The field being read.
        what: &'static str,
    },
    /// Bytes were left over after `what` (RFC 8446 §4: a length must match
    /// its content exactly).
    TrailingData {
        /// The structure that should have consumed everything.
        what: &'static str,
    },
    /// `what` is syntactically malformed (an out-of-range length, an odd
    /// length for a list of u16...): `decode_error`.
    Invalid {
        /// The offending field.
        what: &'static str,
        /// Human-readable detail.
        reason: &'static str,
    },
    /// `what` parses but carries a value RFC 8446 forbids (e.g. an invalid
    /// enum, RFC 8446 §6): `illegal_parameter`.
    IllegalParameter {
        /// The offending field.
        what: &'static str,
        /// Human-readable detail.
        reason: &'static str,
    },
    /// The same extension appeared twice in one block (RFC 8446 §4.2).
    DuplicateExtension(ExtensionType),
    /// A known extension appeared in a message that must not carry it
    /// (RFC 8446 §4.2 table).
    IllegalExtension {
        /// The extension.
        ext: ExtensionType,
        /// The message it appeared in.
        msg: HandshakeType,
    },
    /// A mandatory extension is absent (e.g. signature_algorithms in a
    /// CertificateRequest, RFC 8446 §4.3.2).
    MissingExtension {
        /// The extension.
        ext: ExtensionType,
        /// The message it is missing from.
        msg: HandshakeType,
    },
    /// A handshake type TLS 1.3 does not define (TLS 1.2-only types,
    /// message_hash, unassigned values): `unexpected_message`.
    UnknownHandshakeType(HandshakeType),
    /// `what` exceeds a size limit we impose to bound memory.
    TooLarge {
        /// The oversized structure.
        what: &'static str,
    },
}

impl DecodeError {
    /// The alert RFC 8446 asks us to send for this error.
    pub fn alert(&self) -> AlertDescription {
        match self {
            // RFC 8446 §6: "cannot be parsed according to the syntax".
            Self::Truncated { .. }
            | Self::TrailingData { .. }
            | Self::Invalid { .. }
            | Self::TooLarge { .. } => AlertDescription::DECODE_ERROR,
            // RFC 8446 §6: "syntactically correct but semantically invalid";
            // §4.2 for extensions in the wrong message.
            Self::IllegalParameter { .. }
            | Self::DuplicateExtension(_)
            | Self::IllegalExtension { .. } => AlertDescription::ILLEGAL_PARAMETER,
            Self::MissingExtension { .. } => AlertDescription::MISSING_EXTENSION,
            Self::UnknownHandshakeType(_) => AlertDescription::UNEXPECTED_MESSAGE,
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { what } => write!(f, "{what} is truncated"),
            Self::TrailingData { what } => write!(f, "unexpected bytes after {what}"),
            Self::Invalid { what, reason } => write!(f, "malformed {what}: {reason}"),
            Self::IllegalParameter { what, reason } => write!(f, "illegal {what}: {reason}"),
            Self::DuplicateExtension(ext) => write!(f, "duplicate extension {ext}"),
            Self::IllegalExtension { ext, msg } => {
                write!(f, "extension {ext} is not allowed in {msg}")
            }
            Self::MissingExtension { ext, msg } => write!(f, "{msg} lacks extension {ext}"),
            Self::UnknownHandshakeType(t) => write!(f, "{t} is not a TLS 1.3 handshake message"),
            Self::TooLarge { what } => write!(f, "{what} is too large"),
        }
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over wire bytes. Every accessor checks bounds.
///
/// The reader carries a "what" label that names the field being read, so
/// errors say which field was short; set it with [`Reader::at`].
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` within the outermost input, so sub-readers can report
    /// absolute positions (used by tests to find length fields).
    base: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            base: 0,
            what: "message",
        }
    }

    /// Names the field about to be read, for error messages.
    pub fn at(&mut self, what: &'static str) -> &mut Self {
        self.what = what;
        self
    }

    /// The label errors currently carry.
    pub fn what(&self) -> &'static str {
        self.what
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when everything has been read.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Reads exactly `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(n)
            .ok_or(DecodeError::Truncated { what: self.what })?;
        let out = self
            .buf
            .get(self.pos..end)
            .ok_or(DecodeError::Truncated { what: self.what })?;
        self.pos = end;
        Ok(out)
    }

    /// Reads a fixed-size array.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Reads a uint8.
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let [b] = self.array::<1>()?;
        Ok(b)
    }

    /// Reads a big-endian uint16.
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    /// Reads a big-endian uint24.
    pub fn u24(&mut self) -> Result<u32, DecodeError> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Reads a big-endian uint32.
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    /// Everything not yet read (consumes it).
    pub fn rest(&mut self) -> &'a [u8] {
        let out = self.buf.get(self.pos..).unwrap_or(&[]);
        self.pos = self.buf.len();
        out
    }

    /// Fails with [`DecodeError::TrailingData`] if bytes are left.
    pub fn finish(&self, what: &'static str) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::TrailingData { what })
        }
    }

    fn sub(&mut self, len_bytes: usize) -> Result<Reader<'a>, DecodeError> {
        #[cfg(test)]
        let field_at = self.base + self.pos;
        let len = match len_bytes {
            1 => usize::from(self.u8()?),
            2 => usize::from(self.u16()?),
            _ => self.u24()? as usize,
        };
        #[cfg(test)]
        tests::record_length_field(field_at, len_bytes);
        let base = self.base + self.pos;
        let buf = self.take(len)?;
        Ok(Reader {
            buf,
            pos: 0,
            base,
            what: self.what,
        })
    }

    /// A `<..2^8-1>` vector as a sub-reader.
    pub fn sub_u8(&mut self) -> Result<Reader<'a>, DecodeError> {
        self.sub(1)
    }

    /// A `<..2^16-1>` vector as a sub-reader.
    pub fn sub_u16(&mut self) -> Result<Reader<'a>, DecodeError> {
        self.sub(2)
    }

    /// A `<..2^24-1>` vector as a sub-reader.
    pub fn sub_u24(&mut self) -> Result<Reader<'a>, DecodeError> {
        self.sub(3)
    }

    /// An `opaque x<min..2^8-1>` vector.
    pub fn bytes_u8(&mut self, min: usize) -> Result<&'a [u8], DecodeError> {
        let mut sub = self.sub_u8()?;
        sub.check_min(min)?;
        Ok(sub.rest())
    }

    /// An `opaque x<min..2^16-1>` vector.
    pub fn bytes_u16(&mut self, min: usize) -> Result<&'a [u8], DecodeError> {
        let mut sub = self.sub_u16()?;
        sub.check_min(min)?;
        Ok(sub.rest())
    }

    /// An `opaque x<min..2^24-1>` vector.
    pub fn bytes_u24(&mut self, min: usize) -> Result<&'a [u8], DecodeError> {
        let mut sub = self.sub_u24()?;
        sub.check_min(min)?;
        Ok(sub.rest())
    }

    /// Enforces an RFC `<min..max>` lower bound on this (sub-)reader's
    /// total length (RFC 8446 §3.4).
    pub fn check_min(&self, min: usize) -> Result<(), DecodeError> {
        if self.buf.len() < min {
            Err(DecodeError::Invalid {
                what: self.what,
                reason: "vector shorter than its minimum length",
            })
        } else {
            Ok(())
        }
    }

    /// Enforces an RFC `<min..max>` upper bound tighter than the prefix.
    pub fn check_max(&self, max: usize) -> Result<(), DecodeError> {
        if self.buf.len() > max {
            Err(DecodeError::Invalid {
                what: self.what,
                reason: "vector longer than its maximum length",
            })
        } else {
            Ok(())
        }
    }

    /// The rest of this reader as a list of items each `item_len` bytes long,
    /// rejecting an empty list or a length that is not a multiple (consumes it).
    pub fn fixed_list(&mut self, item_len: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() == 0 {
            return Err(DecodeError::Invalid {
                what: self.what,
                reason: "empty list",
            });
        }
        if item_len == 0 || self.remaining() % item_len != 0 {
            return Err(DecodeError::Invalid {
                what: self.what,
                reason: "length is not a multiple of the item size",
            });
        }
        Ok(self.rest())
    }

    /// Reads a list of items each `item_len` bytes long filling this reader,
    /// rejecting an empty list or a length that is not a multiple.
    pub fn list_of<T>(
        &mut self,
        item_len: usize,
        mut item: impl FnMut(&mut Self) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        // Validate the shape, then read the items from the same bytes.
        let start = self.pos;
        let len = self.fixed_list(item_len)?.len();
        self.pos = start;
        let mut out = Vec::with_capacity(len / item_len);
        while !self.is_empty() {
            out.push(item(self)?);
        }
        Ok(out)
    }
}

/// Appends a uint8.
pub fn put_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

/// Appends a big-endian uint16.
pub fn put_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a big-endian uint24 (the top byte of `v` is dropped).
pub fn put_u24(out: &mut Vec<u8>, v: u32) {
    let [_, a, b, c] = v.to_be_bytes();
    out.extend_from_slice(&[a, b, c]);
}

/// Appends a big-endian uint32.
pub fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// Appends a vector with a `len_bytes`-byte length prefix (1, 2 or 3): a
/// placeholder is written, `f` appends the content, and the length is
/// filled in afterwards.
///
/// Content longer than the prefix can express is a bug in the caller (all
/// decoded values fit by construction; configured values must be validated
/// where they are configured). Debug builds panic; release builds clamp the
/// length so the peer rejects the message rather than us crashing.
pub fn put_prefixed(out: &mut Vec<u8>, len_bytes: usize, f: impl FnOnce(&mut Vec<u8>)) {
    let len_bytes = len_bytes.clamp(1, 3);
    let start = out.len();
    out.resize(start + len_bytes, 0);
    f(out);
    let len = out.len().saturating_sub(start + len_bytes);
    let max = (1usize << (8 * len_bytes)) - 1;
    debug_assert!(len <= max, "vector of {len} bytes overflows its prefix");
    let be = (len.min(max) as u32).to_be_bytes();
    if let (Some(dst), Some(src)) = (
        out.get_mut(start..start + len_bytes),
        be.get(4 - len_bytes..),
    ) {
        dst.copy_from_slice(src);
    }
}

/// Appends an `opaque<..>` vector with a `len_bytes`-byte prefix.
pub fn put_bytes(out: &mut Vec<u8>, len_bytes: usize, bytes: &[u8]) {
    put_prefixed(out, len_bytes, |o| o.extend_from_slice(bytes));
}

/// Integers that appear as wire enums: lets `wire_enum!` read and write
/// both u8 and u16 newtypes.
pub trait WireInt: Copy {
    /// Reads one value.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    /// Appends one value.
    fn put(self, out: &mut Vec<u8>);
}

impl WireInt for u8 {
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u8()
    }
    fn put(self, out: &mut Vec<u8>) {
        put_u8(out, self)
    }
}

impl WireInt for u16 {
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        r.u16()
    }
    fn put(self, out: &mut Vec<u8>) {
        put_u16(out, self)
    }
}

/// Declares a wire enum as a newtype with associated consts, so unknown
/// values survive decoding; `Debug`/`Display` print the IANA name when known.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        $name:ident($repr:ty) {
            $($konst:ident = $value:expr => $iana:literal,)*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $repr);

        impl $name {
            $(
                #[doc = concat!("`", $iana, "` (", stringify!($value), ")")]
                pub const $konst: Self = Self($value);
            )*

            /// The registered name of this value, if we know it.
            pub fn name(self) -> Option<&'static str> {
                $(if self.0 == $value { return Some($iana); })*
                None
            }

            /// Reads one value.
            pub fn read(r: &mut $crate::codec::Reader<'_>) -> Result<Self, $crate::codec::DecodeError> {
                <$repr as $crate::codec::WireInt>::read(r).map(Self)
            }

            /// Appends the value.
            pub fn encode(self, out: &mut Vec<u8>) {
                $crate::codec::WireInt::put(self.0, out)
            }
        }

        impl ::core::fmt::Debug for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                match self.name() {
                    Some(n) => f.write_str(n),
                    None => write!(
                        f,
                        concat!(stringify!($name), "(0x{:0w$x})"),
                        self.0,
                        w = 2 * ::core::mem::size_of::<$repr>()
                    ),
                }
            }
        }

        impl ::core::convert::From<$repr> for $name {
            fn from(v: $repr) -> Self {
                Self(v)
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Debug::fmt(self, f)
            }
        }
    };
}
pub(crate) use wire_enum;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    thread_local! {
        static LENGTH_FIELDS: RefCell<Option<Vec<(usize, usize)>>> = const { RefCell::new(None) };
    }

    pub(crate) fn record_length_field(at: usize, width: usize) {
        LENGTH_FIELDS.with(|l| {
            if let Some(v) = l.borrow_mut().as_mut() {
                v.push((at, width));
            }
        });
    }

    /// Runs `f` and returns the (offset, width) of every length prefix it
    /// read through [`Reader::sub_u8`] and friends.
    pub(crate) fn length_fields_of(f: impl FnOnce()) -> Vec<(usize, usize)> {
        LENGTH_FIELDS.with(|l| *l.borrow_mut() = Some(Vec::new()));
        f();
        LENGTH_FIELDS.with(|l| l.borrow_mut().take().unwrap_or_default())
    }

    #[test]
    fn integers() {
        let mut r = Reader::new(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 0x0203);
        assert_eq!(r.u24().unwrap(), 0x040506);
        assert_eq!(r.u32().unwrap(), 0x0708090a);
        assert!(r.is_empty());
        assert!(matches!(r.u8(), Err(DecodeError::Truncated { .. })));
        r.finish("x").unwrap();
    }

    #[test]
    fn truncation_and_trailing() {
        let mut r = Reader::new(&[0, 3, 1, 2]);
        r.at("vec");
        assert_eq!(
            r.sub_u16().unwrap_err(),
            DecodeError::Truncated { what: "vec" }
        );
        let r = Reader::new(&[0]);
        assert_eq!(
            r.finish("thing").unwrap_err(),
            DecodeError::TrailingData { what: "thing" }
        );
        let mut r = Reader::new(&[0]);
        assert!(r.take(usize::MAX).is_err());
    }

    #[test]
    fn prefixed() {
        for width in 1..=3 {
            let mut out = vec![0xaa];
            put_prefixed(&mut out, width, |o| o.extend_from_slice(&[1, 2, 3]));
            let mut r = Reader::new(&out);
            r.u8().unwrap();
            let mut sub = match width {
                1 => r.sub_u8(),
                2 => r.sub_u16(),
                _ => r.sub_u24(),
            }
            .unwrap();
            assert_eq!(sub.rest(), &[1, 2, 3]);
            r.finish("t").unwrap();
        }
        let mut out = Vec::new();
        put_u24(&mut out, 0x123456);
        put_u32(&mut out, 7);
        assert_eq!(out, [0x12, 0x34, 0x56, 0, 0, 0, 7]);
    }

    #[test]
    fn lists() {
        let mut r = Reader::new(&[0, 1, 0, 2]);
        assert_eq!(r.list_of(2, |r| r.u16()).unwrap(), vec![1, 2]);
        let mut r = Reader::new(&[0, 1, 0]);
        assert!(r.list_of(2, |r| r.u16()).is_err());
        let mut r = Reader::new(&[]);
        assert!(r.list_of(2, |r| r.u16()).is_err());
    }

    #[test]
    fn bounds() {
        let mut r = Reader::new(&[0]);
        assert!(r.bytes_u8(1).is_err());
        let mut r = Reader::new(&[1, 9]);
        assert_eq!(r.bytes_u8(1).unwrap(), &[9]);
    }
}
