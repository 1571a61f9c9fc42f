//! A minimal DER reader over borrowed slices, for the timestamp token structures.
//!
//! Why not `der`/`cms` types: notation-go keeps the original order of SET OF elements
//! (certificates, signer infos) and compares raw issuer bytes, while `der` 0.7 sorts every
//! SET OF it decodes and re-encodes names. Walking the TLVs by hand keeps every slice as it
//! was received (after [`super::ber::to_der`]).
//!
//! Values are decoded the way Go's `encoding/asn1` decodes them where notation depends on it
//! (minimal INTEGERs that fit an `int`, OIDs, `GeneralizedTime` with fractional seconds). One
//! deliberate difference: Go ignores extra elements at the end of a SEQUENCE; we reject them.

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, TimeZone, Utc};

/// A DER decoding failure of a timestamp token structure: what was wrong ([`Asn1Error`]'s
/// variants) and in which field ([`Asn1Error::In`], outermost first in the message).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Asn1Error {
    /// No element where one was read.
    #[error("unexpected end of data")]
    EndOfData,
    /// A tag number of 31 or more (none is used in the token structures).
    #[error("unsupported high tag number form (0x{0:02x})")]
    HighTagNumber(u8),
    /// A tag without length octets.
    #[error("missing length octets")]
    MissingLength,
    /// The indefinite length form (BER only; tokens are normalised to DER first).
    #[error("indefinite length in DER")]
    IndefiniteLength,
    /// More than 4 length octets.
    #[error("length of {0} octets is too large")]
    LengthTooLarge(usize),
    /// Fewer length octets than announced.
    #[error("truncated length octets")]
    TruncatedLength,
    /// A length encoded in more octets than needed.
    #[error("non-minimal length encoding")]
    NonMinimalLength,
    /// An element longer than what follows it.
    #[error("element with tag 0x{tag:02x} claims {len} bytes but only {remaining} remain")]
    Truncated {
        /// The element's tag.
        tag: u8,
        /// Its announced length.
        len: usize,
        /// The bytes left.
        remaining: usize,
    },
    /// An element of another type than the field's.
    #[error("expected tag 0x{expected:02x}, found 0x{found:02x}")]
    WrongTag {
        /// The field's tag.
        expected: u8,
        /// The element's.
        found: u8,
    },
    /// A required field is absent.
    #[error("missing")]
    Missing,
    /// Elements after the last field of a SEQUENCE (Go ignores them; we refuse them).
    #[error("unexpected trailing data")]
    TrailingData,
    /// An INTEGER without content octets.
    #[error("empty integer")]
    EmptyInteger,
    /// An INTEGER with a redundant leading octet.
    #[error("integer not minimally-encoded")]
    NonMinimalInteger,
    /// An INTEGER that does not fit 64 bits.
    #[error("integer too large")]
    IntegerTooLarge,
    /// A BOOLEAN other than 0x00 or 0xff.
    #[error("invalid boolean")]
    InvalidBoolean,
    /// An OBJECT IDENTIFIER without content octets.
    #[error("zero length OBJECT IDENTIFIER")]
    EmptyOid,
    /// An OBJECT IDENTIFIER arc with a leading 0x80 octet.
    #[error("OBJECT IDENTIFIER arc is not minimally encoded")]
    NonMinimalOidArc,
    /// An OBJECT IDENTIFIER arc larger than Go's `int` reads.
    #[error("OBJECT IDENTIFIER arc too large")]
    OidArcTooLarge,
    /// An OBJECT IDENTIFIER ending inside an arc.
    #[error("truncated OBJECT IDENTIFIER")]
    TruncatedOid,
    /// An AlgorithmIdentifier that is not a SEQUENCE.
    #[error("expected an AlgorithmIdentifier SEQUENCE")]
    NotAlgorithmIdentifier,
    /// A time field with a character other than a digit where digits belong.
    #[error("invalid digits")]
    InvalidDigits,
    /// A time zone other than `Z` or `+hhmm`/`-hhmm`.
    #[error("invalid time zone")]
    InvalidTimeZone,
    /// A date or time that does not exist.
    #[error("date or time out of range")]
    DateOutOfRange,
    /// A GeneralizedTime shorter than `YYYYMMDDHHMMSS`.
    #[error("GeneralizedTime too short")]
    GeneralizedTimeTooShort,
    /// A year that does not fit.
    #[error("year")]
    Year,
    /// Fractional seconds empty, longer than 9 digits or with a trailing zero.
    #[error("invalid fractional seconds")]
    InvalidFraction,
    /// A UTCTime without `Z` or an offset.
    #[error("UTCTime without time zone")]
    UtcTimeWithoutZone,
    /// A UTCTime of another length than `YYMMDDhhmm[ss]`.
    #[error("invalid UTCTime")]
    InvalidUtcTime,
    /// An element that must be a SEQUENCE is not.
    #[error("expected SEQUENCE")]
    ExpectedSequence,
    /// An attribute value that must be an OBJECT IDENTIFIER is not.
    #[error("expected OBJECT IDENTIFIER")]
    ExpectedOid,
    /// An attribute value that must be an OCTET STRING is not.
    #[error("expected OCTET STRING")]
    ExpectedOctetString,
    /// A signing time that is neither a UTCTime nor a GeneralizedTime.
    #[error("expected UTCTime or GeneralizedTime")]
    ExpectedTime,
    /// A required signed attribute is absent.
    #[error("attribute not found")]
    AttributeNotFound,
    /// The error, in the named field.
    #[error("{field}: {source}")]
    In {
        /// The field (`TSTInfo`, `serialNumber`, `signerInfo`...).
        field: String,
        /// What was wrong there.
        source: Box<Asn1Error>,
    },
}

