//! Borrowed views of wire lists a decoder has already validated: the bytes are checked
//! once at parse time, then read again in place by infallible iterators, so a message
//! that is consumed where it arrives (the server's ClientHello) costs no allocation.
//!
//! The iterators read with plain [`Reader`] calls on bytes the parser walked without
//! error, so no read fails; if one did, the iteration would just end.

use std::fmt;
use std::marker::PhantomData;

use crate::codec::Reader;

use super::enums::{ExtensionType, NamedGroup};

/// Declares a view of a non-empty list of fixed-size wire values, and its iterator.
macro_rules! fixed_list {
    ($(#[$meta:meta])* $list:ident, $iter:ident, $repr:ty, $len:literal) => {
        $(#[$meta])*
        pub struct $list<'a, T> {
            bytes: &'a [u8],
            item: PhantomData<fn() -> T>,
        }

        impl<'a, T: From<$repr>> $list<'a, T> {
            /// Over bytes [`Reader::fixed_list`] accepted for this item size.
            pub(crate) fn new(bytes: &'a [u8]) -> Self {
                Self {
                    bytes,
                    item: PhantomData,
                }
            }

            /// The values, in wire order.
            pub fn iter(&self) -> $iter<'a, T> {
                $iter {
                    chunks: self.bytes.chunks_exact($len),
                    item: PhantomData,
                }
            }

            /// How many values the list holds.
            pub fn len(&self) -> usize {
                self.bytes.len() / $len
            }

            /// True for an empty list (never, for a list a parser accepted).
            pub fn is_empty(&self) -> bool {
                self.bytes.is_empty()
            }

            /// Whether `value` is in the list.
            pub fn contains(&self, value: T) -> bool
            where
                T: PartialEq,
            {
                self.iter().any(|v| v == value)
            }

            /// The values, copied out.
            pub fn to_vec(&self) -> Vec<T> {
                self.iter().collect()
            }

            /// The list's wire bytes, without its length prefix.
            pub fn as_bytes(&self) -> &'a [u8] {
                self.bytes
            }
        }

        impl<T> Clone for $list<'_, T> {
            fn clone(&self) -> Self {
                *self
            }
        }

        impl<T> Copy for $list<'_, T> {}

        impl<T: From<$repr> + fmt::Debug> fmt::Debug for $list<'_, T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list().entries(self.iter()).finish()
            }
        }

        /// Iterates the values of a list view.
        #[derive(Clone, Debug)]
        pub struct $iter<'a, T> {
            chunks: std::slice::ChunksExact<'a, u8>,
            item: PhantomData<fn() -> T>,
        }

        impl<T: From<$repr>> Iterator for $iter<'_, T> {
            type Item = T;

            fn next(&mut self) -> Option<T> {
                let chunk = <[u8; $len]>::try_from(self.chunks.next()?).ok()?;
                Some(T::from(<$repr>::from_be_bytes(chunk)))
            }

            fn size_hint(&self) -> (usize, Option<usize>) {
                self.chunks.size_hint()
            }
        }

        impl<T: From<$repr>> ExactSizeIterator for $iter<'_, T> {}
    };
}

fixed_list! {
    /// A validated list of 2-byte values (cipher suites, versions, groups, signature
    /// schemes): non-empty, a whole number of items.
    U16List, U16Iter, u16, 2
}

fixed_list! {
    /// A validated list of 1-byte values (psk_key_exchange_modes): non-empty.
    U8List, U8Iter, u8, 1
}

/// The extension types of a validated block, in wire order: no duplicates, every
/// extension complete.
#[derive(Clone, Copy, Default)]
pub struct ExtensionTypes<'a> {
    block: &'a [u8],
    count: usize,
}

impl<'a> ExtensionTypes<'a> {
    /// Over a block's contents (without its length) holding `count` extensions.
    pub(crate) fn new(block: &'a [u8], count: usize) -> Self {
        Self { block, count }
    }

    /// The types, in wire order.
    pub fn iter(&self) -> ExtensionTypesIter<'a> {
        ExtensionTypesIter {
            r: Reader::new(self.block),
            left: self.count,
        }
    }

    /// How many extensions the block holds.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True for an empty (or absent) block.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether the block carries `typ`.
    pub fn contains(&self, typ: ExtensionType) -> bool {
        self.iter().any(|t| t == typ)
    }

    /// The types, copied out.
    pub fn to_vec(&self) -> Vec<ExtensionType> {
        self.iter().collect()
    }
}

impl fmt::Debug for ExtensionTypes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterates the types of an extension block.
#[derive(Clone, Debug)]
pub struct ExtensionTypesIter<'a> {
    r: Reader<'a>,
    left: usize,
}

impl Iterator for ExtensionTypesIter<'_> {
    type Item = ExtensionType;

    fn next(&mut self) -> Option<ExtensionType> {
        let typ = ExtensionType::read(&mut self.r).ok()?;
        let len = self.r.u16().ok()?;
        self.r.take(usize::from(len)).ok()?;
        self.left = self.left.saturating_sub(1);
        Some(typ)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for ExtensionTypesIter<'_> {}

/// A key share offered in a ClientHello, borrowed from it (RFC 8446 §4.2.8).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyShareRef<'a> {
    /// The group of the share.
    pub group: NamedGroup,
    /// `opaque key_exchange<1..2^16-1>`.
    pub key_exchange: &'a [u8],
}

/// A validated `KeyShareEntry client_shares<0..2^16-1>`: each entry complete, with a
/// non-empty key, and no group twice.
#[derive(Clone, Copy, Default)]
pub struct KeyShares<'a> {
    bytes: &'a [u8],
}

impl<'a> KeyShares<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The shares, in wire order.
    pub fn iter(&self) -> KeySharesIter<'a> {
        KeySharesIter(Reader::new(self.bytes))
    }

    /// How many shares there are (walks the list).
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// True when the client sent an empty list (to ask for a HelloRetryRequest).
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

impl fmt::Debug for KeyShares<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterates the shares of a [`KeyShares`] list.
#[derive(Clone, Debug)]
pub struct KeySharesIter<'a>(Reader<'a>);

impl<'a> Iterator for KeySharesIter<'a> {
    type Item = KeyShareRef<'a>;

    fn next(&mut self) -> Option<KeyShareRef<'a>> {
        let group = NamedGroup::read(&mut self.0).ok()?;
        let len = self.0.u16().ok()?;
        let key_exchange = self.0.take(usize::from(len)).ok()?;
        Some(KeyShareRef {
            group,
            key_exchange,
        })
    }
}

/// A validated ALPN `ProtocolName protocol_name_list<2..2^16-1>` (RFC 7301 §3.1): each
/// name non-empty.
#[derive(Clone, Copy, Default)]
pub struct ProtocolNames<'a> {
    bytes: &'a [u8],
}

impl<'a> ProtocolNames<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }

    /// The names, in the client's order of preference.
    pub fn iter(&self) -> ProtocolNamesIter<'a> {
        ProtocolNamesIter(Reader::new(self.bytes))
    }

    /// Whether `name` is offered.
    pub fn contains(&self, name: &[u8]) -> bool {
        self.iter().any(|n| n == name)
    }
}

impl fmt::Debug for ProtocolNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.iter().map(String::from_utf8_lossy))
            .finish()
    }
}

/// Iterates the names of a [`ProtocolNames`] list.
#[derive(Clone, Debug)]
pub struct ProtocolNamesIter<'a>(Reader<'a>);

impl<'a> Iterator for ProtocolNamesIter<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let len = self.0.u8().ok()?;
        self.0.take(usize::from(len)).ok()
    }
}
