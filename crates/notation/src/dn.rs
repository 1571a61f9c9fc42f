//! X.509 distinguished names as notation understands them in `x509.subject:` trusted identities.
//!
//! This reproduces notation-go's `internal/pkix.ParseDistinguishedName`, which is built on
//! go-ldap v3 `ParseDN` (RFC 4514 syntax). The result is a flat map from attribute type to value,
//! because notation compares identities as maps, not as ordered RDN sequences.
//!
//! Differences from notation-go, and go-ldap version notes:
//! * A type that appears twice is always a duplicate. notation-go lets a type repeat when its
//!   earlier value was empty (`C=,C=US`), an accident of its `map[key] == ""` test.
//! * Values are Rust strings: an escape sequence such as `\FF` that unescapes to bytes that are not
//!   valid UTF-8 is rejected (Go would keep the raw bytes). A certificate subject rendered by
//!   `crate::x509::go_name_string` is always UTF-8, so such an identity could never
//!   match anyway.
//! * Leading/trailing trimming removes ASCII spaces only, not tabs (recent go-ldap v3.4.x; older
//!   releases used `strings.TrimSpace`). A trailing space is kept only when escaped by an odd
//!   number of backslashes (`a\ `). Some go-ldap releases look at the last backslash only and so
//!   also keep the space of `a\\ ` (a literal backslash then an insignificant space); go-ldap
//!   fixed that later and we follow the fix.
//! * Unescaped `"`, `<`, `>` in values are accepted, as in the go-ldap releases notation-go v1.3
//!   ships with (the newest go-ldap rejects them).
//! * go-ldap's `#<hex BER>` value form is unreachable: any DN containing `=#` is rejected first,
//!   exactly as notation-go does.

use std::collections::BTreeMap;
use std::fmt;

use thiserror::Error;

/// The suffix notation appends to go-ldap parse errors.
const RFC4514_HINT: &str = "A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard";

/// Attribute types every trusted identity (and every matchable leaf subject) must carry.
const MANDATORY: [&str; 3] = ["C", "ST", "O"];

/// A parsed distinguished name: attribute type -> unescaped value.
///
/// Types keep their case (`c=US` gives key `c`, not `C`), except that `S` is renamed to `ST`,
/// like notation-go. Keys are ordered byte-wise, which is also how Go prints maps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dn(BTreeMap<String, String>);

impl Dn {
    /// The value of attribute `ty` (exact, case-sensitive type), if present.
    pub fn get(&self, ty: &str) -> Option<&str> {
        self.0.get(ty).map(String::as_str)
    }

    /// All `(type, value)` pairs, ordered by type.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when there are no attributes (never the case for a successfully parsed DN).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Renders like Go's `fmt` `%q` of a `map[string]string`: `map["C":"US" "O":"x"]`.
impl fmt::Display for Dn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .iter()
            .map(|(k, v)| format!("{}:{}", go_quote(k), go_quote(v)))
            .collect();
        write!(f, "map[{}]", parts.join(" "))
    }
}

/// Why a distinguished name was rejected. `Display` gives notation-go's exact wording.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DnError {
    /// notation refuses `=#` (hex-encoded BER values) anywhere in the string.
    #[error(
        "unsupported distinguished name (DN) {dn}: notation does not support x509.subject identities containing \"=#\"",
        dn = go_quote(.dn)
    )]
    HexValue {
        /// The DN as given.
        dn: String,
    },
    /// RFC 4514 syntax error (go-ldap's message is `reason`'s `Display`).
    #[error("parsing distinguished name (DN) {dn} failed with err: {reason}. {RFC4514_HINT}", dn = go_quote(.dn))]
    Syntax {
        /// The DN as given.
        dn: String,
        /// What go-ldap refused, for example an incomplete type, value pair.
        reason: LdapError,
    },
    /// An RDN joined several attributes with `+`.
    #[error(
        "distinguished name (DN) {dn} has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported",
        dn = go_quote(.dn)
    )]
    MultiValued {
        /// The DN as given.
        dn: String,
    },
    /// The same attribute type appeared twice (after the `S` -> `ST` alias).
    #[error(
        "distinguished name (DN) {dn} has duplicate RDN attribute for {ty}, DN can only have unique RDN attributes",
        dn = go_quote(.dn), ty = go_quote(.ty)
    )]
    Duplicate {
        /// The DN as given.
        dn: String,
        /// The repeated attribute type.
        ty: String,
    },
    /// `C`, `ST` or `O` is missing or empty.
    #[error(
        "distinguished name (DN) {dn} has no mandatory RDN attribute for {ty}, it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum",
        dn = go_quote(.dn), ty = go_quote(.ty)
    )]
    MissingMandatory {
        /// The DN as given.
        dn: String,
        /// The missing type: `C`, `ST` or `O`.
        ty: &'static str,
    },
}