impl Asn1Error {
    /// This error as found in `field`.
    pub(super) fn within(self, field: &str) -> Self {
        Asn1Error::In {
            field: field.to_owned(),
            source: Box::new(self),
        }
    }
}

/// A decoding result.
pub(super) type Asn1Result<T> = Result<T, Asn1Error>;

/// Universal tags used here.
pub(super) mod tag {
    pub const BOOLEAN: u8 = 0x01;
    pub const INTEGER: u8 = 0x02;
    pub const OCTET_STRING: u8 = 0x04;
    pub const OID: u8 = 0x06;
    pub const UTC_TIME: u8 = 0x17;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
    /// `[n]` constructed context-specific tag.
    pub const fn ctx(n: u8) -> u8 {
        0xa0 | n
    }
    /// `[n]` primitive context-specific tag.
    pub const fn ctx_prim(n: u8) -> u8 {
        0x80 | n
    }
}

/// One DER element: its (single) identifier octet, content and whole encoding.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub full: &'a [u8],
}

/// Splits the first DER element off `input`. Only low tag numbers and definite, minimal
/// lengths are accepted (the input has been through the BER normaliser).
pub(super) fn split(input: &[u8]) -> Asn1Result<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input.split_first().ok_or(Asn1Error::EndOfData)?;
    if tag & 0x1f == 0x1f {
        return Err(Asn1Error::HighTagNumber(tag));
    }
    let (&first, rest) = rest.split_first().ok_or(Asn1Error::MissingLength)?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x80 => return Err(Asn1Error::IndefiniteLength),
        _ => {
            let n = usize::from(first & 0x7f);
            if n > 4 {
                return Err(Asn1Error::LengthTooLarge(n));
            }
            let (bytes, rest) = rest.split_at_checked(n).ok_or(Asn1Error::TruncatedLength)?;
            if matches!(bytes.first(), Some(0))
                || (n == 1 && matches!(bytes.first(), Some(0..=0x7f)))
            {
                return Err(Asn1Error::NonMinimalLength);
            }
            let len = bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b));
            (len, rest)
        }
    };
    let header_len = input.len() - rest.len();
    let (content, rest) = rest.split_at_checked(len).ok_or(Asn1Error::Truncated {
        tag,
        len,
        remaining: rest.len(),
    })?;
    let full = input.get(..header_len + len).unwrap_or_default();
    Ok((Tlv { tag, content, full }, rest))
}

