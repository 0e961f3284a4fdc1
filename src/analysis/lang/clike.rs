//! A token stream for C-like languages (Go, JavaScript, TypeScript):
//! identifiers, string literals (their raw contents) and punctuation, with
//! comments skipped. Template literals are skipped whole; a `/` where an
//! expression may start begins a regular expression literal (JavaScript),
//! which is skipped too.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Tok<'a> {
    Ident(&'a str),
    Str(&'a str),
    Punct(u8),
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c == b'$' || c >= 0x80
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

/// Whether a `/` after `prev` starts a regular expression (rather than
/// dividing).
fn regex_may_start(prev: Option<&Tok<'_>>) -> bool {
    match prev {
        None => true,
        Some(Tok::Ident(word)) => matches!(
            *word,
            "return"
                | "typeof"
                | "case"
                | "do"
                | "else"
                | "in"
                | "of"
                | "new"
                | "delete"
                | "void"
                | "throw"
                | "instanceof"
                | "yield"
                | "await"
        ),
        Some(Tok::Str(_)) => false,
        Some(Tok::Punct(c)) => !matches!(c, b')' | b']' | b'}'),
    }
}

/// Tokens of `src`; `js` enables template and regular-expression literals.
pub(super) fn lex(src: &str, js: bool) -> Vec<Tok<'_>> {
    let b = src.as_bytes();
    let mut out: Vec<Tok<'_>> = Vec::with_capacity(b.len() / 6);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = b[i + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(b.len(), |p| i + 2 + p + 2);
            }
            b'/' if js && regex_may_start(out.last()) => {
                let mut j = i + 1;
                let mut class = false;
                while j < b.len() && b[j] != b'\n' {
                    match b[j] {
                        b'\\' => j += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        b'/' if !class => break,
                        _ => {}
                    }
                    j += 1;
                }
                i = (j + 1).min(b.len());
                // A regular expression is a value: what follows divides.
                out.push(Tok::Punct(b')'));
            }
            b'"' | b'\'' => {
                // Strings end at their quote, or (unterminated) at the line.
                let mut j = i + 1;
                while j < b.len() && b[j] != c && b[j] != b'\n' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(b.len());
                out.push(Tok::Str(&src[i + 1..end]));
                i = end + 1;
            }
            b'`' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'`' {
                    j += if js && b[j] == b'\\' { 2 } else { 1 };
                }
                let end = j.min(b.len());
                // Go's raw strings are import paths too; JavaScript's
                // templates are values.
                out.push(if js {
                    Tok::Punct(b')')
                } else {
                    Tok::Str(&src[i + 1..end])
                });
                i = end + 1;
            }
            c if is_ident_start(c) => {
                let mut j = i + 1;
                while j < b.len() && is_ident(b[j]) {
                    j += 1;
                }
                out.push(Tok::Ident(&src[i..j]));
                i = j;
            }
            b'0'..=b'9' => {
                while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                    i += 1;
                }
                out.push(Tok::Punct(b')'));
            }
            _ => {
                out.push(Tok::Punct(c));
                i += 1;
            }
        }
    }
    out
}