/// Parses `s` like notation-go's `ParseDistinguishedName`.
///
/// `s` is used as given (the caller passes the text after `x509.subject:`, leading space
/// included, so error messages quote it exactly as notation does).
pub fn parse_dn(s: &str) -> Result<Dn, DnError> {
    if s.contains("=#") {
        return Err(DnError::HexValue { dn: s.to_owned() });
    }
    let rdns = ldap_parse_dn(s).map_err(|reason| DnError::Syntax {
        dn: s.to_owned(),
        reason,
    })?;
    let mut map = BTreeMap::new();
    for rdn in rdns {
        let mut attrs = rdn.into_iter();
        let (Some((ty, value)), None) = (attrs.next(), attrs.next()) else {
            return Err(DnError::MultiValued { dn: s.to_owned() });
        };
        let ty = if ty == "S" { "ST".to_owned() } else { ty };
        if map.contains_key(&ty) {
            return Err(DnError::Duplicate {
                dn: s.to_owned(),
                ty,
            });
        }
        map.insert(ty, value);
    }
    for ty in MANDATORY {
        if map.get(ty).is_none_or(String::is_empty) {
            return Err(DnError::MissingMandatory {
                dn: s.to_owned(),
                ty,
            });
        }
    }
    Ok(Dn(map))
}

/// True when every `(type, value)` of `a` is also in `b` (notation-go `IsSubsetDN`).
///
/// Like Go (where a missing map key reads as `""`), an attribute of `a` with an empty value also
/// matches when `b` lacks that type. Comparison is exact and case-sensitive.
pub fn is_subset(a: &Dn, b: &Dn) -> bool {
    a.iter().all(|(k, v)| b.get(k).unwrap_or("") == v)
}

/// Why go-ldap's `ParseDN` refuses a DN. `Display` gives go-ldap's exact wording, which notation
/// quotes in its own message ([`DnError::Syntax`]).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LdapError {
    /// A separator (`,`, `;`, `+`) came before the attribute's `=`.
    #[error("incomplete type, value pair")]
    IncompletePair,
    /// The string ended inside an attribute type.
    #[error("DN ended with incomplete type, value pair")]
    EndedIncomplete,
    /// A `\` ended the (space-trimmed) attribute text.
    #[error("got corrupted escaped character: '{trimmed}'")]
    CorruptedEscape {
        /// The attribute text, insignificant spaces trimmed.
        trimmed: String,
    },
    /// A `\H` escape lacked its second hex digit.
    #[error("failed to decode escaped character: encoding/hex: invalid byte: {first}")]
    ShortHexEscape {
        /// The one character after the backslash.
        first: char,
    },
    /// A `\HH` escape with a non-ASCII character (Go's `encoding/hex` reads bytes, so the
    /// message shows both characters).
    #[error("failed to decode escaped character: invalid byte: {hi}{lo}")]
    NonAsciiHexEscape {
        /// The first character after the backslash.
        hi: char,
        /// The second.
        lo: char,
    },
    /// A `\HH` escape with an ASCII character that is not a hex digit.
    #[error("failed to decode escaped character: encoding/hex: invalid byte: {}", go_unicode(*.0))]
    InvalidHexDigit(char),
    /// The escaped bytes of an attribute are not UTF-8.
    #[error("escaped bytes in {} do not form valid UTF-8", go_quote(.0))]
    InvalidUtf8(String),
}

/// One RDN: its `(type, value)` pairs in order.
type Rdn = Vec<(String, String)>;

/// go-ldap v3 `ParseDN`: splits on unescaped `,`/`;` (RDNs) and `+` (attributes), the first
/// unescaped `=` of an attribute ending its type. Fails as go-ldap does.
fn ldap_parse_dn(input: &str) -> Result<Vec<Rdn>, LdapError> {
    let mut rdns = Vec::new();
    if input.trim_matches(' ').is_empty() {
        return Ok(rdns);
    }
    let bytes = input.as_bytes();
    let mut rdn: Rdn = Vec::new();
    let mut ty = String::new();
    let mut escaping = false;
    let mut start = 0;
    for (i, &c) in bytes.iter().enumerate() {
        if escaping {
            escaping = false;
        } else if c == b'\\' {
            escaping = true;
        } else if c == b'=' && ty.is_empty() {
            // An empty (or all-space) type leaves `ty` empty, so a later `=` retries: go-ldap quirk.
            ty = decode_string(&input[start..i])?;
            start = i + 1;
        } else if matches!(c, b',' | b'+' | b';') {
            if ty.is_empty() {
                return Err(LdapError::IncompletePair);
            }
            let value = decode_string(&input[start..i])?;
            rdn.push((std::mem::take(&mut ty), value));
            start = i + 1;
            if c != b'+' {
                rdns.push(std::mem::take(&mut rdn));
            }
        }
    }
    if ty.is_empty() {
        return Err(LdapError::EndedIncomplete);
    }
    let value = decode_string(&input[start..])?;
    rdn.push((ty, value));
    rdns.push(rdn);
    Ok(rdns)
}

