//! BER → DER normalisation of timestamp tokens (tspclient-go converts BER to DER before it
//! parses anything; reference §3.6 step 2).
//!
//! What is normalised: definite lengths in their shortest form (indefinite lengths and
//! long-form lengths with leading zeros are rewritten), and constructed encodings of the
//! universal string types (OCTET STRING, BIT STRING, the character strings) merged into one
//! primitive encoding. Everything else is copied as it is: primitive contents, identifier
//! octets, and the order of SET OF elements (Go does not sort them either; the one place
//! where DER order matters, the signed attributes, is sorted when they are re-encoded for
//! the signature check).
//!
//! Why more than tspclient-go: its converter only rewrites definite lengths and rejects
//! indefinite lengths. Accepting indefinite lengths and constructed strings is safe here
//! because nothing is trusted from the original bytes: the signature is checked over the
//! signed attributes re-encoded as DER and the message digest over the merged eContent
//! octets, exactly the values RFC 5652 defines.
//!
//! Bounded on hostile input: nesting deeper than [`MAX_DEPTH`] is refused and every length
//! is checked against the input before it is used.

/// Deepest nesting accepted (real tokens nest about 12 levels).
pub(super) const MAX_DEPTH: usize = 64;

/// A BER identifier: the original octets, whether constructed, and the universal tag number
/// (`None` for other classes or high tag numbers).
struct Identifier<'a> {
    octets: &'a [u8],
    constructed: bool,
    universal: Option<u8>,
}

/// Universal types whose constructed (segmented) BER form becomes one primitive in DER.
fn is_string_type(tag: u8) -> bool {
    matches!(tag, 3 | 4 | 12 | 18..=22 | 25..=30)
}

/// Why a token is not BER that Go's `encoding/asn1` (through notation-go's normaliser)
/// accepts. `Display` gives Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BerError {
    /// A structural rule broken, in Go's words (`decoding BER length octets: ...`).
    #[error("asn1: syntax error: {0}")]
    Syntax(&'static str),
    /// Bytes left after the top-level value.
    #[error("asn1: syntax error: decoding BER: {0} trailing bytes after the top-level value")]
    TrailingBytes(usize),
}

fn syntax(reason: &'static str) -> BerError {
    BerError::Syntax(reason)
}

fn identifier(input: &[u8]) -> Result<(Identifier<'_>, &[u8]), BerError> {
    let Some(&first) = input.first() else {
        return Err(syntax(
            "decoding BER identifier octets: identifier octets is empty",
        ));
    };
    let mut len = 1;
    if first & 0x1f == 0x1f {
        // High tag number: base-128, minimal, fitting 28 bits.
        let mut value: u32 = 0;
        loop {
            let b = *input.get(len).ok_or_else(|| {
                syntax("decoding BER identifier octets: high-tag-number form with early EOF")
            })?;
            if len == 1 && b == 0x80 {
                return Err(syntax(
                    "decoding BER identifier octets: tag number not minimally encoded",
                ));
            }
            value = (value << 7) | u32::from(b & 0x7f);
            len += 1;
            if len > 5 {
                return Err(syntax(
                    "decoding BER identifier octets: tag number too large",
                ));
            }
            if b & 0x80 == 0 {
                break;
            }
        }
        if value < 31 {
            return Err(syntax(
                "decoding BER identifier octets: high-tag-number form for a low tag number",
            ));
        }
    }
    let (octets, rest) = input.split_at_checked(len).ok_or_else(|| {
        syntax("decoding BER identifier octets: early EOF due to missing length and content octets")
    })?;
    if rest.is_empty() {
        return Err(syntax(
            "decoding BER identifier octets: early EOF due to missing length and content octets",
        ));
    }
    let universal = (first & 0xc0 == 0 && first & 0x1f != 0x1f).then_some(first & 0x1f);
    Ok((
        Identifier {
            octets,
            constructed: first & 0x20 != 0,
            universal,
        },
        rest,
    ))
}

/// Length octets: `Some(n)` for a definite length, `None` for the indefinite form.
fn length(input: &[u8]) -> Result<(Option<usize>, &[u8]), BerError> {
    let Some((&first, rest)) = input.split_first() else {
        return Err(syntax("decoding BER length octets: length octets is empty"));
    };
    match first {
        0..=0x7f => {
            let n = usize::from(first);
            if n > rest.len() {
                return Err(syntax(
                    "decoding BER length octets: short form length octets value should be less or equal to the subsequent octets length",
                ));
            }
            Ok((Some(n), rest))
        }
        0x80 => Ok((None, rest)),
        0xff => Err(syntax(
            "decoding BER length octets: reserved length octet 0xff",
        )),
        _ => {
            let count = usize::from(first & 0x7f);
            let (bytes, rest) = rest.split_at_checked(count).ok_or_else(|| {
                syntax("decoding BER length octets: long form length octets with early EOF")
            })?;
            let mut n: usize = 0;
            for b in bytes {
                n = n
                    .checked_mul(256)
                    .and_then(|v| v.checked_add(usize::from(*b)))
                    .ok_or_else(|| syntax("decoding BER length octets: length too large"))?;
            }
            if n > rest.len() {
                return Err(syntax(
                    "decoding BER length octets: long form length octets value should be less or equal to the subsequent octets length",
                ));
            }
            Ok((Some(n), rest))
        }
    }
}

