//! The OpenPGP signed message of a lookaside `signature-N` file: framing, packets, and the one
//! literal data packet with its one signature.

use std::io::Read;

use pgp::packet::{Packet, PacketParser, PacketTrait, Signature};

use super::GpgError;

/// The framing containers/image writes before newer blobs: `\0simple-signing\n` + the message.
const SIMPLE_SIGNING_PREFIX: &[u8] = b"\0simple-signing\n";
/// The framing of a sigstore (cosign) signature copied into a lookaside folder.
const SIGSTORE_JSON_PREFIX: &[u8] = b"\0sigstore-json\n";
/// Decompressed content larger than this is refused (a compression bomb, not a signature).
const MAX_DECOMPRESSED: u64 = 16 * 1024 * 1024;
/// Compressed packets inside compressed packets: GnuPG writes one level.
const MAX_NESTING: usize = 2;
/// A signed message has three packets; more than this is not one.
const MAX_PACKETS: usize = 64;

/// What a file that is not an OpenPGP message turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotOpenPgpKind {
    /// `\0sigstore-json\n` + JSON: a cosign signature as skopeo copies it to a lookaside folder.
    SigstoreJson,
    /// `\0` + a framing name sigaudit does not know.
    UnknownFraming,
    /// ASCII armor: containers/image stores binary messages only and refuses armor.
    Armored,
    /// Empty file.
    Empty,
    /// Anything else.
    Unrecognised,
}

impl NotOpenPgpKind {
    /// The short name used in reports (`sigstore-json`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            NotOpenPgpKind::SigstoreJson => "sigstore-json",
            NotOpenPgpKind::UnknownFraming => "unknown-framing",
            NotOpenPgpKind::Armored => "armored",
            NotOpenPgpKind::Empty => "empty",
            NotOpenPgpKind::Unrecognised => "unrecognised",
        }
    }
}

impl std::fmt::Display for NotOpenPgpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            NotOpenPgpKind::SigstoreJson => "a `\\0sigstore-json` (cosign) signature blob",
            NotOpenPgpKind::UnknownFraming => "a blob with an unknown `\\0<format>` framing",
            NotOpenPgpKind::Armored => "ASCII-armored data (only binary messages are stored)",
            NotOpenPgpKind::Empty => "an empty file",
            NotOpenPgpKind::Unrecognised => "its first byte starts no OpenPGP message",
        })
    }
}

/// Tell an OpenPGP message from the other things a lookaside file can hold, the way
/// containers/image does: the framing prefix, else the first byte of the old raw form.
/// Returns the OpenPGP bytes.
pub fn classify(bytes: &[u8]) -> Result<&[u8], NotOpenPgpKind> {
    if let Some(rest) = bytes.strip_prefix(SIMPLE_SIGNING_PREFIX) {
        return Ok(rest);
    }
    if bytes.starts_with(SIGSTORE_JSON_PREFIX) {
        return Err(NotOpenPgpKind::SigstoreJson);
    }
    match bytes.first() {
        None => Err(NotOpenPgpKind::Empty),
        Some(0) => Err(NotOpenPgpKind::UnknownFraming),
        // The first bytes of a compressed, one-pass, signature or literal packet, in old or new
        // packet format (containers/image's list).
        Some(0xA0..=0xA3 | 0xC8 | 0x90..=0x92 | 0x3d | 0xC4 | 0x88..=0x8B | 0xC2) => Ok(bytes),
        // An encrypted message (a public-key or symmetric-key session key packet first): OpenPGP,
        // so it is parsed and refused as "not a signed message" with that reason.
        Some(0x84..=0x87 | 0x8C..=0x8F | 0xC1 | 0xC3) => Ok(bytes),
        Some(b'-') if bytes.starts_with(b"-----BEGIN PGP") => Err(NotOpenPgpKind::Armored),
        Some(_) => Err(NotOpenPgpKind::Unrecognised),
    }
}

/// One signature over one literal data packet.
#[derive(Debug)]
pub(crate) struct SignedMessage {
    pub literal: Vec<u8>,
    pub signature: Signature,
}

