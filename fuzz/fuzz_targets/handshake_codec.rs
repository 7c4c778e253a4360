//! Every handshake message decoder (RFC 8446 §4), for every type byte: the first input byte
//! is the type, the rest the body. Decoding must never panic, and whatever decodes must
//! re-encode into bytes that decode to the same message and re-encode identically (the
//! transcript hash depends on encodings being stable).
#![no_main]

use libfuzzer_sys::fuzz_target;
use padlock::msgs::{HandshakeMessage, HandshakeType};

fuzz_target!(|data: &[u8]| {
    // The same bytes as a whole message, header included.
    let _ = HandshakeMessage::decode_message(data);

    let Some((&typ, body)) = data.split_first() else {
        return;
    };
    let Ok(first) = HandshakeMessage::decode(HandshakeType(typ), body) else {
        return;
    };
    assert_eq!(first.typ(), HandshakeType(typ));
    let encoded = first.to_bytes();
    let second = match HandshakeMessage::decode_message(&encoded) {
        Ok(m) => m,
        Err(e) => panic!("{first:?} re-encoded to {encoded:02x?}, which fails to decode: {e:?}"),
    };
    // `present` lists every extension seen, unknown ones included; encoding drops those.
    assert_eq!(without_present(second.clone()), without_present(first));
    assert_eq!(second.to_bytes(), encoded, "encoding is not stable");
});

fn without_present(mut m: HandshakeMessage) -> HandshakeMessage {
    match &mut m {
        HandshakeMessage::ClientHello(ch) => ch.extensions.present.clear(),
        HandshakeMessage::ServerHello(sh) => sh.extensions.present.clear(),
        HandshakeMessage::EncryptedExtensions(ee) => ee.present.clear(),
        HandshakeMessage::CertificateRequest(cr) => cr.present.clear(),
        _ => {}
    }
    m
}
