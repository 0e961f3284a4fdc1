//! Rust: what a file refers to, from its tokens (comments, strings and
//! character literals skipped):
//!
//! - `mod name;`: the child module's file;
//! - every path of a `use` declaration (`use crate::a::{b, c::d as e};`
//!   gives `crate::a::b` and `crate::a::c::d`; a glob `a::*` gives `a`);
//! - a path starting with `crate::`, `super::` or `self::` anywhere else
//!   (`crate::store::load(x)`).
//!
//! Each reference remembers the inline modules around it (`mod tests {
//! use super::*; }`), so `super` means what it means there. Attributes
//! such as `#[path = "…"]` and macros' own paths are not interpreted.

use serde::{Deserialize, Serialize};

/// One reference of a Rust file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Ref {
    /// Inline modules around the reference, outermost first.
    pub inline: Vec<String>,
    /// `mod name;` (then `path` is `[name]`), rather than a path.
    pub decl: bool,
    /// The path's segments; `"::"` first for a global path (`::serde::X`).
    pub path: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    /// `::`
    Colons,
    Punct(u8),
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// End of a `"…"` string whose opening quote is before `i`.
fn skip_string(b: &[u8], mut i: usize) -> usize {
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// At `i`: `r"…"`, `r#"…"#`, ... (`i` at the `r`): the end, if it is one.
fn skip_raw_string(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    while b.get(j) == Some(&b'#') {
        j += 1;
    }
    if b.get(j) != Some(&b'"') {
        return None;
    }
    let hashes = j - i - 1;
    let mut k = j + 1;
    while k < b.len() {
        if b[k] == b'"'
            && b[k + 1..]
                .iter()
                .take(hashes)
                .filter(|&&c| c == b'#')
                .count()
                == hashes
        {
            return Some(k + 1 + hashes);
        }
        k += 1;
    }
    Some(b.len())
}

/// Bytes in the UTF-8 character starting with `c`.
fn utf8_len(c: u8) -> usize {
    match c {
        0xf0.. => 4,
        0xe0.. => 3,
        0xc0.. => 2,
        _ => 1,
    }
}

fn lex(src: &str) -> Vec<Tok<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 6);
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
                // Block comments nest.
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => i = skip_string(b, i + 1),
            b'\'' => {
                // A character literal, or a lifetime / label.
                if b.get(i + 1) == Some(&b'\\') {
                    let from = (i + 3).min(b.len());
                    i = b[from..]
                        .iter()
                        .position(|&c| c == b'\'')
                        .map_or(b.len(), |p| from + p + 1);
                } else if let Some(&next) = b.get(i + 1) {
                    let len = utf8_len(next);
                    if b.get(i + 1 + len) == Some(&b'\'') {
                        i += 2 + len;
                    } else {
                        i += 1;
                    }
                } else {
                    i += 1;
                }
            }
            b':' if b.get(i + 1) == Some(&b':') => {
                out.push(Tok::Colons);
                i += 2;
            }
            c if is_ident_start(c) => {
                // Raw strings, byte and C strings, byte characters, raw
                // identifiers.
                let prefix_end = match (c, b.get(i + 1)) {
                    (b'r', _) => Some(i),
                    (b'b' | b'c', Some(b'r')) => Some(i + 1),
                    _ => None,
                };
                if let Some(r) = prefix_end
                    && let Some(end) = skip_raw_string(b, r)
                {
                    i = end;
                    continue;
                }
                if matches!(c, b'b' | b'c') && b.get(i + 1) == Some(&b'"') {
                    i = skip_string(b, i + 2);
                    continue;
                }
                if c == b'b' && b.get(i + 1) == Some(&b'\'') {
                    i += 1;
                    continue;
                }
                let start = if c == b'r'
                    && b.get(i + 1) == Some(&b'#')
                    && b.get(i + 2).is_some_and(|&c| is_ident_start(c))
                {
                    i + 2
                } else {
                    i
                };
                let mut j = start + 1;
                while j < b.len() && is_ident(b[j]) {
                    j += 1;
                }
                // Byte offsets of ASCII delimiters: always char boundaries.
                out.push(Tok::Ident(&src[start..j]));
                i = j;
            }
            b'0'..=b'9' => {
                while i < b.len() && is_ident(b[i]) {
                    i += 1;
                }
            }
            _ => {
                out.push(Tok::Punct(c));
                i += 1;
            }
        }
    }
    out
}