/// Appends the DER length octets for `len`.
fn push_length(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    out.push(0x80 | u8::try_from(significant.len()).unwrap_or(0));
    out.extend_from_slice(significant);
}

/// Number of DER length octets for a content of `len` bytes.
fn length_octets(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + len.to_be_bytes().iter().skip_while(|b| **b == 0).count()
    }
}

/// An element's identifier, its length (`None`: indefinite) and what follows the length
/// octets.
struct Header<'a> {
    id: Identifier<'a>,
    len: Option<usize>,
    body: &'a [u8],
}

fn header(input: &[u8], depth: usize) -> Result<Header<'_>, BerError> {
    if depth > MAX_DEPTH {
        return Err(syntax("decoding BER: nesting too deep"));
    }
    let (id, after_id) = identifier(input)?;
    if id.octets == [0x00] {
        return Err(syntax("decoding BER: unexpected end-of-contents octets"));
    }
    let (len, body) = length(after_id)?;
    if len.is_none() && !id.constructed {
        return Err(syntax(
            "decoding BER length octets: indefinite length for a primitive value",
        ));
    }
    Ok(Header { id, len, body })
}

/// The content of a primitive element and the input after it.
fn primitive<'a>(h: &Header<'a>) -> Result<(&'a [u8], &'a [u8]), BerError> {
    h.len
        .and_then(|n| h.body.split_at_checked(n))
        .ok_or_else(|| syntax("decoding BER: content shorter than its length"))
}

/// Calls `child` on the input at each child of a constructed element (it returns the input
/// after that child); returns the input after the element, past its end-of-contents octets
/// if the length is indefinite.
fn for_each_child<'a>(
    h: &Header<'a>,
    mut child: impl FnMut(&'a [u8]) -> Result<&'a [u8], BerError>,
) -> Result<&'a [u8], BerError> {
    match h.len {
        Some(n) => {
            let (mut region, rest) = h
                .body
                .split_at_checked(n)
                .ok_or_else(|| syntax("decoding BER: content shorter than its length"))?;
            while !region.is_empty() {
                region = child(region)?;
            }
            Ok(rest)
        }
        None => {
            let mut cur = h.body;
            loop {
                if let [0x00, 0x00, rest @ ..] = cur {
                    return Ok(rest);
                }
                if cur.is_empty() {
                    return Err(syntax(
                        "decoding BER: missing end-of-contents octets of an indefinite length",
                    ));
                }
                cur = child(cur)?;
            }
        }
    }
}

/// State while merging the segments of a constructed string (X.690 8.7.3; 8.6.4 for BIT
/// STRING: only the last segment may have unused bits).
struct Merge<'v> {
    tag: u8,
    len: usize,
    unused_bits: Option<u8>,
    value: Option<&'v mut Vec<u8>>,
}

fn merge_segments<'a>(
    h: &Header<'a>,
    depth: usize,
    m: &mut Merge<'_>,
) -> Result<&'a [u8], BerError> {
    for_each_child(h, |input| {
        let seg = header(input, depth + 1)?;
        if seg.id.universal != Some(m.tag) {
            return Err(syntax(
                "decoding BER: segment of a constructed string has a different type",
            ));
        }
        if m.unused_bits.is_some_and(|b| b != 0) {
            return Err(syntax(
                "decoding BER: BIT STRING segment after one with unused bits",
            ));
        }
        if seg.id.constructed {
            return merge_segments(&seg, depth + 1, m);
        }
        let (content, rest) = primitive(&seg)?;
        let data = if m.tag == 3 {
            let (&bits, data) = content
                .split_first()
                .ok_or_else(|| syntax("decoding BER: empty BIT STRING segment"))?;
            if bits > 7 || (data.is_empty() && bits != 0) {
                return Err(syntax("decoding BER: invalid BIT STRING segment"));
            }
            m.unused_bits = Some(bits);
            data
        } else {
            content
        };
        m.len += data.len();
        if let Some(v) = m.value.as_deref_mut() {
            v.extend_from_slice(data);
        }
        Ok(rest)
    })
}

