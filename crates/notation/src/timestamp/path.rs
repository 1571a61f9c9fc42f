//! Certificate path building for the TSA signing certificate, as Go's `x509.Certificate.Verify`
//! does it for tspclient-go (reference §3.6 step 6.3): intermediates are all the token's
//! certificates, roots are the `tsa` trust store, the time is genTime and the required key
//! usage is timeStamping.
//!
//! Reproduced from Go: candidate parents by subject == issuer, ordered by AKID/SKID match;
//! roots considered before intermediates; `alreadyInChain` loop prevention; the validity of
//! every certificate at genTime (inclusive); unhandled critical extensions; intermediates
//! must be CAs; pathLenConstraint; the EKU walk along the chain; the limit of 100 signature
//! checks; and which error is reported when no chain is found (including the "possibly
//! because of …" hint of `UnknownAuthorityError`). Every link goes through
//! [`Cert::check_signature_from`], so SHA-1 and MD5 links are refused as in Go.
//!
//! Deliberate, fail-closed departures:
//! * a chain through a CA with **name constraints**, or through any certificate with
//!   **policy constraints**, is refused (Go evaluates them; this verifier does not);
//! * chains longer than [`MAX_CHAIN_LEN`] certificates are not built (Go has no limit other
//!   than the signature-check budget; real TSA chains have 2–4 certificates).

use chrono::{DateTime, Utc};
use const_oid::ObjectIdentifier;

use super::asn1::{self, Reader, rfc3339, tag};
use crate::x509::{Cert, PublicKeyInfo, go_quote, oids};

/// Go's `maxChainSignatureChecks`.
const MAX_SIGNATURE_CHECKS: usize = 100;
/// Longest chain built (leaf and root included).
pub(super) const MAX_CHAIN_LEN: usize = 16;

const ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");
const AIA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");
const SKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const SAN: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const NAME_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.30");
const AKI: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const POLICY_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.36");
/// Extensions Go's parser handles (so their criticality never fails a chain): keyUsage,
/// basicConstraints, CRL distribution points, certificate policies, policy mappings, extKeyUsage,
/// inhibitAnyPolicy, plus those with their own rules below.
const HANDLED: [&str; 7] = [
    "2.5.29.15",
    "2.5.29.19",
    "2.5.29.31",
    "2.5.29.32",
    "2.5.29.33",
    "2.5.29.37",
    "2.5.29.54",
];

/// A Go `crypto/x509` verification failure; `Display` is Go's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum X509VerifyError {
    /// No chain to a trusted root. `hint` is Go's `(error, candidate name)` of the first
    /// candidate parent that was rejected, if any.
    #[error("x509: certificate signed by unknown authority{}", hint_suffix(.hint))]
    UnknownAuthority {
        /// The first rejected candidate: why, and its name (CN, else O, else serial).
        hint: Option<(String, String)>,
    },
    /// A certificate not yet valid at genTime.
    #[error("x509: certificate has expired or is not yet valid: current time {} is before {}", rfc3339(.now), rfc3339(.not_before))]
    NotYetValid {
        /// genTime.
        now: DateTime<Utc>,
        /// The certificate's notBefore.
        not_before: DateTime<Utc>,
    },
    /// A certificate expired at genTime.
    #[error("x509: certificate has expired or is not yet valid: current time {} is after {}", rfc3339(.now), rfc3339(.not_after))]
    Expired {
        /// genTime.
        now: DateTime<Utc>,
        /// The certificate's notAfter.
        not_after: DateTime<Utc>,
    },
    /// An intermediate that is not a CA.
    #[error("x509: certificate is not authorized to sign other certificates")]
    NotAuthorizedToSign,
    /// pathLenConstraint exceeded.
    #[error("x509: too many intermediates for path length constraint")]
    TooManyIntermediates,
    /// No chain allows timeStamping.
    #[error("x509: certificate specifies an incompatible key usage")]
    IncompatibleUsage,
    /// A critical extension Go does not handle.
    #[error("x509: unhandled critical extension")]
    UnhandledCriticalExtension,
    /// More than 100 signature checks.
    #[error("x509: signature check attempts limit reached while verifying certificate chain")]
    SignatureCheckLimit,
    /// Name or policy constraints on the path (our fail-closed rule).
    #[error("x509: {0} on the certification path are not supported by this verifier")]
    Unsupported(&'static str),
}

