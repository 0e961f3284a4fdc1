//! Size: a rough small/medium/large from text length and definition-of-done
//! lines. The exact rule is documented on [`Limits`].

use super::{Limits, Size};

pub(super) fn estimate(body: &str, spec: &str, limits: &Limits) -> Size {
    let chars = body.chars().count() + spec.chars().count();
    let dod = dod_lines(body, spec);
    if chars >= limits.size_large_min_chars || dod >= limits.size_large_min_dod {
        Size::Large
    } else if chars <= limits.size_small_max_chars && dod <= limits.size_small_max_dod {
        Size::Small
    } else {
        Size::Medium
    }
}

/// Checklist items anywhere, list items under a DoD heading in the body,
/// and every list item in the spec. Fenced code blocks are skipped.
pub(super) fn dod_lines(body: &str, spec: &str) -> usize {
    let mut count = 0;
    let mut in_dod = false;
    for line in prose_lines(body) {
        match list_item(line) {
            Some(item) if in_dod || is_checkbox(item) => count += 1,
            Some(_) => {}
            None => {
                if let Some(is_dod) = heading(line) {
                    in_dod = is_dod;
                }
            }
        }
    }
    count
        + prose_lines(spec)
            .filter(|line| list_item(line).is_some())
            .count()
}

/// Lines outside fenced code blocks.
fn prose_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut fenced = false;
    text.lines().filter(move |line| {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            return false;
        }
        !fenced
    })
}

/// The text after a `-`, `*`, `+`, `1.` or `1)` list marker.
fn list_item(line: &str) -> Option<&str> {
    let t = line.trim_start();
    if let Some(rest) = t.strip_prefix(['-', '*', '+']) {
        return rest.strip_prefix(' ');
    }
    let rest = t.trim_start_matches(|c: char| c.is_ascii_digit());
    if rest.len() == t.len() {
        return None;
    }
    rest.strip_prefix(['.', ')'])?.strip_prefix(' ')
}

fn is_checkbox(item: &str) -> bool {
    ["[ ]", "[x]", "[X]"].iter().any(|b| item.starts_with(b))
}

/// Whether `line` starts a section (`## Foo`, `Foo:`, `**Foo**`, or a short
/// line that reads like a DoD title), and if so whether it is a DoD section.
fn heading(line: &str) -> Option<bool> {
    let t = line.trim();
    if let Some(rest) = t.strip_prefix('#') {
        return Some(is_dod_title(rest));
    }
    let short = t.chars().count() <= 60;
    let labelled = t.ends_with(':') || (t.len() > 4 && t.starts_with("**") && t.ends_with("**"));
    (short && (labelled || is_dod_title(t))).then(|| is_dod_title(t))
}

/// "Acceptance criteria", "Definition of Done (quality gates)", "DoD".
fn is_dod_title(text: &str) -> bool {
    let t = text
        .trim_start_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    t.starts_with("acceptance")
        || t.starts_with("definition of done")
        || t.split(|c: char| !c.is_alphanumeric()).next() == Some("dod")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_dod_lines() {
        let cases: &[(&str, &str, usize)] = &[
            ("", "", 0),
            ("Plain prose.\n- a bullet outside any DoD section", "", 0),
            (
                "- [ ] one\n- [x] two\n* [X] three\n1. [ ] four\n-[ ] not a list item",
                "",
                4,
            ),
            (
                "## Acceptance Criteria\n- a\n- b\n\n  - nested\n1. c\n2) d\n## Notes\n- not counted",
                "",
                5,
            ),
            (
                "**Acceptance Criteria:**\n- a\n- b\nFiles to remove:\n- x.go",
                "",
                2,
            ),
            (
                "Acceptance criteria\n- Zero direct Tokio imports\n- contracts intact",
                "",
                2,
            ),
            (
                "### Definition of Done (quality gates)\n- fmt\n- clippy\n- tests",
                "",
                3,
            ),
            ("DoD:\n+ shipped\n+ documented", "", 2),
            // A long line that merely starts with the word is not a heading.
            (
                "Acceptance of this change depends on the other team finishing their part first.\n- x",
                "",
                0,
            ),
            ("## Acceptance\n```\n- inside a fence\n```\n- after", "", 1),
            (
                "",
                "1) MeshNode enforces\n2) Deterministic routing\nprose\n- bullet\n- [ ] box",
                4,
            ),
            ("- [ ] same line counted once", "- [ ] and once here", 2),
            ("**Tasks**:\n- Create `internal/merge/`\n- Copy code", "", 0),
            ("---\n- a", "", 0),
        ];
        for (body, spec, want) in cases {
            assert_eq!(dod_lines(body, spec), *want, "{body:?} / {spec:?}");
        }
    }

    #[test]
    fn test_estimate() {
        let limits = Limits::default();
        let checklist = |n: usize| "- [ ] item\n".repeat(n);
        let cases: &[(String, String, Size)] = &[
            (String::new(), String::new(), Size::Small),
            ("x".repeat(400), String::new(), Size::Small),
            ("x".repeat(401), String::new(), Size::Medium),
            ("x".repeat(300), "y".repeat(101), Size::Medium),
            ("x".repeat(1999), String::new(), Size::Medium),
            ("x".repeat(1000), "y".repeat(1000), Size::Large),
            // Characters, not bytes.
            ("é".repeat(400), String::new(), Size::Small),
            (checklist(2), String::new(), Size::Small),
            (checklist(3), String::new(), Size::Medium),
            (checklist(7), String::new(), Size::Medium),
            (checklist(8), String::new(), Size::Large),
            (String::new(), "1. a\n2. b\n3. c".to_string(), Size::Medium),
        ];
        for (body, spec, want) in cases {
            assert_eq!(
                estimate(body, spec, &limits),
                *want,
                "{} + {} chars",
                body.len(),
                spec.len()
            );
        }
    }

    #[test]
    fn test_estimate_uses_limits() {
        let limits = Limits {
            size_small_max_chars: 10,
            size_large_min_chars: 20,
            ..Limits::default()
        };
        assert_eq!(estimate("0123456789", "", &limits), Size::Small);
        assert_eq!(estimate("0123456789a", "", &limits), Size::Medium);
        assert_eq!(estimate("01234567890123456789", "", &limits), Size::Large);
        // Large wins when thresholds overlap.
        let odd = Limits {
            size_small_max_chars: 100,
            size_large_min_chars: 5,
            ..Limits::default()
        };
        assert_eq!(estimate("0123456789", "", &odd), Size::Large);
    }
}