/// The universal string tag of a constructed string element, if it is one.
fn constructed_string(h: &Header<'_>) -> Option<u8> {
    h.id.universal
        .filter(|t| h.id.constructed && is_string_type(*t))
}

/// Pass 1: the DER length of the element at `input` and the input after it. The content
/// length of every other constructed element is appended to `plan` in pre-order, so that
/// pass 2 can write each length before its content without nested buffers: both passes are
/// linear in the input.
fn measure<'a>(
    input: &'a [u8],
    depth: usize,
    plan: &mut Vec<usize>,
) -> Result<(usize, &'a [u8]), BerError> {
    let h = header(input, depth)?;
    let id_len = h.id.octets.len();
    if !h.id.constructed {
        let (content, rest) = primitive(&h)?;
        return Ok((id_len + length_octets(content.len()) + content.len(), rest));
    }
    if let Some(tag) = constructed_string(&h) {
        let mut m = Merge {
            tag,
            len: 0,
            unused_bits: None,
            value: None,
        };
        let rest = merge_segments(&h, depth, &mut m)?;
        let len = m.len + usize::from(tag == 3);
        return Ok((1 + length_octets(len) + len, rest));
    }
    let slot = plan.len();
    plan.push(0);
    let mut total: usize = 0;
    let rest = for_each_child(&h, |child| {
        let (len, rest) = measure(child, depth + 1, plan)?;
        total = total
            .checked_add(len)
            .ok_or_else(|| syntax("decoding BER: length too large"))?;
        Ok(rest)
    })?;
    if let Some(s) = plan.get_mut(slot) {
        *s = total;
    }
    Ok((id_len + length_octets(total) + total, rest))
}

/// Pass 2: appends the DER encoding of the element at `input`, taking constructed lengths
/// from `plan` in the order [`measure`] recorded them.
fn emit<'a>(
    input: &'a [u8],
    depth: usize,
    plan: &mut std::slice::Iter<'_, usize>,
    out: &mut Vec<u8>,
) -> Result<&'a [u8], BerError> {
    let h = header(input, depth)?;
    if !h.id.constructed {
        let (content, rest) = primitive(&h)?;
        out.extend_from_slice(h.id.octets);
        push_length(out, content.len());
        out.extend_from_slice(content);
        return Ok(rest);
    }
    if let Some(tag) = constructed_string(&h) {
        let mut value = Vec::new();
        let mut m = Merge {
            tag,
            len: 0,
            unused_bits: None,
            value: Some(&mut value),
        };
        let rest = merge_segments(&h, depth, &mut m)?;
        let unused_bits = m.unused_bits;
        // The primitive form of the same universal tag; a BIT STRING always has its
        // unused-bits octet.
        out.push(tag);
        if tag == 3 {
            push_length(out, value.len() + 1);
            out.push(unused_bits.unwrap_or(0));
        } else {
            push_length(out, value.len());
        }
        out.extend_from_slice(&value);
        return Ok(rest);
    }
    let len = *plan
        .next()
        .ok_or_else(|| syntax("decoding BER: inconsistent structure"))?;
    out.extend_from_slice(h.id.octets);
    push_length(out, len);
    for_each_child(&h, |child| emit(child, depth + 1, plan, out))
}

