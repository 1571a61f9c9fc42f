//! Characters that change how text around them is shown without showing themselves: control
//! characters (C0 but tab and line feed, DEL, C1), bidirectional overrides and isolates (the
//! "Trojan Source" characters, which can make a tag reorder the digest printed after it),
//! zero-width characters and line separators. Formats that people read (HTML, JUnit XML as CI
//! systems show it) write them as the visible text `\u{N}` (hex), the form JUnit already uses
//! for what XML cannot carry. `report.json`, SARIF and CSV keep the exact strings: they are data,
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
}