/// The paths of the use tree starting at `i`, each with `prefix` in
/// front; returns where the tree ends.
fn use_tree(
    toks: &[Tok<'_>],
    mut i: usize,
    prefix: &[String],
    out: &mut Vec<Vec<String>>,
) -> usize {
    let mut path = prefix.to_vec();
    if toks.get(i) == Some(&Tok::Colons) {
        if path.is_empty() {
            path.push("::".into());
        }
        i += 1;
    }
    loop {
        match toks.get(i) {
            Some(Tok::Ident(s)) => {
                path.push((*s).to_string());
                i += 1;
                if toks.get(i) == Some(&Tok::Colons) {
                    i += 1;
                    continue;
                }
                if toks.get(i) == Some(&Tok::Ident("as")) {
                    i += 2;
                }
                if path.len() > 1 && path.last().is_some_and(|s| s == "self") {
                    path.pop();
                }
                out.push(path);
                return i;
            }
            Some(Tok::Punct(b'{')) => {
                i += 1;
                loop {
                    match toks.get(i) {
                        Some(Tok::Punct(b'}')) => return i + 1,
                        Some(Tok::Punct(b',')) => i += 1,
                        None => return i,
                        Some(_) => {
                            let next = use_tree(toks, i, &path, out);
                            if next == i {
                                // Not a tree: skip to the group's end.
                                return toks[i..]
                                    .iter()
                                    .position(|t| *t == Tok::Punct(b'}'))
                                    .map_or(toks.len(), |p| i + p + 1);
                            }
                            i = next;
                        }
                    }
                }
            }
            Some(Tok::Punct(b'*')) => {
                if !path.is_empty() {
                    out.push(path);
                }
                return i + 1;
            }
            _ => return i,
        }
    }
}

/// Every reference of a Rust source file, sorted, each once.
pub fn parse(src: &str) -> Vec<Ref> {
    let toks = lex(src);
    let mut refs = Vec::new();
    let mut depth = 0usize;
    // Inline modules: name and the brace depth inside them.
    let mut inline: Vec<(&str, usize)> = Vec::new();
    let mut pending_mod: Option<&str> = None;
    let names = |inline: &[(&str, usize)]| inline.iter().map(|(n, _)| n.to_string()).collect();
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            Tok::Ident("mod") => {
                if let Some(Tok::Ident(name)) = toks.get(i + 1) {
                    match toks.get(i + 2) {
                        Some(Tok::Punct(b';')) => {
                            refs.push(Ref {
                                inline: names(&inline),
                                decl: true,
                                path: vec![name.to_string()],
                            });
                            i += 3;
                            continue;
                        }
                        Some(Tok::Punct(b'{')) => {
                            pending_mod = Some(name);
                            i += 2;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            Tok::Ident("use") => {
                let mut paths = Vec::new();
                let next = use_tree(&toks, i + 1, &[], &mut paths);
                for path in paths {
                    refs.push(Ref {
                        inline: names(&inline),
                        decl: false,
                        path,
                    });
                }
                i = next.max(i + 1);
                continue;
            }
            Tok::Ident(first @ ("crate" | "super" | "self"))
                if toks.get(i + 1) == Some(&Tok::Colons)
                    && (i == 0 || toks[i - 1] != Tok::Colons) =>
            {
                let mut path = vec![first.to_string()];
                let mut j = i + 1;
                while toks.get(j) == Some(&Tok::Colons) {
                    match toks.get(j + 1) {
                        Some(Tok::Ident(s)) => {
                            path.push(s.to_string());
                            j += 2;
                        }
                        _ => break,
                    }
                }
                refs.push(Ref {
                    inline: names(&inline),
                    decl: false,
                    path,
                });
                i = j;
                continue;
            }
            Tok::Punct(b'{') => {
                depth += 1;
                if let Some(name) = pending_mod.take() {
                    inline.push((name, depth));
                }
            }
            Tok::Punct(b'}') => {
                if inline.last().is_some_and(|&(_, d)| d == depth) {
                    inline.pop();
                }
                depth = depth.saturating_sub(1);
            }
            _ => {}
        }
        pending_mod = None;
        i += 1;
    }
    refs.sort();
    refs.dedup();
    refs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(src: &str) -> Vec<String> {
        parse(src)
            .into_iter()
            .map(|r| {
                let mut s = String::new();
                for m in &r.inline {
                    s.push_str(m);
                    s.push('>');
                }
                if r.decl {
                    s.push_str("mod ");
                }
                s.push_str(&r.path.join("::"));
                s
            })
            .collect()
    }

    #[test]
    fn references_table() {
        let table: &[(&str, &[&str])] = &[
            ("mod a;\npub mod b;\n", &["mod a", "mod b"]),
            ("mod a { fn f() {} }", &[]),
            ("use crate::store::Store;", &["crate::store::Store"]),
            (
                "use crate::{a::b, c::{d, e as f}, self};",
                &["crate", "crate::a::b", "crate::c::d", "crate::c::e"],
            ),
            ("use super::*;", &["super"]),
            ("use super::super::x::Y;", &["super::super::x::Y"]),
            (
                "pub(crate) use self::inner::Thing;",
                &["self::inner::Thing"],
            ),
            ("use std::io::{self, Read};", &["std::io", "std::io::Read"]),
            ("use ::serde::Serialize;", &["::::serde::Serialize"]),
            (
                "fn f() { crate::store::index::load(x); super::g(); }",
                &["crate::store::index::load", "super::g"],
            ),
            (
                "fn f() { let v: Vec<crate::model::Bead> = Vec::new(); }",
                &["crate::model::Bead"],
            ),
            ("pub(crate) fn f() {}", &[]),
            ("pub(in crate::a) fn f() {}", &["crate::a"]),
            // Inline modules scope `super`.
            (
                "mod a;\n#[cfg(test)]\nmod tests {\n    use super::*;\n    mod deep { use super::super::x; }\n}\nuse crate::z;",
                &[
                    "crate::z",
                    "mod a",
                    "tests>super",
                    "tests>deep>super::super::x",
                ],
            ),
            ("mod outer { mod inner; }", &["outer>mod inner"]),
            // Comments and strings are not code.
            (
                "// use crate::a;\n/* mod b; */ /* /* nested */ mod c; */",
                &[],
            ),
            (
                "let s = \"use crate::a; mod b;\"; let r = r#\"mod c; \"use crate::d\"\"#;",
                &[],
            ),
            ("let b = b\"mod x;\"; let c = br##\"use crate::y;\"##;", &[]),
            // Characters and lifetimes.
            (
                "fn f<'a>(x: &'a str) -> char { '\"' } use crate::after_char;",
                &["crate::after_char"],
            ),
            ("let q = '\\''; mod m;", &["mod m"]),
            ("let c = 'é'; use crate::u;", &["crate::u"]),
            ("let b = b'\"'; use crate::v;", &["crate::v"]),
            // Raw identifiers.
            ("use crate::r#type::X;", &["crate::type::X"]),
            (
                "macro_rules! m { () => { $crate::a::f() } }",
                &["crate::a::f"],
            ),
        ];
        for (src, want) in table {
            assert_eq!(paths(src), *want, "{src}");
        }
    }

    #[test]
    fn garbage_does_not_panic_or_hang() {
        for src in [
            "use",
            "use {",
            "use a::{b",
            "use a::{,,}",
            "mod",
            "mod a",
            "'",
            "\"",
            "r#\"",
            "b'",
            "'\\",
            "/*",
            "use crate::{a::{b::{c",
            "}}}} mod a;",
            "use ::;",
            "use a as;",
        ] {
            let _ = parse(src);
        }
    }
}