fn hint_suffix(hint: &Option<(String, String)>) -> String {
    match hint {
        Some((err, name)) => format!(
            " (possibly because of {} while trying to verify candidate authority certificate {})",
            go_quote(err),
            go_quote(name)
        ),
        None => String::new(),
    }
}

/// What path building needs to know about one certificate.
struct Node<'a> {
    cert: &'a Cert,
    ski: &'a [u8],
    aki: &'a [u8],
    san: Option<&'a [u8]>,
    unhandled_critical: bool,
    name_constraints: bool,
    policy_constraints: bool,
}

impl<'a> Node<'a> {
    fn new(cert: &'a Cert) -> Node<'a> {
        let mut node = Node {
            cert,
            ski: &[],
            aki: &[],
            san: None,
            unhandled_critical: false,
            name_constraints: false,
            policy_constraints: false,
        };
        for ext in cert.parsed().tbs_certificate.extensions.iter().flatten() {
            let value = ext.extn_value.as_bytes();
            let id = ext.extn_id;
            let handled = if id == SKI {
                node.ski = asn1::single(value, tag::OCTET_STRING, "SKI")
                    .map(|t| t.content)
                    .unwrap_or_default();
                true
            } else if id == AKI {
                node.aki = authority_key_id(value);
                true
            } else if id == SAN {
                node.san = Some(value);
                san_has_go_names(value)
            } else if id == NAME_CONSTRAINTS {
                node.name_constraints = true;
                true
            } else if id == POLICY_CONSTRAINTS {
                node.policy_constraints = true;
                true
            } else {
                id == AIA || HANDLED.contains(&id.to_string().as_str())
            };
            if ext.critical && !handled {
                node.unhandled_critical = true;
            }
        }
        node
    }

    fn same_der(&self, other: &Cert) -> bool {
        self.cert.der() == other.der()
    }
}

/// AuthorityKeyIdentifier keyIdentifier (`[0]`), empty when absent or malformed.
fn authority_key_id(value: &[u8]) -> &[u8] {
    let Ok(seq) = asn1::single(value, tag::SEQUENCE, "AKI") else {
        return &[];
    };
    let mut r = Reader::new(seq.content);
    match r.optional(tag::ctx_prim(0), "keyIdentifier") {
        Ok(Some(k)) => k.content,
        _ => &[],
    }
}

/// Go treats a subjectAltName as handled only when it yields a DNS name, email, IP or URI.
fn san_has_go_names(value: &[u8]) -> bool {
    asn1::single(value, tag::SEQUENCE, "SAN")
        .and_then(|s| asn1::elements(s.content, "GeneralName"))
        .map(|names| {
            names
                .iter()
                .any(|n| matches!(n.tag, 0x81 | 0x82 | 0x86 | 0x87))
        })
        .unwrap_or(false)
}

/// Go's name for a certificate in `UnknownAuthorityError`: CommonName (the last one), else
/// the first Organization, else `serial:<decimal>`.
fn display_name(cert: &Cert) -> String {
    let mut cn = None;
    let mut org = None;
    for rdn in cert.parsed().tbs_certificate.subject.0.iter() {
        for atv in rdn.0.iter() {
            let Some(text) = attribute_text(&atv.value) else {
                continue;
            };
            match atv.oid.to_string().as_str() {
                "2.5.4.3" => cn = Some(text),
                "2.5.4.10" if org.is_none() => org = Some(text),
                _ => {}
            }
        }
    }
    match (cn.filter(|c| !c.is_empty()), org) {
        (Some(c), _) => c,
        (None, Some(o)) => o,
        (None, None) => format!(
            "serial:{}",
            asn1::decimal(cert.parsed().tbs_certificate.serial_number.as_bytes())
        ),
    }
}

fn attribute_text(value: &der::Any) -> Option<String> {
    let bytes = value.value();
    match der::Tagged::tag(value).octet() {
        0x0c | 0x13 | 0x16 | 0x14 | 0x12 => Some(String::from_utf8_lossy(bytes).into_owned()),
        0x1e => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|c| {
                    u16::from_be_bytes([
                        c.first().copied().unwrap_or(0),
                        c.get(1).copied().unwrap_or(0),
                    ])
                })
                .collect();
            Some(String::from_utf16_lossy(&units))
        }
        _ => None,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leaf,
    Intermediate,
    Root,
}