/// Sequential reader over the content of a constructed element.
pub(super) struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(content: &'a [u8]) -> Self {
        Reader { rest: content }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The tag of the next element, if any.
    pub fn peek_tag(&self) -> Option<u8> {
        self.rest.first().copied()
    }

    /// The next element, whatever its tag.
    pub fn any(&mut self, what: &str) -> Asn1Result<Tlv<'a>> {
        let (tlv, rest) = split(self.rest).map_err(|e| e.within(what))?;
        self.rest = rest;
        Ok(tlv)
    }

    /// The next element, which must have tag `tag`.
    pub fn expect(&mut self, tag: u8, what: &str) -> Asn1Result<Tlv<'a>> {
        match self.peek_tag() {
            Some(t) if t == tag => self.any(what),
            Some(found) => Err(Asn1Error::WrongTag {
                expected: tag,
                found,
            }
            .within(what)),
            None => Err(Asn1Error::Missing.within(what)),
        }
    }

    /// The next element if it has tag `tag` (an OPTIONAL field).
    pub fn optional(&mut self, tag: u8, what: &str) -> Asn1Result<Option<Tlv<'a>>> {
        if self.peek_tag() == Some(tag) {
            self.any(what).map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails when elements are left over.
    pub fn finish(&self, what: &str) -> Asn1Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Asn1Error::TrailingData.within(what))
        }
    }
}

/// Decodes exactly one element of tag `tag` spanning all of `input`.
pub(super) fn single<'a>(input: &'a [u8], tag: u8, what: &str) -> Asn1Result<Tlv<'a>> {
    let mut r = Reader::new(input);
    let t = r.expect(tag, what)?;
    r.finish(what)?;
    Ok(t)
}

/// The elements of a constructed value's content, in order.
pub(super) fn elements<'a>(content: &'a [u8], what: &str) -> Asn1Result<Vec<Tlv<'a>>> {
    let mut r = Reader::new(content);
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(r.any(what)?);
    }
    Ok(out)
}

/// Checks INTEGER content like Go (`asn1: invalid integer` / not minimally encoded).
pub(super) fn check_integer(content: &[u8]) -> Asn1Result<()> {
    match content {
        [] => Err(Asn1Error::EmptyInteger),
        [0x00, b, ..] if *b < 0x80 => Err(Asn1Error::NonMinimalInteger),
        [0xff, b, ..] if *b >= 0x80 => Err(Asn1Error::NonMinimalInteger),
        _ => Ok(()),
    }
}

