//! Path globs, as `sigaudit.toml` writes repository, tag and identity patterns: `*` matches
//! any characters but `/`, `?` one character but `/`, `**` (a whole segment) any characters
//! including `/`, and `**/` also no segment at all.

/// A path glob: `*` matches any characters but `/`, `?` one character but `/`, `**` (a whole
/// segment) any characters including `/`; `**/` also matches no segment at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    text: String,
    tokens: Vec<Token>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    /// `*`
    Segment,
    /// `?`
    One,
    /// `**` at the end or alone: anything.
    All,
    /// `**/`: nothing, or anything ending in `/`.
    Dirs,
}

/// Why a glob is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum GlobError {
    #[error("empty pattern")]
    Empty,
    #[error("invalid pattern {0:?}: `**` must be a whole path segment (`prod/**`, `**/app`)")]
    DoubleStar(String),
}

impl Glob {
    pub fn new(pattern: &str) -> Result<Self, GlobError> {
        if pattern.is_empty() {
            return Err(GlobError::Empty);
        }
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' if chars.get(i + 1) == Some(&'*') => {
                    let starts_segment = i == 0 || chars[i - 1] == '/';
                    let next = chars.get(i + 2);
                    if !starts_segment || next.is_some_and(|c| *c != '/') {
                        return Err(GlobError::DoubleStar(pattern.into()));
                    }
                    if next.is_some() {
                        tokens.push(Token::Dirs);
                        i += 3;
                    } else {
                        tokens.push(Token::All);
                        i += 2;
                    }
                }
                '*' => {
                    tokens.push(Token::Segment);
                    i += 1;
                }
                '?' => {
                    tokens.push(Token::One);
                    i += 1;
                }
                c => {
                    tokens.push(Token::Char(c));
                    i += 1;
                }
            }
        }
        Ok(Glob {
            text: pattern.into(),
            tokens,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn matches(&self, s: &str) -> bool {
        let s: Vec<char> = s.chars().collect();
        // ok[j]: the tokens so far can match s[..j].
        let mut ok = vec![false; s.len() + 1];
        ok[0] = true;
        for t in &self.tokens {
            let mut next = vec![false; s.len() + 1];
            for j in 0..=s.len() {
                if !ok[j] {
                    continue;
                }
                match t {
                    Token::Char(c) => {
                        if s.get(j) == Some(c) {
                            next[j + 1] = true;
                        }
                    }
                    Token::One => {
                        if s.get(j).is_some_and(|c| *c != '/') {
                            next[j + 1] = true;
                        }
                    }
                    Token::Segment => {
                        next[j] = true;
                        for k in j..s.len() {
                            if s[k] == '/' {
                                break;
                            }
                            next[k + 1] = true;
                        }
                    }
                    Token::All => {
                        for n in next.iter_mut().skip(j) {
                            *n = true;
                        }
                    }
                    Token::Dirs => {
                        next[j] = true;
                        for k in j..s.len() {
                            if s[k] == '/' {
                                next[k + 1] = true;
                            }
                        }
                    }
                }
            }
            ok = next;
        }
        ok[s.len()]
    }
}

#[cfg(test)]
mod tests {
    use super::Glob;

    #[test]
    fn glob_semantics() {
        let m = |p: &str, s: &str| Glob::new(p).unwrap().matches(s);
        assert!(m("prod/**", "prod/api"));
        assert!(m("prod/**", "prod/a/b"));
        assert!(!m("prod/**", "production/api"));
        assert!(!m("prod/**", "prod"));
        assert!(m("prod/*", "prod/api"));
        assert!(!m("prod/*", "prod/a/b"), "* does not cross /");
        assert!(m("*", "alpine"));
        assert!(!m("*", "library/alpine"));
        assert!(m("**", "library/alpine"));
        assert!(m("**", "x"));
        assert!(m("**/app", "app"));
        assert!(m("**/app", "team/app"));
        assert!(m("**/app", "a/b/app"));
        assert!(!m("**/app", "team/webapp"));
        assert!(m("team/*/x", "team/a/x"));
        assert!(!m("team/*/x", "team/a/b/x"));
        assert!(m("v?.*", "v1.2"));
        assert!(!m("v?", "v/"));
        assert!(m("v*", "v"));
        assert!(m("lib*/alp*e", "library/alpine"));
        assert!(Glob::new("prod/***").is_err());
        assert!(Glob::new("a**").is_err());
        assert!(Glob::new("**b").is_err());
        assert!(Glob::new("").is_err());
    }
}
