//! Go: the import paths of `import "p"`, `import name "p"` and `import (
//! … )` blocks (comments skipped), and the `module` line of `go.mod`.

use super::clike::{Tok, lex};

/// Every import path of a Go source file, sorted, each once.
pub fn parse(src: &str) -> Vec<String> {
    let toks = lex(src, false);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if toks[i] != Tok::Ident("import") {
            i += 1;
            continue;
        }
        i += 1;
        if toks.get(i) == Some(&Tok::Punct(b'(')) {
            i += 1;
            while i < toks.len() && toks[i] != Tok::Punct(b')') {
                if let Tok::Str(path) = toks[i] {
                    out.push(path.to_string());
                }
                i += 1;
            }
        } else {
            // An optional name (`.`, `_` or an identifier), then the path.
            if matches!(toks.get(i), Some(Tok::Ident(_) | Tok::Punct(b'.'))) {
                i += 1;
            }
            if let Some(Tok::Str(path)) = toks.get(i) {
                out.push(path.to_string());
            }
        }
        i += 1;
    }
    out.retain(|p| !p.is_empty());
    out.sort();
    out.dedup();
    out
}

/// The module path a `go.mod` declares.
pub fn module(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|line| {
        let line = line.split("//").next().unwrap_or("").trim();
        let rest = line.strip_prefix("module")?;
        if !rest.starts_with([' ', '\t', '"']) {
            return None;
        }
        let path = rest.trim().trim_matches(|c| c == '"' || c == '`');
        (!path.is_empty()).then(|| path.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_table() {
        let table: &[(&str, &[&str])] = &[
            ("package a\nimport \"fmt\"\n", &["fmt"]),
            (
                "import f \"fmt\"\nimport . \"x/y\"\nimport _ \"z\"\n",
                &["fmt", "x/y", "z"],
            ),
            (
                "import (\n\t\"fmt\"\n\tstr \"strings\" // why\n\t_ \"example.com/m/internal/db\"\n)\n",
                &["example.com/m/internal/db", "fmt", "strings"],
            ),
            ("import `raw/path`\n", &["raw/path"]),
            // Comments and other strings are not imports.
            (
                "// import \"a\"\n/* import \"b\" */\nvar s = \"import c\"\n",
                &[],
            ),
            ("import (\n// \"gone\"\n\"kept\"\n)\n", &["kept"]),
        ];
        for (src, want) in table {
            assert_eq!(parse(src), *want, "{src}");
        }
        for garbage in ["import", "import (", "import (\"a\"", "\"", "/*", "`"] {
            let _ = parse(garbage);
        }
    }

    #[test]
    fn module_line() {
        assert_eq!(
            module("// c\nmodule example.com/m // x\n\ngo 1.22\n").as_deref(),
            Some("example.com/m")
        );
        assert_eq!(module("module \"quoted/m\"\n").as_deref(), Some("quoted/m"));
        assert_eq!(module("modules x\ngo 1.2\n"), None);
        assert_eq!(module(""), None);
    }
}