/// An INTEGER that must fit Go's `int` (64 bits).
pub(super) fn int_i64(t: &Tlv<'_>, what: &str) -> Asn1Result<i64> {
    check_integer(t.content).map_err(|e| e.within(what))?;
    if t.content.len() > 8 {
        return Err(Asn1Error::IntegerTooLarge.within(what));
    }
    let negative = t.content.first().is_some_and(|b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Ok(t.content
        .iter()
        .fold(init, |acc, b| (acc << 8) | i64::from(*b)))
}

/// The magnitude bytes of a non-negative INTEGER, or the two's-complement bytes of a negative
/// one, with redundant sign octets removed: two encodings of the same number compare equal.
pub(super) fn int_key(content: &[u8]) -> &[u8] {
    let mut c = content;
    while let [first, second, ..] = c {
        let redundant = (*first == 0 && *second < 0x80) || (*first == 0xff && *second >= 0x80);
        match c.split_first() {
            Some((_, tail)) if redundant => c = tail,
            _ => break,
        }
    }
    c
}

/// Renders the decimal value of a big-endian unsigned integer (Go's `big.Int.String()` for
/// the non-negative serial numbers certificates carry).
pub(super) fn decimal(bytes: &[u8]) -> String {
    let mut digits: Vec<u8> = Vec::new();
    let mut num: Vec<u8> = int_key(bytes).to_vec();
    while num.iter().any(|b| *b != 0) {
        let mut rem = 0u32;
        for b in num.iter_mut() {
            let cur = (rem << 8) | u32::from(*b);
            *b = u8::try_from(cur / 10).unwrap_or(0);
            rem = cur % 10;
        }
        digits.push(b'0' + u8::try_from(rem).unwrap_or(0));
    }
    if digits.is_empty() {
        return "0".into();
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// A BOOLEAN (DER: 0x00 or 0xff).
pub(super) fn boolean(t: &Tlv<'_>, what: &str) -> Asn1Result<bool> {
    match t.content {
        [0x00] => Ok(false),
        [0xff] => Ok(true),
        _ => Err(Asn1Error::InvalidBoolean.within(what)),
    }
}

/// Dotted form of OBJECT IDENTIFIER content, with Go's checks (minimal base-128 arcs that
/// fit an `int32`).
pub(super) fn oid_string(content: &[u8]) -> Asn1Result<String> {
    if content.is_empty() {
        return Err(Asn1Error::EmptyOid);
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut cur: u64 = 0;
    let mut len = 0usize;
    for &b in content {
        if len == 0 && b == 0x80 {
            return Err(Asn1Error::NonMinimalOidArc);
        }
        cur = (cur << 7) | u64::from(b & 0x7f);
        len += 1;
        if len > 5 || cur > u64::from(i32::MAX.unsigned_abs()) {
            return Err(Asn1Error::OidArcTooLarge);
        }
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                if cur < 80 {
                    arcs.push(cur / 40);
                    arcs.push(cur % 40);
                } else {
                    arcs.push(2);
                    arcs.push(cur - 80);
                }
            } else {
                arcs.push(cur);
            }
            cur = 0;
            len = 0;
        }
    }
    if len != 0 {
        return Err(Asn1Error::TruncatedOid);
    }
    Ok(arcs
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join("."))
}

/// `AlgorithmIdentifier ::= SEQUENCE { algorithm OID, parameters ANY OPTIONAL }`: the OID
/// content bytes (compare them with `ObjectIdentifier::as_bytes`).
pub(super) fn algorithm_oid<'a>(t: &Tlv<'a>, what: &str) -> Asn1Result<&'a [u8]> {
    if t.tag != tag::SEQUENCE {
        return Err(Asn1Error::NotAlgorithmIdentifier.within(what));
    }
    let mut r = Reader::new(t.content);
    let oid = r.expect(tag::OID, what)?;
    oid_string(oid.content).map_err(|e| e.within(what))?;
    if !r.is_empty() {
        r.any(what)?;
    }
    r.finish(what)?;
    Ok(oid.content)
}

fn digits(s: &[u8], what: &str) -> Asn1Result<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return Err(Asn1Error::InvalidDigits.within(what));
    }
    Ok(s.iter().fold(0u32, |a, d| a * 10 + u32::from(d - b'0')))
}