/// Converts one BER-encoded value (the whole input, nothing may follow it) to DER.
pub(super) fn to_der(input: &[u8]) -> Result<Vec<u8>, BerError> {
    if input.is_empty() {
        return Err(syntax("BER-encoded ASN.1 data structures is empty"));
    }
    let mut plan = Vec::new();
    let (len, rest) = measure(input, 0, &mut plan)?;
    if !rest.is_empty() {
        return Err(BerError::TrailingBytes(rest.len()));
    }
    let mut out = Vec::with_capacity(len);
    emit(input, 0, &mut plan.iter(), &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_is_unchanged() {
        let der = [
            0x30, 0x0a, 0x02, 0x01, 0x03, 0x31, 0x00, 0xa0, 0x03, 0x04, 0x01, 0xaa,
        ];
        assert_eq!(to_der(&der).expect("der"), der);
        // Long-form length kept when needed.
        let mut long = vec![0x04, 0x81, 0x80];
        long.extend([7u8; 0x80]);
        assert_eq!(to_der(&long).expect("long"), long);
    }

    #[test]
    fn indefinite_lengths_and_constructed_strings() {
        // SEQUENCE (indefinite) {
        //   INTEGER 5,
        //   [0] (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" } },
        //   OCTET STRING with a non-minimal long-form length "x",
        //   BIT STRING constructed { 00 ff, 03 f8 }
        // }
        let ber = [
            0x30, 0x80, //
            0x02, 0x01, 0x05, //
            0xa0, 0x80, //
            0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, //
            0x00, 0x00, //
            0x04, 0x82, 0x00, 0x01, b'x', //
            0x23, 0x08, 0x03, 0x02, 0x00, 0xff, 0x03, 0x02, 0x03, 0xf8, //
            0x00, 0x00,
        ];
        let der = [
            0x30, 0x12, //
            0x02, 0x01, 0x05, //
            0xa0, 0x05, 0x04, 0x03, b'a', b'b', b'c', //
            0x04, 0x01, b'x', //
            0x03, 0x03, 0x03, 0xff, 0xf8,
        ];
        assert_eq!(to_der(&ber).expect("normalise"), der);
    }

    #[test]
    fn malformed_inputs_fail() {
        let cases: [&[u8]; 12] = [
            &[],
            b"invalid\n",
            &[0x30, 0x80, 0x02, 0x01, 0x05], // no end-of-contents
            &[0x04, 0x80, 0x00, 0x00],       // primitive indefinite
            &[0x30, 0x03, 0x02, 0x01, 0x05, 0x00], // trailing byte
            &[0x30, 0x02, 0x00, 0x00],       // stray end-of-contents
            &[0x24, 0x03, 0x02, 0x01, 0x05], // wrong segment type
            &[0x23, 0x06, 0x03, 0x02, 0x01, 0xfe, 0x03, 0x00], // bits after a partial segment
            &[0x30, 0xff, 0x00],             // reserved length
            &[0x30, 0x84, 0xff, 0xff, 0xff, 0xff], // length beyond the input
            &[0x1f, 0x80, 0x01, 0x00],       // non-minimal high tag
            &[0x1f, 0x05, 0x00],             // high form for a low tag
        ];
        for c in cases {
            assert!(to_der(c).is_err(), "{c:02x?}");
        }
        assert_eq!(
            to_der(b"invalid\n").expect_err("short form").to_string(),
            "asn1: syntax error: decoding BER length octets: short form length octets value should be less or equal to the subsequent octets length"
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut deep = Vec::new();
        for _ in 0..(MAX_DEPTH + 2) {
            deep.extend([0x30, 0x80]);
        }
        for _ in 0..(MAX_DEPTH + 2) {
            deep.extend([0x00, 0x00]);
        }
        assert!(
            to_der(&deep)
                .expect_err("deep")
                .to_string()
                .contains("too deep")
        );
        let mut ok = Vec::new();
        for _ in 0..10 {
            ok.extend([0x30, 0x80]);
        }
        for _ in 0..10 {
            ok.extend([0x00, 0x00]);
        }
        let der = to_der(&ok).expect("nested");
        assert_eq!(der.len(), 20);
        assert_eq!(der.get(..2), Some(&[0x30, 18][..]));
    }

    #[test]
    fn deep_and_large_input_is_linear() {
        // 60 nested indefinite SEQUENCEs around 20 000 one-byte OCTET STRING segments: each
        // byte is visited a bounded number of times, so this finishes at once.
        let mut ber = Vec::new();
        for _ in 0..60 {
            ber.extend([0x30, 0x80]);
        }
        ber.extend([0x24, 0x80]);
        for _ in 0..20_000 {
            ber.extend([0x04, 0x01, 0x5a]);
        }
        ber.extend([0x00, 0x00]);
        for _ in 0..60 {
            ber.extend([0x00, 0x00]);
        }
        let der = to_der(&ber).expect("normalise");
        let mut inner = vec![0x04, 0x82, 0x4e, 0x20];
        inner.extend([0x5a; 20_000]);
        assert!(der.ends_with(&inner));
        assert_eq!(to_der(&der).expect("idempotent"), der);
    }

    #[test]
    fn random_input_never_panics() {
        // A small LCG biased towards structural octets; every result must be an error or a
        // DER value that normalises to itself.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as u8
        };
        const PICK: [u8; 12] = [
            0x30, 0x80, 0x00, 0x04, 0x24, 0x03, 0x23, 0x81, 0x82, 0x1f, 0xa0, 0x02,
        ];
        let mut ok = 0;
        for _ in 0..5_000 {
            let len = usize::from(next() % 48);
            let input: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r < 160 {
                        PICK[usize::from(r) % PICK.len()]
                    } else {
                        r % 8
                    }
                })
                .collect();
            if let Ok(der) = to_der(&input) {
                ok += 1;
                assert_eq!(to_der(&der).as_ref(), Ok(&der), "{input:02x?}");
            }
        }
        assert!(ok > 0);
    }
}
