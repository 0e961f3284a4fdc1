//! JavaScript and TypeScript: the relative specifiers (`./x`, `../y`) of
//! `import … from "s"`, `import "s"`, `export … from "s"`, `import("s")`
//! and `require("s")` (comments, templates and regular expressions
//! skipped). Bare package names (`react`, `@scope/pkg`) are dropped:
//! they live outside the repository.

use super::clike::{Tok, lex};

/// Whether a specifier names a file of the repository.
fn relative(spec: &str) -> bool {
    spec == "." || spec == ".." || spec.starts_with("./") || spec.starts_with("../")
}

/// Every relative specifier of a JS/TS source file, sorted, each once.
pub fn parse(src: &str) -> Vec<String> {
    let toks = lex(src, true);
    let mut out = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        let spec = match (t, toks.get(i + 1), toks.get(i + 2)) {
            (Tok::Ident("from" | "import"), Some(Tok::Str(s)), _) => s,
            (Tok::Ident("import" | "require"), Some(Tok::Punct(b'(')), Some(Tok::Str(s))) => s,
            _ => continue,
        };
        // `x.from "a"` cannot happen; `obj.require("x")` is someone
        // else's `require`.
        if i > 0 && toks[i - 1] == Tok::Punct(b'.') {
            continue;
        }
        if relative(spec) {
            out.push(spec.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_table() {
        let table: &[(&str, &[&str])] = &[
            ("import x from './a';", &["./a"]),
            (
                "import { a, b as c } from \"../lib/b.js\";",
                &["../lib/b.js"],
            ),
            ("import type { T } from './types'", &["./types"]),
            (
                "import * as ns from './ns'\nimport './side-effect.css'",
                &["./ns", "./side-effect.css"],
            ),
            (
                "export { x } from './re';\nexport * from \"./all\";",
                &["./all", "./re"],
            ),
            ("const m = await import('./lazy');", &["./lazy"]),
            (
                "const a = require('./cjs'); const b = require(\"../up\")",
                &["../up", "./cjs"],
            ),
            ("import foo = require('./ts-cjs');", &["./ts-cjs"]),
            (
                "import React from 'react'; import x from '@scope/pkg';",
                &[],
            ),
            ("import idx from '.'; import up from '..';", &[".", ".."]),
            // Multi-line imports.
            ("import {\n  a,\n  b,\n} from\n  './multi';", &["./multi"]),
            // Comments, templates, regular expressions and other calls.
            ("// import a from './c1'\n/* require('./c2') */", &[]),
            ("const t = `import x from './t'`;", &[]),
            (
                "const r = /'/; import ok from './after-regex';",
                &["./after-regex"],
            ),
            (
                "const q = a / b / c; import d from './after-div';",
                &["./after-div"],
            ),
            ("module.require('./not-ours'); obj.import('./nope');", &[]),
            (
                "const s = 'it\\'s'; import e from './after-escape';",
                &["./after-escape"],
            ),
        ];
        for (src, want) in table {
            assert_eq!(parse(src), *want, "{src}");
        }
        for garbage in ["import", "require(", "'", "`", "/", "/*", "import(\""] {
            let _ = parse(garbage);
        }
    }
}
