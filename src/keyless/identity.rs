//! Which keyless identities to trust: a certificate identity (the SAN email or URI) and an OIDC
//! issuer, each exact or a regular expression, as `cosign verify --certificate-identity[-regexp]
//! --certificate-oidc-issuer[-regexp]` state them.

use regex_lite::Regex;

/// How one claim is matched.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// The whole value, byte for byte.
    Exact(String),
    /// A regular expression that must match the whole value: it is anchored (`^(?:re)$`),
    /// stricter than cosign's unanchored match, so that `https://github.com/org/.*` cannot
    /// match `https://evil.example/?https://github.com/org/x`.
    Regex(Regex),
}

impl Matcher {
    /// An anchored regular expression, or the parser's message.
    pub fn regex(pattern: &str) -> Result<Self, String> {
        Regex::new(&format!("^(?:{pattern})$"))
            .map(Matcher::Regex)
            .map_err(|e| e.to_string())
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Exact(s) => s == value,
            Matcher::Regex(re) => re.is_match(value),
        }
    }

    /// The matcher as written (`re:` before a regular expression), for reports.
    pub fn describe(&self) -> String {
        match self {
            Matcher::Exact(s) => s.clone(),
            Matcher::Regex(re) => {
                let p = re.as_str();
                let inner = p
                    .strip_prefix("^(?:")
                    .and_then(|p| p.strip_suffix(")$"))
                    .unwrap_or(p);
                format!("re:{inner}")
            }
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Matcher::Exact(a), Matcher::Exact(b)) => a == b,
            (Matcher::Regex(a), Matcher::Regex(b)) => a.as_str() == b.as_str(),
            _ => false,
        }
    }
}

impl Eq for Matcher {}

/// One trusted identity: both the identity and the issuer must match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityRule {
    pub identity: Matcher,
    pub issuer: Matcher,
}

impl IdentityRule {
    /// Whether a certificate's SAN identity and OIDC issuer satisfy this rule. A certificate
    /// without an issuer never does.
    pub fn matches(&self, identity: &str, issuer: Option<&str>) -> bool {
        self.identity.matches(identity) && issuer.is_some_and(|i| self.issuer.matches(i))
    }

    pub fn describe(&self) -> String {
        format!(
            "identity {} issuer {}",
            self.identity.describe(),
            self.issuer.describe()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_anchored_regex() {
        let rule = IdentityRule {
            identity: Matcher::regex(r"https://github\.com/org/.*").expect("valid"),
            issuer: Matcher::Exact("https://token.actions.githubusercontent.com".into()),
        };
        let iss = Some("https://token.actions.githubusercontent.com");
        assert!(rule.matches(
            "https://github.com/org/repo/.github/workflows/r.yml@refs/heads/main",
            iss
        ));
        assert!(!rule.matches("https://evil.example/?https://github.com/org/x", iss));
        assert!(!rule.matches(
            "https://github.com/org/x",
            Some("https://accounts.google.com")
        ));
        assert!(!rule.matches("https://github.com/org/x", None));
        assert_eq!(rule.identity.describe(), r"re:https://github\.com/org/.*");
        assert!(Matcher::regex("(").is_err());
    }
}
