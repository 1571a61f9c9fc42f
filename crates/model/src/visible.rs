//! Characters that change how text around them is shown without showing themselves: control
//! characters (C0 but tab and line feed, DEL, C1), bidirectional overrides and isolates (the
//! "Trojan Source" characters, which can make a tag reorder the digest printed after it),
//! zero-width characters and line separators. Formats that people read (HTML, JUnit XML as CI
//! systems show it) write them as the visible text `\u{N}` (hex), the form JUnit already uses
//! for what XML cannot carry, and so does CSV, whose records must stay one line each (see
//! [`super::csv::one_line`]). `report.json` and SARIF keep the exact strings: they are data,
//! escaped by their own syntax.

use std::borrow::Cow;

/// Whether `c` is shown as `\u{N}` in the human-readable formats.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{61c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// `s` with every [`is_hidden`] character written as `\u{N}`.
pub fn visible(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_hidden) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_hidden(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `s` as one word of a log line: [`visible`], and whitespace (the space, tab, line feed and
/// Unicode spaces) written as `\u{N}` too. A tag holding `\nsigaudit: fail-on untrusted: not
/// met`, or a repository folder named with spaces, then can neither forge a summary line nor
/// shift the fields a grep or `awk` reads.
pub fn word(s: &str) -> Cow<'_, str> {
    let shown = |c: char| is_hidden(c) || c.is_whitespace();
    if !s.chars().any(shown) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if shown(c) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_nothing_ordinary_and_shows_the_rest() {
        assert!(matches!(visible("v1.2 <b> \t\n é 🦀"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\u{202e}b\u{0}\u{1b}[31m\r\u{85}"),
            "a\\u{202e}b\\u{0}\\u{1b}[31m\\u{d}\\u{85}"
        );
    }

    #[test]
    fn a_word_has_no_whitespace_either() {
        assert!(matches!(word("prod/api:v1.2-é🦀"), Cow::Borrowed(_)));
        assert_eq!(
            word("a b\tc\nsigaudit: x\u{a0}\u{202e}"),
            "a\\u{20}b\\u{9}c\\u{a}sigaudit:\\u{20}x\\u{a0}\\u{202e}"
        );
    }
}