/// go-ldap `decodeString`: trims insignificant spaces, keeps an escaped trailing space, and
/// resolves `\<special>` and `\HH` escapes.
fn decode_string(raw: &str) -> Result<String, LdapError> {
    let trimmed = trim_spaces(raw);
    let chars: Vec<char> = trimmed.chars().collect();
    let mut out: Vec<u8> = Vec::with_capacity(trimmed.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c != '\\' {
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            i += 1;
            continue;
        }
        let Some(&next) = chars.get(i + 1) else {
            return Err(LdapError::CorruptedEscape {
                trimmed: trimmed.to_owned(),
            });
        };
        if matches!(
            next,
            ' ' | '"' | '#' | '+' | ',' | ';' | '<' | '=' | '>' | '\\'
        ) {
            out.push(u8::try_from(next).expect("special characters are ASCII"));
            i += 2;
            continue;
        }
        let Some(&second) = chars.get(i + 2) else {
            return Err(LdapError::ShortHexEscape { first: next });
        };
        out.push(decode_hex_pair(next, second)?);
        i += 3;
    }
    String::from_utf8(out).map_err(|_| LdapError::InvalidUtf8(trimmed.to_owned()))
}

/// Decodes the two characters of a `\HH` escape with Go `encoding/hex` error wording.
fn decode_hex_pair(hi: char, lo: char) -> Result<u8, LdapError> {
    if !hi.is_ascii() || !lo.is_ascii() {
        return Err(LdapError::NonAsciiHexEscape { hi, lo });
    }
    let digit = |c: char| {
        c.to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
            .ok_or(LdapError::InvalidHexDigit(c))
    };
    Ok(digit(hi)? << 4 | digit(lo)?)
}

/// Go `%#U` for an ASCII character: `U+0067 'g'`, without the quoted form when not printable.
fn go_unicode(c: char) -> String {
    let code = u32::from(c);
    if c.is_ascii_graphic() || c == ' ' {
        format!("U+{code:04X} '{c}'")
    } else {
        format!("U+{code:04X}")
    }
}

/// Strips leading and trailing ASCII spaces, but keeps a trailing space escaped by an odd
/// number of backslashes (`a\ ` keeps its space, `a\\ ` does not).
fn trim_spaces(raw: &str) -> &str {
    let trimmed = raw.trim_matches(' ');
    if trimmed.is_empty() || !raw.ends_with(' ') {
        return trimmed;
    }
    let backslashes = trimmed.bytes().rev().take_while(|&b| b == b'\\').count();
    if backslashes % 2 == 1 {
        let start = raw.len() - raw.trim_start_matches(' ').len();
        &raw[start..start + trimmed.len() + 1]
    } else {
        trimmed
    }
}

