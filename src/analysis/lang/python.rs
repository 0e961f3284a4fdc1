//! Python: `import a.b, c as d` and `from [.]*a.b import x, (y as z)`
//! statements (at any indentation, also after `;`), from the file's tokens
//! (comments and strings, docstrings included, skipped; bracketed and
//! backslash-continued lines joined). An import inside a one-line compound
//! statement (`if x: import y`) is not seen.

use serde::{Deserialize, Serialize};

/// One `import` or `from … import` target.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Import {
    /// Leading dots of a relative import (`from ..a import b`: 2); 0 for
    /// an absolute one.
    pub level: u8,
    /// The dotted module (`a.b`); empty in `from . import x`.
    pub module: String,
    /// What `from … import` names (maybe submodules); empty for `import
    /// a.b` and `from a import *`.
    pub names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok<'a> {
    Ident(&'a str),
    Punct(u8),
    /// The end of a logical line.
    End,
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// The end of the string whose opening quote is at `i`.
fn skip_string(b: &[u8], i: usize) -> usize {
    let q = b[i];
    if b.get(i + 1) == Some(&q) && b.get(i + 2) == Some(&q) {
        let mut j = i + 3;
        while j < b.len() {
            if b[j] == b'\\' {
                j += 2;
            } else if b[j] == q && b.get(j + 1) == Some(&q) && b.get(j + 2) == Some(&q) {
                return j + 3;
            } else {
                j += 1;
            }
        }
        return b.len();
    }
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            b'\\' => j += 2,
            // Unterminated: the line ends it.
            b'\n' => return j,
            c if c == q => return j + 1,
            _ => j += 1,
        }
    }
    b.len()
}

fn lex(src: &str) -> Vec<Tok<'_>> {
    let b = src.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 6);
    let mut depth = 0usize;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\n' => {
                if depth == 0 && out.last().is_some_and(|t| *t != Tok::End) {
                    out.push(Tok::End);
                }
                i += 1;
            }
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'\\' if b.get(i + 1) == Some(&b'\r') && b.get(i + 2) == Some(&b'\n') => i += 3,
            b'#' => {
                i = b[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(b.len(), |p| i + p);
            }
            b'"' | b'\'' => i = skip_string(b, i),
            c if is_ident_start(c) => {
                let mut j = i + 1;
                while j < b.len() && is_ident(b[j]) {
                    j += 1;
                }
                let word = &src[i..j];
                if word.len() <= 2
                    && word.bytes().all(|c| b"rRbBuUfF".contains(&c))
                    && matches!(b.get(j), Some(b'"' | b'\''))
                {
                    i = skip_string(b, j);
                } else {
                    out.push(Tok::Ident(word));
                    i = j;
                }
            }
            b'0'..=b'9' => {
                while i < b.len() && (is_ident(b[i]) || b[i] == b'.') {
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                out.push(Tok::Punct(c));
                i += 1;
            }
            b')' | b']' | b'}' => {
                depth = depth.saturating_sub(1);
                out.push(Tok::Punct(c));
                i += 1;
            }
            b';' => {
                out.push(Tok::End);
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => i += 1,
            _ => {
                out.push(Tok::Punct(c));
                i += 1;
            }
        }
    }
    out
}