/// Go's `isValid` for one certificate about to join `current` (leaf first).
fn is_valid(
    node: &Node<'_>,
    kind: Kind,
    current: &[&Node<'_>],
    now: DateTime<Utc>,
) -> Result<(), X509VerifyError> {
    let c = node.cert;
    if node.unhandled_critical {
        return Err(X509VerifyError::UnhandledCriticalExtension);
    }
    if now < c.not_before() {
        return Err(X509VerifyError::NotYetValid {
            now,
            not_before: c.not_before(),
        });
    }
    if now > c.not_after() {
        return Err(X509VerifyError::Expired {
            now,
            not_after: c.not_after(),
        });
    }
    if kind != Kind::Leaf && node.name_constraints {
        return Err(X509VerifyError::Unsupported("name constraints"));
    }
    if node.policy_constraints {
        return Err(X509VerifyError::Unsupported("policy constraints"));
    }
    if kind == Kind::Intermediate && !c.is_ca() {
        return Err(X509VerifyError::NotAuthorizedToSign);
    }
    if let Some(max) = c.path_len()
        && !current.is_empty()
        && current.len() - 1 > usize::from(max)
    {
        return Err(X509VerifyError::TooManyIntermediates);
    }
    Ok(())
}

/// Go's `alreadyInChain`: same subject, same key and the same subjectAltName (a difference
/// in SAN presence ends the search with "not in chain", as in Go).
fn already_in_chain(candidate: &Node<'_>, chain: &[&Node<'_>]) -> bool {
    for c in chain {
        if candidate.cert.subject_raw() != c.cert.subject_raw()
            || candidate.cert.public_key_spki_der() != c.cert.public_key_spki_der()
        {
            continue;
        }
        match (candidate.san, c.san) {
            (None, None) => return true,
            (None, _) | (_, None) => return false,
            (Some(a), Some(b)) if a == b => return true,
            _ => {}
        }
    }
    false
}

/// Go's `CertPool.findPotentialParents`: subject == issuer, AKID/SKID matches first, then
/// one side missing, then mismatches.
fn potential_parents<'n, 'a>(pool: &'n [Node<'a>], child: &Node<'_>) -> Vec<&'n Node<'a>> {
    let issuer = child.cert.issuer_raw();
    let mut matching = Vec::new();
    let mut one = Vec::new();
    let mut mismatch = Vec::new();
    for p in pool.iter().filter(|p| p.cert.subject_raw() == issuer) {
        if p.ski == child.aki {
            matching.push(p);
        } else if p.ski.is_empty() != child.aki.is_empty() {
            one.push(p);
        } else {
            mismatch.push(p);
        }
    }
    matching.extend(one);
    matching.extend(mismatch);
    matching
}

struct Builder<'n, 'a> {
    roots: &'n [Node<'a>],
    intermediates: &'n [Node<'a>],
    now: DateTime<Utc>,
    sig_checks: usize,
}

type Chains<'n, 'a> = Vec<Vec<&'n Node<'a>>>;

