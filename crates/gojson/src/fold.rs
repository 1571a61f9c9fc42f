//! Go's key folding (`encoding/json` `foldName`, Go 1.21+): ASCII letters upper-cased, every
//! other rune replaced by the smallest rune of its `unicode.SimpleFold` orbit. Rust's
//! `to_lowercase`/`to_uppercase` are full case mappings and differ from it (ß/ẞ, the Kelvin
//! sign, Ω/Ohm, Greek final sigma...), hence the table generated from CaseFolding.txt.

use super::fold_table::FOLD;

/// The smallest rune of `c`'s simple case folding orbit (`c` itself when it folds to nothing).
pub fn fold_rune(c: char) -> char {
    let r = c as u32;
    match FOLD.binary_search_by_key(&r, |&(from, _)| from) {
        Ok(i) => char::from_u32(FOLD[i].1).unwrap_or(c),
        Err(_) => c,
    }
}

/// `key` folded as Go folds object keys and struct field names before comparing them.
pub fn fold_name(key: &str) -> String {
    key.chars().map(fold_rune).collect()
}

/// Whether Go's `encoding/json` would decode key `a` into a struct field named `b`.
pub fn same_field(a: &str, b: &str) -> bool {
    a == b || (a.chars().count() == b.chars().count() && fold_name(a) == fold_name(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_is_sorted_and_maps_each_rune_to_the_fixed_point_of_its_orbit() {
        assert!(FOLD.windows(2).all(|w| w[0].0 < w[1].0));
        for &(from, to) in FOLD {
            assert!(to < from, "{from:x} -> {to:x}");
            let to = char::from_u32(to).expect("a rune");
            assert_eq!(fold_rune(to), to, "{to:?} is its orbit's smallest");
        }
    }

    #[test]
    fn folds_like_go_on_the_known_edge_cases() {
        assert_eq!(
            fold_name("docker-manifeſt-digest"),
            "DOCKER-MANIFEST-DIGEST"
        );
        assert_eq!(fold_name("doc\u{212A}er"), "DOCKER");
        assert_eq!(fold_name("TargetArtifact"), fold_name("targetArtifact"));
        // ß and ẞ share an orbit; neither folds to "ss" (that is full folding).
        assert_eq!(fold_rune('ẞ'), 'ß');
        assert_ne!(fold_name("ß"), fold_name("ss"));
        // Ohm sign, omega; Greek final sigma; dotless and dotted i stay apart from i.
        assert_eq!(fold_rune('\u{2126}'), 'Ω');
        assert_eq!(fold_rune('ς'), 'Σ');
        assert_eq!(fold_rune('ı'), 'ı');
        assert_eq!(fold_rune('İ'), 'İ');
        assert!(same_field("Critical", "critical"));
        assert!(!same_field("critical", "criticals"));
    }
}