/// Parse a lookaside file into its literal data and signature.
pub(crate) fn parse(bytes: &[u8]) -> Result<SignedMessage, GpgError> {
    let raw = classify(bytes).map_err(GpgError::NotOpenPgp)?;
    let mut literals = Vec::new();
    let mut signatures = Vec::new();
    collect(raw, 0, &mut literals, &mut signatures)?;
    if literals.is_empty() {
        return Err(GpgError::NotSigned("no literal data packet".into()));
    }
    if literals.len() > 1 {
        return Err(GpgError::NotSigned(format!(
            "{} literal data packets; exactly one expected",
            literals.len()
        )));
    }
    let literal = literals.remove(0);
    let signature = match signatures.len() {
        0 => {
            return Err(GpgError::NotSigned(
                "literal data without a signature".into(),
            ));
        }
        1 => signatures.remove(0),
        n => {
            return Err(GpgError::NotSigned(format!(
                "{n} signatures; containers/image requires exactly one"
            )));
        }
    };
    Ok(SignedMessage { literal, signature })
}

fn collect(
    bytes: &[u8],
    depth: usize,
    literals: &mut Vec<Vec<u8>>,
    signatures: &mut Vec<Signature>,
) -> Result<(), GpgError> {
    for (i, packet) in PacketParser::new(bytes).enumerate() {
        if i >= MAX_PACKETS {
            return Err(GpgError::Malformed(format!(
                "more than {MAX_PACKETS} packets"
            )));
        }
        let packet = packet.map_err(|e| GpgError::Malformed(e.to_string()))?;
        match packet {
            Packet::CompressedData(c) => {
                if depth >= MAX_NESTING {
                    return Err(GpgError::Malformed(
                        "compressed packets nested too deep".into(),
                    ));
                }
                let mut out = Vec::new();
                c.decompress()
                    .and_then(|d| {
                        d.take(MAX_DECOMPRESSED + 1)
                            .read_to_end(&mut out)
                            .map_err(Into::into)
                    })
                    .map_err(|e| GpgError::Malformed(format!("compressed packet: {e}")))?;
                if out.len() as u64 > MAX_DECOMPRESSED {
                    return Err(GpgError::Malformed(format!(
                        "compressed packet expands beyond {MAX_DECOMPRESSED} bytes"
                    )));
                }
                collect(&out, depth + 1, literals, signatures)?;
            }
            Packet::LiteralData(l) => literals.push(l.data().to_vec()),
            Packet::Signature(s) => signatures.push(s),
            // The one-pass header only announces the signature that follows the data.
            Packet::OnePassSignature(_) | Packet::Marker(_) | Packet::Padding(_) => {}
            Packet::PublicKeyEncryptedSessionKey(_)
            | Packet::SymKeyEncryptedSessionKey(_)
            | Packet::SymEncryptedData(_)
            | Packet::SymEncryptedProtectedData(_)
            | Packet::GnupgAeadData(_) => {
                return Err(GpgError::NotSigned("an encrypted message".into()));
            }
            Packet::PublicKey(_)
            | Packet::PublicSubkey(_)
            | Packet::SecretKey(_)
            | Packet::SecretSubkey(_) => {
                return Err(GpgError::NotSigned("a key, not a signed message".into()));
            }
            other => {
                return Err(GpgError::Malformed(format!(
                    "unexpected {:?} packet in a signed message",
                    other.tag()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_recognises_framings() {
        assert_eq!(
            classify(b"\0sigstore-json\n{}"),
            Err(NotOpenPgpKind::SigstoreJson)
        );
        assert_eq!(classify(b"\0other\n"), Err(NotOpenPgpKind::UnknownFraming));
        assert_eq!(classify(b""), Err(NotOpenPgpKind::Empty));
        assert_eq!(classify(b"{\"a\":1}"), Err(NotOpenPgpKind::Unrecognised));
        assert_eq!(
            classify(b"-----BEGIN PGP MESSAGE-----\n"),
            Err(NotOpenPgpKind::Armored)
        );
        assert_eq!(
            classify(b"\0simple-signing\n\xa3\x01"),
            Ok(&b"\xa3\x01"[..])
        );
        assert_eq!(classify(b"\x90\x0d"), Ok(&b"\x90\x0d"[..]));
    }

    #[test]
    fn garbage_after_a_valid_first_byte_is_malformed_not_a_panic() {
        for bytes in [
            &b"\xa3"[..],
            b"\xa3\x01\xff\xff\xff",
            b"\xc2\x05abc",
            b"\x90",
        ] {
            assert!(parse(bytes).is_err());
        }
    }
}