/// The zone suffix Go's `Z0700` layout round-trips: `Z`, or `±hhmm` with a non-zero offset.
fn zone(s: &[u8], what: &str) -> Asn1Result<FixedOffset> {
    let bad = || Asn1Error::InvalidTimeZone.within(what);
    match s {
        [b'Z'] => FixedOffset::east_opt(0).ok_or_else(bad),
        [sign @ (b'+' | b'-'), hh @ ..] if hh.len() == 4 => {
            let h = digits(hh.get(..2).unwrap_or_default(), what)?;
            let m = digits(hh.get(2..).unwrap_or_default(), what)?;
            if h > 23 || m > 59 || (h == 0 && m == 0) {
                return Err(bad());
            }
            let secs = i32::try_from(h * 3600 + m * 60).map_err(|_| bad())?;
            let secs = if *sign == b'-' { -secs } else { secs };
            FixedOffset::east_opt(secs).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

fn civil(
    year: i32,
    month: u32,
    day: u32,
    hms: (u32, u32, u32),
    nanos: u32,
    tz: FixedOffset,
    what: &str,
) -> Asn1Result<DateTime<Utc>> {
    let (h, mi, s) = hms;
    let bad = || Asn1Error::DateOutOfRange.within(what);
    if s > 59 {
        return Err(bad());
    }
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(bad)?;
    let naive = date.and_hms_nano_opt(h, mi, s, nanos).ok_or_else(bad)?;
    tz.from_local_datetime(&naive)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(bad)
}

/// GeneralizedTime as Go parses it (layout `20060102150405.999999999Z0700` with the
/// round-trip check): optional fraction of 1–9 digits without trailing zeros, and `Z` or a
/// non-zero `±hhmm` offset.
pub(super) fn generalized_time(content: &[u8], what: &str) -> Asn1Result<DateTime<Utc>> {
    let (main, rest) = content
        .split_at_checked(14)
        .ok_or_else(|| Asn1Error::GeneralizedTimeTooShort.within(what))?;
    let num = |r: std::ops::Range<usize>| digits(main.get(r).unwrap_or_default(), what);
    let year = i32::try_from(num(0..4)?).map_err(|_| Asn1Error::Year.within(what))?;
    let (month, day, h, mi, s) = (
        num(4..6)?,
        num(6..8)?,
        num(8..10)?,
        num(10..12)?,
        num(12..14)?,
    );
    let (nanos, zone_part) = match rest.split_first() {
        Some((b'.', after)) => {
            let n = after.iter().take_while(|b| b.is_ascii_digit()).count();
            let frac = after.get(..n).unwrap_or_default();
            if n == 0 || n > 9 || frac.last() == Some(&b'0') {
                return Err(Asn1Error::InvalidFraction.within(what));
            }
            let mut nanos = digits(frac, what)?;
            for _ in n..9 {
                nanos *= 10;
            }
            (nanos, after.get(n..).unwrap_or_default())
        }
        _ => (0, rest),
    };
    let tz = zone(zone_part, what)?;
    civil(year, month, day, (h, mi, s), nanos, tz, what)
}

/// UTCTime as Go parses it (`0601021504Z0700`, then `060102150405Z0700`; years 00–49 are
/// 20xx).
pub(super) fn utc_time(content: &[u8], what: &str) -> Asn1Result<DateTime<Utc>> {
    let zone_at = content
        .iter()
        .position(|b| matches!(b, b'Z' | b'+' | b'-'))
        .ok_or_else(|| Asn1Error::UtcTimeWithoutZone.within(what))?;
    let (main, zone_part) = content.split_at(zone_at);
    if main.len() != 10 && main.len() != 12 {
        return Err(Asn1Error::InvalidUtcTime.within(what));
    }
    let num = |r: std::ops::Range<usize>| digits(main.get(r).unwrap_or_default(), what);
    let yy = num(0..2)?;
    let year = i32::try_from(if yy < 50 { 2000 + yy } else { 1900 + yy })
        .map_err(|_| Asn1Error::Year.within(what))?;
    let s = if main.len() == 12 { num(10..12)? } else { 0 };
    let tz = zone(zone_part, what)?;
    civil(
        year,
        num(2..4)?,
        num(4..6)?,
        (num(6..8)?, num(8..10)?, s),
        0,
        tz,
        what,
    )
}

/// Go's `time.Time.String()` for a UTC instant: `2006-01-02 15:04:05.999999999 +0000 UTC`.
pub(super) fn go_time_string(t: &DateTime<Utc>) -> String {
    let mut s = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push_str(" +0000 UTC");
    s
}

/// Go's `time.RFC3339` for a UTC instant (fractions dropped).
pub(super) fn rfc3339(t: &DateTime<Utc>) -> String {
    if (0..=9999).contains(&t.year()) {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        t.to_rfc3339()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generalized_time_like_go() {
        let t = generalized_time(b"20250121091746.641Z", "t").expect("fraction");
        assert_eq!(t.to_rfc3339(), "2025-01-21T09:17:46.641+00:00");
        let t = generalized_time(b"20240618062937Z", "t").expect("plain");
        assert_eq!(t.to_rfc3339(), "2024-06-18T06:29:37+00:00");
        let t = generalized_time(b"20240618062937+0130", "t").expect("offset");
        assert_eq!(t.to_rfc3339(), "2024-06-18T04:59:37+00:00");
        // Go's round-trip check rejects these.
        for bad in [
            &b"20250121091746.640Z"[..],
            b"20250121091746.Z",
            b"20250121091746,641Z",
            b"20250121091746.1234567891Z",
            b"20240618062937+0000",
            b"20240618062937",
            b"20241318062937Z",
            b"20240230062937Z",
            b"20240618062960Z",
            b"2024061806293Z",
        ] {
            assert!(generalized_time(bad, "t").is_err(), "{bad:?}");
        }
    }

    #[test]
    fn utc_time_like_go() {
        assert_eq!(
            utc_time(b"240109000000Z", "t").expect("t").to_rfc3339(),
            "2024-01-09T00:00:00+00:00"
        );
        assert_eq!(
            utc_time(b"5001010000Z", "t").expect("t").to_rfc3339(),
            "1950-01-01T00:00:00+00:00"
        );
        assert!(utc_time(b"2401090000000Z", "t").is_err());
        assert!(utc_time(b"240109000000", "t").is_err());
    }

    #[test]
    fn integers_oids_and_lengths() {
        let t = |c: &'static [u8]| Tlv {
            tag: tag::INTEGER,
            content: c,
            full: c,
        };
        assert_eq!(int_i64(&t(&[0x01]), "i"), Ok(1));
        assert_eq!(int_i64(&t(&[0xff]), "i"), Ok(-1));
        assert_eq!(int_i64(&t(&[0x00, 0x80]), "i"), Ok(128));
        assert!(int_i64(&t(&[0x00, 0x01]), "i").is_err());
        assert!(int_i64(&t(&[]), "i").is_err());
        assert!(int_i64(&t(&[1; 9]), "i").is_err());
        assert_eq!(int_key(&[0x00, 0x00, 0x80]), &[0x00, 0x80]);
        assert_eq!(decimal(&[0x01, 0x00]), "256");
        assert_eq!(decimal(&[0x00]), "0");
        assert_eq!(
            oid_string(&[0x04, 0x00, 0x8f, 0x67, 0x01, 0x01]).expect("oid"),
            "0.4.0.2023.1.1"
        );
        assert!(oid_string(&[0x2a, 0x80, 0x01]).is_err());
        assert!(oid_string(&[0x2a, 0x86]).is_err());
        // Length claims beyond the input, non-minimal and indefinite lengths.
        assert!(split(&[0x30, 0x05, 0x00]).is_err());
        assert!(split(&[0x30, 0x81, 0x05, 0, 0, 0, 0, 0]).is_err());
        assert!(split(&[0x30, 0x80, 0x00, 0x00]).is_err());
        assert!(split(&[0x1f, 0x01, 0x00]).is_err());
        let (tlv, rest) = split(&[0x04, 0x01, 0xaa, 0x05]).expect("split");
        assert_eq!(
            (tlv.tag, tlv.content, rest),
            (0x04, &[0xaa][..], &[0x05][..])
        );
        assert_eq!(
            go_time_string(&generalized_time(b"20250121091746.5Z", "t").expect("t")),
            "2025-01-21 09:17:46.5 +0000 UTC"
        );
    }
}
