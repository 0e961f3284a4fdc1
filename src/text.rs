//! Words of free text, for the two places that compare beads by their
//! text: `similar` conflict edges (titles) and targets borrowed from
//! similar beads (titles and descriptions).

const STOP_WORDS: [&str; 14] = [
    "the", "and", "for", "with", "from", "into", "when", "not", "should", "add", "fix", "use",
    "via", "are",
];

/// The words of `text` in order, repeats kept: camelCase split,
/// lower-cased, at least 3 letters, common English glue words left out.
pub fn words(text: &str) -> Vec<String> {
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        spaced.push(c);
    }
    spaced
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3 && !STOP_WORDS.contains(w))
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_split_camel_case_and_drop_glue() {
        assert_eq!(
            super::words("Fix the parseConfig crash with YAML v2"),
            ["parse", "config", "crash", "yaml"]
        );
    }
}