pub(crate) use crate::gofmt::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Dn {
        parse_dn(s).unwrap_or_else(|e| panic!("{s:?} should parse: {e}"))
    }

    fn err(s: &str) -> String {
        match parse_dn(s) {
            Ok(dn) => panic!("{s:?} should fail, got {dn:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn parses_simple_dn_into_map() {
        let dn = ok("CN=e2e,O=Notary,L=Seattle,ST=WA,C=US");
        assert_eq!(dn.get("CN"), Some("e2e"));
        assert_eq!(dn.get("C"), Some("US"));
        assert_eq!(dn.len(), 5);
        assert!(!dn.is_empty());
    }

    #[test]
    fn semicolon_separates_rdns_and_spaces_are_trimmed() {
        let dn = ok(" C = US ;  ST=WA,O= Notary Synthetic ");
        assert_eq!(dn.get("C"), Some("US"));
        assert_eq!(dn.get("ST"), Some("WA"));
        assert_eq!(dn.get("O"), Some("Notary Synthetic"));
    }

    #[test]
    fn s_is_alias_for_st() {
        let dn = ok("C=US,S=WA,O=x");
        assert_eq!(dn.get("ST"), Some("WA"));
        assert_eq!(dn.get("S"), None);
        assert!(err("C=US,S=WA,ST=WA,O=x").contains(r#"duplicate RDN attribute for "ST""#));
    }

    #[test]
    fn escapes_are_resolved() {
        let dn = ok(r"C=US,ST=WA,O=a\,b\+c\;d\<e\>f\=g\#h\\i\22j");
        assert_eq!(dn.get("O"), Some(r#"a,b+c;d<e>f=g#h\i"j"#));
        let dn = ok(r"C=US,ST=WA,O=caf\C3\A9");
        assert_eq!(dn.get("O"), Some("café"));
    }

    #[test]
    fn escaped_trailing_and_leading_spaces_are_kept() {
        let dn = ok(r"C=US,ST=WA,O=\ x\ ");
        assert_eq!(dn.get("O"), Some(" x "));
        // An even number of backslashes: the space is insignificant.
        let dn = ok(r"C=US,ST=WA,O=x\\ ");
        assert_eq!(dn.get("O"), Some(r"x\"));
    }

    #[test]
    fn hex_ber_values_are_refused() {
        assert_eq!(
            err("C=US,ST=WA,O=#0403616263"),
            r#"unsupported distinguished name (DN) "C=US,ST=WA,O=#0403616263": notation does not support x509.subject identities containing "=#""#
        );
        assert!(err("CN=Bad=#CN,C=US,ST=WA,O=x").contains("=#"));
    }

    #[test]
    fn syntax_errors_use_go_ldap_wording() {
        assert_eq!(
            err(",,,"),
            r#"parsing distinguished name (DN) ",,," failed with err: incomplete type, value pair. A valid DN must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum, and follow RFC 4514 standard"#
        );
        assert!(err("C=US,ST").contains("DN ended with incomplete type, value pair"));
        assert!(err(r"C=US,ST=WA,O=x\").contains(r"got corrupted escaped character: 'x\'"));
        assert!(err(r"C=US,ST=WA,O=x\4").contains("encoding/hex: invalid byte: 4"));
        assert!(
            err(r"C=US,ST=WA,O=x\4g").contains("encoding/hex: invalid byte: U+0067 'g'"),
            "{}",
            err(r"C=US,ST=WA,O=x\4g")
        );
        assert!(err(r"C=US,ST=WA,O=x\éé").contains("invalid byte: éé"));
        assert!(err(r"C=US,ST=WA,O=\FF").contains("valid UTF-8"));
    }

    #[test]
    fn multi_valued_rdn_is_rejected() {
        assert_eq!(
            err("C=US,ST=WA,O=x+OU=y"),
            r#"distinguished name (DN) "C=US,ST=WA,O=x+OU=y" has multi-valued RDN attributes, remove multi-valued RDN attributes as they are not supported"#
        );
    }

    #[test]
    fn duplicates_are_rejected_even_after_empty_value() {
        assert_eq!(
            err("C=US,ST=WA,O=x,O=y"),
            r#"distinguished name (DN) "C=US,ST=WA,O=x,O=y" has duplicate RDN attribute for "O", DN can only have unique RDN attributes"#
        );
        assert!(err("C=,C=US,ST=WA,O=x").contains("duplicate"));
    }

    #[test]
    fn mandatory_attributes_are_checked_in_order() {
        assert_eq!(
            err(" CN=e2e,O=Notary,L=Seattle,ST=WA"),
            r#"distinguished name (DN) " CN=e2e,O=Notary,L=Seattle,ST=WA" has no mandatory RDN attribute for "C", it must contain 'C', 'ST' or 'S', and 'O' RDN attributes at a minimum"#
        );
        assert!(err("C=US,O=x").contains(r#"for "ST""#));
        assert!(err("C=US,ST=WA").contains(r#"for "O""#));
        assert!(err("C=US,ST=WA,O=").contains(r#"for "O""#));
        assert!(err("").contains(r#"for "C""#));
    }

    #[test]
    fn attribute_type_case_is_not_folded() {
        assert!(err("c=US,ST=WA,O=x").contains(r#"for "C""#));
        assert!(err("C=US,st=WA,O=x").contains(r#"for "ST""#));
    }

    #[test]
    fn subset_is_exact_and_treats_missing_as_empty() {
        let leaf = ok("CN=SomeCN,OU=SomeOU,O=SomeOrg,L=Seattle,ST=WA,C=US");
        assert!(is_subset(&ok("C=US,O=SomeOrg,ST=WA"), &leaf));
        assert!(!is_subset(&ok("C=US,O=someorg,ST=WA"), &leaf));
        assert!(!is_subset(&leaf, &ok("C=US,O=SomeOrg,ST=WA")));
        assert!(is_subset(&ok("C=US,O=SomeOrg,ST=WA,DC="), &leaf));
    }

    #[test]
    fn display_matches_go_map_formatting() {
        let dn = ok(r#"C=US,ST=WA,O=a\"b"#);
        assert_eq!(dn.to_string(), r#"map["C":"US" "O":"a\"b" "ST":"WA"]"#);
    }

    #[test]
    fn go_quote_escapes_like_strconv_quote() {
        assert_eq!(go_quote(r"a\b"), r#""a\\b""#);
        assert_eq!(go_quote("x\ny\u{1}"), r#""x\ny\x01""#);
        assert_eq!(go_quote("é"), "\"é\"");
    }
}
