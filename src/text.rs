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
    let mut out = Vec::new();
    each_word(text, |w| out.push(w.to_string()));
    out
}

/// [`words`] without an allocation per word.
pub fn each_word(text: &str, mut f: impl FnMut(&str)) {
    let mut spaced = String::with_capacity(text.len() + 8);
    let mut prev_lower = false;
    for c in text.chars() {
        if c.is_uppercase() && prev_lower {
            spaced.push(' ');
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        if c.is_ascii() {
            spaced.push(c.to_ascii_lowercase());
        } else {
            spaced.extend(c.to_lowercase());
        }
    }
    spaced
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| (w.len() >= 3 && w.chars().nth(2).is_some()) && !STOP_WORDS.contains(w))
        .for_each(&mut f);
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