impl<'n, 'a> Builder<'n, 'a> {
    /// Go's `buildChains`, including its error bookkeeping: the error returned when no chain
    /// is found is the last candidate's validity or recursion error, else
    /// `UnknownAuthorityError` with the first rejected candidate as hint.
    fn build(&mut self, current: &[&'n Node<'a>]) -> (Chains<'n, 'a>, Option<X509VerifyError>) {
        let Some(child) = current.last().copied() else {
            return (
                Vec::new(),
                Some(X509VerifyError::UnknownAuthority { hint: None }),
            );
        };
        if current.len() >= MAX_CHAIN_LEN {
            return (
                Vec::new(),
                Some(X509VerifyError::UnknownAuthority { hint: None }),
            );
        }
        let candidates: Vec<(Kind, &'n Node<'a>)> = potential_parents(self.roots, child)
            .into_iter()
            .map(|n| (Kind::Root, n))
            .chain(
                potential_parents(self.intermediates, child)
                    .into_iter()
                    .map(|n| (Kind::Intermediate, n)),
            )
            .collect();
        let mut chains = Vec::new();
        let mut err = None;
        let mut hint: Option<(String, String)> = None;
        for (kind, cand) in candidates {
            if matches!(cand.cert.public_key_info(), PublicKeyInfo::Other(_))
                || already_in_chain(cand, current)
            {
                continue;
            }
            self.sig_checks += 1;
            if self.sig_checks > MAX_SIGNATURE_CHECKS {
                err = Some(X509VerifyError::SignatureCheckLimit);
                continue;
            }
            if let Err(e) = child.cert.check_signature_from(cand.cert) {
                hint.get_or_insert_with(|| (e.to_string(), display_name(cand.cert)));
                continue;
            }
            if let Err(e) = is_valid(cand, kind, current, self.now) {
                hint.get_or_insert_with(|| (e.to_string(), display_name(cand.cert)));
                err = Some(e);
                continue;
            }
            err = None;
            let mut next = current.to_vec();
            next.push(cand);
            if kind == Kind::Root {
                chains.push(next);
            } else {
                let (found, e) = self.build(&next);
                err = e;
                chains.extend(found);
            }
        }
        if !chains.is_empty() {
            err = None;
        } else if err.is_none() {
            err = Some(X509VerifyError::UnknownAuthority { hint });
        }
        (chains, err)
    }
}

/// Go's `checkChainForKeyUsage` for the single usage timeStamping: every certificate with
/// an EKU extension must list timeStamping or anyExtendedKeyUsage.
fn chain_allows_time_stamping(chain: &[&Node<'_>]) -> bool {
    chain.iter().rev().all(|n| {
        let eku = n.cert.eku();
        eku.is_empty() || eku.contains(&ANY_EKU) || eku.contains(&oids::EKU_TIME_STAMPING)
    })
}

/// A `CertPool`: certificates in insertion order, a certificate already held is ignored.
fn pool(certs: &[Cert]) -> Vec<Node<'_>> {
    let mut out: Vec<Node<'_>> = Vec::new();
    for c in certs {
        if !out.iter().any(|o| o.same_der(c)) {
            out.push(Node::new(c));
        }
    }
    out
}

/// Go's `leaf.Verify(VerifyOptions{Intermediates, Roots, CurrentTime: now, KeyUsages:
/// [timeStamping]})`: every verified chain, leaf first, ending at a certificate of `roots`,
/// in Go's order.
pub(super) fn verify(
    leaf: &Cert,
    intermediates: &[Cert],
    roots: &[Cert],
    now: DateTime<Utc>,
) -> Result<Vec<Vec<Cert>>, X509VerifyError> {
    let root_nodes = pool(roots);
    let inter_nodes = pool(intermediates);
    let leaf_node = Node::new(leaf);
    is_valid(&leaf_node, Kind::Leaf, &[], now)?;

    let candidates: Chains<'_, '_> = if root_nodes.iter().any(|r| r.same_der(leaf)) {
        vec![vec![&leaf_node]]
    } else {
        let mut b = Builder {
            roots: &root_nodes,
            intermediates: &inter_nodes,
            now,
            sig_checks: 0,
        };
        let (chains, err) = b.build(&[&leaf_node]);
        if chains.is_empty() {
            return Err(err.unwrap_or(X509VerifyError::UnknownAuthority { hint: None }));
        }
        chains
    };
    let usable: Vec<Vec<Cert>> = candidates
        .iter()
        .filter(|c| chain_allows_time_stamping(c))
        .map(|c| c.iter().map(|n| n.cert.clone()).collect())
        .collect();
    if usable.is_empty() {
        return Err(X509VerifyError::IncompatibleUsage);
    }
    Ok(usable)
}