/// `a.b.c` at `i`: the name and where it ends.
fn dotted(toks: &[Tok<'_>], mut i: usize) -> (String, usize) {
    let mut name = String::new();
    while let Some(&Tok::Ident(s)) = toks.get(i) {
        if s == "import" {
            break;
        }
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(s);
        i += 1;
        if toks.get(i) == Some(&Tok::Punct(b'.')) && matches!(toks.get(i + 1), Some(Tok::Ident(_)))
        {
            i += 1;
        } else {
            break;
        }
    }
    (name, i)
}

fn statement(toks: &[Tok<'_>], out: &mut Vec<Import>) {
    match toks.first() {
        Some(Tok::Ident("import")) => {
            let mut i = 1;
            loop {
                let (module, next) = dotted(toks, i);
                if module.is_empty() {
                    return;
                }
                out.push(Import {
                    level: 0,
                    module,
                    names: Vec::new(),
                });
                i = next;
                if toks.get(i) == Some(&Tok::Ident("as")) {
                    i += 2;
                }
                if toks.get(i) != Some(&Tok::Punct(b',')) {
                    return;
                }
                i += 1;
            }
        }
        Some(Tok::Ident("from")) => {
            let mut i = 1;
            let mut level = 0u8;
            while toks.get(i) == Some(&Tok::Punct(b'.')) {
                level = level.saturating_add(1);
                i += 1;
            }
            let (module, next) = dotted(toks, i);
            i = next;
            if toks.get(i) != Some(&Tok::Ident("import")) || (level == 0 && module.is_empty()) {
                return;
            }
            i += 1;
            let mut names = Vec::new();
            while i < toks.len() {
                if let Tok::Ident(name) = toks[i] {
                    names.push(name.to_string());
                    // `x as y`: the name imported is `x`.
                    if toks.get(i + 1) == Some(&Tok::Ident("as")) {
                        i += 2;
                    }
                }
                i += 1;
            }
            out.push(Import {
                level,
                module,
                names,
            });
        }
        _ => {}
    }
}

/// Every import of a Python source file, sorted, each once.
pub fn parse(src: &str) -> Vec<Import> {
    let toks = lex(src);
    let mut out = Vec::new();
    for stmt in toks.split(|t| *t == Tok::End) {
        statement(stmt, &mut out);
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(src: &str) -> Vec<String> {
        parse(src)
            .into_iter()
            .map(|i| {
                let dots = ".".repeat(i.level as usize);
                if i.names.is_empty() && i.level == 0 {
                    i.module.clone()
                } else {
                    format!("{dots}{}:{}", i.module, i.names.join(","))
                }
            })
            .collect()
    }

    #[test]
    fn imports_table() {
        let table: &[(&str, &[&str])] = &[
            ("import os\n", &["os"]),
            ("import a.b.c as d, e\n", &["a.b.c", "e"]),
            ("from a.b import c, d as e\n", &["a.b:c,d"]),
            ("from . import x\n", &[".:x"]),
            (
                "from ..pkg.mod import (\n    a,\n    b as c,\n)\n",
                &["..pkg.mod:a,b"],
            ),
            ("from .m import *\n", &[".m:"]),
            ("from a import b \\\n    , c\n", &["a:b,c"]),
            (
                "def f():\n    import inner\n    x = 1; import semi\n",
                &["inner", "semi"],
            ),
            (
                "try:\n    import fast\nexcept ImportError:\n    import slow\n",
                &["fast", "slow"],
            ),
            // Comments and strings (docstrings too) are not code.
            ("# import a\nx = 'import b'\n", &[]),
            (
                "\"\"\"\nimport doc\nfrom x import y\n\"\"\"\nimport real\n",
                &["real"],
            ),
            (
                "s = r'''\nimport raw\n'''\nt = f\"import {x}\"\nimport after\n",
                &["after"],
            ),
            ("s = 'unterminated\nimport next_line\n", &["next_line"]),
            // Not imports.
            (
                "importlib.import_module('x')\nfrom_ = 1\nx.import_ = 2\n",
                &[],
            ),
            ("print(a, import_)\n", &[]),
            ("from import x\n", &[]),
        ];
        for (src, want) in table {
            assert_eq!(show(src), *want, "{src}");
        }
    }

    #[test]
    fn garbage_does_not_panic() {
        for src in [
            "from",
            "from .",
            "import",
            "import .",
            "'''",
            "\"",
            "\\",
            "from a import (",
            "((((",
        ] {
            let _ = parse(src);
        }
    }
}
