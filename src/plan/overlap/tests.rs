use proptest::prelude::*;

use super::*;

/// The reference: globset with `literal_separator(true)` on the
/// normalized glob.
fn reference(p: &Pattern) -> globset::GlobMatcher {
    globset::GlobBuilder::new(p.text())
        .literal_separator(true)
        .build()
        .expect("valid")
        .compile_matcher()
}

fn pat(text: &str) -> Pattern {
    Pattern::new(text).unwrap_or_else(|e| panic!("{e}"))
}

/// A real repository path: relative, non-empty segments, none `.`/`..`.
fn is_valid_path(p: &str) -> bool {
    !p.is_empty()
        && !p.contains('\0')
        && p.split('/').all(|s| !s.is_empty() && s != "." && s != "..")
}

/// A Yes witness is a valid path both globs match (by the reference).
fn check_witness(a: &Pattern, b: &Pattern, o: &Overlap) {
    if let Overlap::Yes { witness: Some(w) } = o {
        assert!(is_valid_path(w), "{a} vs {b}: witness {w:?} is not a path");
        assert!(reference(a).is_match(w), "{a} does not match witness {w:?}");
        assert!(reference(b).is_match(w), "{b} does not match witness {w:?}");
    }
}

#[test]
fn table() {
    // (a, b, overlap?, expected witness when pinned)
    let cases: &[(&str, &str, bool, Option<&str>)] = &[
        // The cases.
        (
            "src/auth/**",
            "src/auth/token.rs",
            true,
            Some("src/auth/token.rs"),
        ),
        ("src/*.rs", "src/a/b.rs", false, None),
        ("**/*.rs", "src/a.rs", true, Some("src/a.rs")),
        ("src/**/foo.rs", "src/foo.rs", true, Some("src/foo.rs")),
        ("src/foo.go", "src/foo.go.bak", false, None),
        ("src/**", "src-other/**", false, None),
        ("{a,b}/c", "b/c", true, Some("b/c")),
        ("src/*.go", "src/*.ts", false, None),
        // `**` against anything.
        (
            "**",
            "anything/at/all.txt",
            true,
            Some("anything/at/all.txt"),
        ),
        ("**", "src/*.rs", true, Some("src/a.rs")),
        ("**", "**/x", true, Some("x")),
        // `a/**` is below a/ only.
        ("a/**", "a", false, None),
        ("src/", "src", false, None),
        ("src/**", "src/*", true, Some("src/a")),
        // Root level.
        ("*.rs", "**/*.rs", true, Some("a.rs")),
        ("**/a", "a", true, Some("a")),
        ("*", "a/b", false, None),
        ("*/*", "a", false, None),
        // Classes, negated classes, `?`.
        ("[ab].rs", "a.rs", true, Some("a.rs")),
        ("[ab].rs", "c.rs", false, None),
        ("[!a].rs", "a.rs", false, None),
        ("[!a].rs", "b.rs", true, Some("b.rs")),
        ("[a-c]", "b", true, Some("b")),
        ("src/[a-c]*.rs", "src/d*.rs", false, None),
        ("src/[!a-c]*.rs", "src/[a-d]x.rs", true, Some("src/dx.rs")),
        // globset's negated class matches `/`.
        ("a[!x]b", "a/b", true, Some("a/b")),
        ("?.rs", "a.rs", true, Some("a.rs")),
        ("?.rs", "ab.rs", false, None),
        ("a/?", "a/bb", false, None),
        // Braces: nested, with `/` inside, several extensions.
        ("{a,{b,c}}/x", "c/x", true, Some("c/x")),
        ("{a,{b,c}}/x", "d/x", false, None),
        ("{a/b,c}/d", "a/b/d", true, Some("a/b/d")),
        ("{a/b,c}/d", "a/d", false, None),
        ("{a/b,c}/d", "*/*/d", true, Some("a/b/d")),
        ("src/*.{rs,go}", "src/*.go", true, Some("src/a.go")),
        ("src/{a,b}.rs", "src/c.rs", false, None),
        ("{src,lib}/*.rs", "lib/**/*.rs", true, Some("lib/a.rs")),
        ("*.{md,txt}", "README.md", true, Some("README.md")),
        // Normalised forms.
        ("./src/x", "src/x", true, Some("src/x")),
        ("src//x", "/src/x", true, Some("src/x")),
        ("src/./x/", "src/x/y", true, Some("src/x/y")),
        ("src/", "src/a.rs", true, Some("src/a.rs")),
        // Segment-wise and product.
        ("src/*/a.rs", "src/**/b.rs", false, None),
        ("src/**/mod.rs", "src/*/lib.rs", false, None),
        (
            "**/test_*.py",
            "tests/test_a.py",
            true,
            Some("tests/test_a.py"),
        ),
        ("**/*.rs", "**/*.go", false, None),
        ("a/*/c", "a/b/*", true, Some("a/b/c")),
        ("a/**/b", "a/b", true, Some("a/b")),
        ("a/**/b/**", "a/x/y", false, None),
        ("a/**/b/**", "a/**/c", true, Some("a/b/c")),
        ("x/**/**/y", "x/y", true, Some("x/y")),
        ("a/b*/c", "a/*b/c", true, Some("a/b/c")),
        (
            "src/**/*_test.go",
            "src/**/*.go",
            true,
            Some("src/_test.go"),
        ),
        ("docs/*.md", "docs/**", true, Some("docs/a.md")),
        ("*/src/*.rs", "crates/*/*.rs", true, Some("crates/src/a.rs")),
        // Only `a///b` matches: no real path.
        ("a/[/]/b", "a/**", false, None),
        ("a/[/]/b", "a/[/]/b", false, None),
        // Identical globs.
        ("src/*.rs", "src/*.rs", true, Some("src/a.rs")),
        ("Cargo.toml", "Cargo.toml", true, Some("Cargo.toml")),
    ];
    assert!(cases.len() >= 30);
    for &(a, b, expected, witness) in cases {
        let (pa, pb) = (pat(a), pat(b));
        for (x, y) in [(&pa, &pb), (&pb, &pa)] {
            let o = overlap(x, y);
            assert_eq!(o.is_yes(), expected, "{x} vs {y}: {o:?}");
            if !expected {
                assert_eq!(o, Overlap::No, "{x} vs {y}");
            }
            check_witness(x, y, &o);
            if let Some(w) = witness {
                assert_eq!(o, Overlap::yes(w), "{x} vs {y}");
            }
            // The exact product agrees with the shortcuts.
            let exact = match (x.walker(), y.walker()) {
                (Some(mut wx), Some(mut wy)) => product(&mut wx, &mut wy, STATE_BUDGET),
                _ => unreachable!(),
            };
            assert_eq!(exact.is_yes(), expected, "product: {x} vs {y}: {exact:?}");
            check_witness(x, y, &exact);
        }
    }
}

#[test]
fn normal_forms() {
    for (text, normal) in [
        ("src/x", "src/x"),
        ("./src/x", "src/x"),
        ("src//x", "src/x"),
        ("/src/x", "src/x"),
        ("  ././src/./x  ", "src/x"),
        ("src/", "src/**"),
        ("src/**/", "src/**"),
        ("//", ""),
        ("{a/./b,c}", "{a/b,c}"),
        ("a[//]b", "a[/]b"),
    ] {
        match normalize_glob(text) {
            Ok(n) => assert_eq!(n, normal, "{text:?}"),
            Err(e) => assert_eq!(normal, "", "{text:?}: {e}"),
        }
    }
    for bad in ["", "./", "/", "../x", "src/../x", "a\\b", "a\0b", "src/["] {
        assert!(Pattern::new(bad).is_err(), "{bad:?}");
    }
    let p = pat("/src//auth/*.rs");
    assert_eq!(p.text(), "src/auth/*.rs");
    assert_eq!(normalize_glob(p.text()).unwrap(), p.text(), "idempotent");
}

#[test]
fn facts_for_an_index() {
    let p = pat("src/auth/*.rs");
    assert_eq!(
        (p.head(), p.tail(), p.prefix()),
        ("src/auth/", ".rs", "src/auth/")
    );
    assert_eq!(p.prefix_segments().collect::<Vec<_>>(), ["src", "auth"]);
    assert!(p.is_anchored() && !p.is_literal());

    let p = pat("src/auth/token.rs");
    assert_eq!(p.prefix(), "src/auth/");
    assert_eq!(p.head(), "src/auth/token.rs");
    assert!(p.is_anchored() && p.is_literal());

    let p = pat("**/x.rs");
    assert_eq!((p.head(), p.tail(), p.prefix()), ("", "x.rs", ""));
    assert!(!p.is_anchored());
    assert_eq!(p.prefix_segments().count(), 0);

    let p = pat("src/a{b,c}d");
    assert_eq!((p.head(), p.tail(), p.prefix()), ("src/a", "d", "src/"));
}

#[test]
fn depth_bounds() {
    for (text, simple, min, max) in [
        ("a/b", true, 2, Some(2)),
        ("a/**", true, 2, None),
        ("**", true, 1, None),
        ("**/a", true, 1, None),
        ("a/**/b", true, 2, None),
        ("a/*/[ab]", true, 3, Some(3)),
        ("a/[!b]", false, 0, None),
        ("a/[.-0]", false, 0, None),
        ("a/[!/]", false, 0, None),
        ("a/[ab-]", true, 2, Some(2)),
        ("{a/b,c}", false, 0, None),
    ] {
        let p = pat(text);
        assert_eq!(
            (p.simple, p.min_depth, p.max_depth),
            (simple, min, max),
            "{text}"
        );
    }
}

#[test]
fn budget_exhausted_is_maybe_never_no() {
    let (a, b) = (pat("src/**/*.rs"), pat("src/*/x/**"));
    let (mut wa, mut wb) = (a.walker().unwrap(), b.walker().unwrap());
    assert_eq!(product(&mut wa, &mut wb, 1), Overlap::Maybe);
    let (c, d) = (pat("src/**/*.rs"), pat("src/**/*.go"));
    let (mut wc, mut wd) = (c.walker().unwrap(), d.walker().unwrap());
    assert_eq!(product(&mut wc, &mut wd, 2), Overlap::Maybe);
    assert_eq!(product(&mut wc, &mut wd, STATE_BUDGET), Overlap::No);
}

#[test]
fn maybe_is_settled_by_tracked_files_only_towards_yes() {
    let tracked = TrackedPaths::new(
        [
            "src/b.go",
            "src/a/x.rs",
            "docs/a.md",
            "src/a/x.rs",
            "src/ab/y.rs",
        ]
        .map(String::from),
    );
    assert_eq!(tracked.len(), 4, "deduplicated");
    assert_eq!(
        tracked.starting_with("src/a"),
        ["src/a/x.rs", "src/ab/y.rs"]
    );
    assert_eq!(tracked.starting_with("src/a/"), ["src/a/x.rs"]);
    assert!(tracked.starting_with("zzz").is_empty());
    assert_eq!(tracked.starting_with("").len(), 4);

    let (a, b) = (pat("src/**/*.rs"), pat("src/*/x*"));
    let v = settle(&a, &b, Overlap::Maybe, Some(&tracked));
    assert_eq!(v.overlap, Overlap::yes("src/a/x.rs"));
    assert_eq!(v.reason, "both match tracked src/a/x.rs");

    // No tracked file matches both: still Maybe, never No.
    let (c, d) = (pat("src/**/*.rs"), pat("src/*/new*"));
    let v = settle(&c, &d, Overlap::Maybe, Some(&tracked));
    assert_eq!(
        (v.overlap.clone(), v.reason.as_str()),
        (Overlap::Maybe, "may overlap")
    );
    assert!(v.is_conflict());
    let v = settle(&c, &d, Overlap::Maybe, None);
    assert_eq!(
        (v.overlap.clone(), v.reason.as_str()),
        (Overlap::Maybe, "may overlap")
    );

    // Decided answers pass through.
    let v = resolve(&pat("src/*.go"), &pat("src/*.ts"), Some(&tracked));
    assert_eq!(
        (v.overlap.clone(), v.reason.as_str()),
        (Overlap::No, "no path matches both")
    );
    assert!(!v.is_conflict());
    let v = resolve(&pat("src/**"), &pat("src/x/*.rs"), None);
    assert_eq!(v.reason, "both match src/x/a.rs");
}

#[test]
fn sets_name_the_deciding_pair() {
    let a = [pat("docs/*.md"), pat("src/auth/**")];
    let b = [pat("src/*.go"), pat("src/auth/token.rs"), pat("docs/**")];
    let s = sets_overlap(&a, &b);
    assert_eq!(s.overlap, Overlap::yes("docs/a.md"));
    assert_eq!(s.pair, Some((0, 2)));
    let s = sets_overlap(&a[1..], &b);
    assert_eq!(
        (s.overlap, s.pair),
        (Overlap::yes("src/auth/token.rs"), Some((0, 1)))
    );
    let s = sets_overlap(&a, &b[..1]);
    assert_eq!((s.overlap, s.pair), (Overlap::No, None));
    assert_eq!(sets_overlap(&[], &b).overlap, Overlap::No);

    let v = resolve_sets(&a, &b, None);
    assert_eq!(v.pair, Some((0, 2)));
    assert_eq!(v.verdict.reason, "both match docs/a.md");
}

#[test]
fn unusable_globs_are_maybe() {
    // A pattern whose automaton is missing compares as Maybe, never No,
    // except where the literal heads alone prove No.
    let opaque = Pattern::opaque("src/x");
    for other in ["src/x", "src/**", "**", "docs/*.md"] {
        assert_eq!(overlap(&opaque, &pat(other)), Overlap::Maybe, "{other}");
    }
    assert_eq!(opaque.is_match("src/x"), None);
    // Every valid Glob makes a usable pattern.
    for text in [
        "src/auth/**",
        "./Cargo.toml",
        "src//x/",
        "{a,b}/*.rs",
        "src/[!a]",
    ] {
        let p = Pattern::from_glob(&Glob::new(text).unwrap());
        assert!(p.deferred && p.compiled().is_some(), "{text}");
        assert_eq!(p, pat(text));
    }
}

#[test]
fn patterns_are_shared_across_threads() {
    let a = pat("src/**/*.rs");
    let b = pat("src/*/mod.rs");
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..50 {
                    assert_eq!(overlap(&a, &b), Overlap::yes("src/a/mod.rs"));
                    assert_eq!(overlap(&b, &a), Overlap::yes("src/a/mod.rs"));
                }
            });
        }
    });
    let c = a.clone();
    assert!(Arc::ptr_eq(&a.lazy, &c.lazy), "clones share the DFA");
}

#[test]
fn witnesses_are_printable_when_possible() {
    let o = overlap(&pat("[!a-z]*"), &pat("?"));
    assert_eq!(o, Overlap::yes("0"));
    // globset matches class members byte by byte: `[é]` is one byte of é's
    // UTF-8 encoding, so the only common paths are not UTF-8.
    let o = overlap(&pat("[é]"), &pat("?"));
    assert_eq!(o, Overlap::Yes { witness: None });
}

// Random small globs over a tiny alphabet.

fn arb_segment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a"),
        Just("b"),
        Just("ab"),
        Just("*"),
        Just("**"),
        Just("?"),
        Just("{a,b}"),
        Just("[ab]"),
        Just("[!a]"),
        Just("a*"),
        Just("*b"),
        Just("?a"),
        Just("{a,b/a}"),
        Just("{a,{b,*}}"),
        Just("[a-b]*"),
        Just("a.b"),
        Just("{**,a}"),
        Just("a**"),
        Just("[!/]"),
        Just("[/]"),
        Just("{,a}"),
        Just("[.-0]a"),
    ]
    .prop_map(String::from)
}

fn arb_glob() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(arb_segment(), 1..4),
        prop_oneof![Just(""), Just(""), Just(""), Just("./"), Just("/")],
        prop_oneof![Just(""), Just(""), Just(""), Just("/")],
        any::<bool>(),
    )
        .prop_map(|(segs, lead, trail, double)| {
            let sep = if double && segs.len() > 1 { "//" } else { "/" };
            format!("{lead}{}{trail}", segs.join(sep))
        })
}

fn arb_path() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("ab"),
            Just("ba"),
            Just("aa"),
            Just("a.b")
        ],
        1..5,
    )
    .prop_map(|segs| segs.join("/"))
}

/// Every valid path over `a`, `b`, `/` up to `len` bytes.
fn small_paths(len: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut out = Vec::new();
    for _ in 0..len {
        all = all
            .iter()
            .flat_map(|p| ["a", "b", "/"].map(|c| format!("{p}{c}")))
            .collect();
        out.extend(all.iter().filter(|p| is_valid_path(p)).cloned());
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Soundness: a path that matches a glob of each set means the answer
    /// is never No; and a Yes witness really matches both globs.
    #[test]
    fn never_no_when_a_path_matches_both(
        a in prop::collection::vec(arb_glob(), 1..4),
        b in prop::collection::vec(arb_glob(), 1..4),
        paths in prop::collection::vec(arb_path(), 1..10),
    ) {
        let a: Vec<Pattern> = a.iter().map(|g| pat(g)).collect();
        let b: Vec<Pattern> = b.iter().map(|g| pat(g)).collect();
        let ra: Vec<_> = a.iter().map(reference).collect();
        let rb: Vec<_> = b.iter().map(reference).collect();
        let result = sets_overlap(&a, &b);
        for path in &paths {
            if ra.iter().any(|m| m.is_match(path)) && rb.iter().any(|m| m.is_match(path)) {
                prop_assert_ne!(&result.overlap, &Overlap::No, "{:?} {:?} both match {}", a, b, path);
            }
        }
        match (&result.overlap, result.pair) {
            (Overlap::Yes { .. }, Some((i, j))) => check_witness(&a[i], &b[j], &result.overlap),
            (Overlap::No, None) => {}
            (Overlap::Maybe, Some(_)) => prop_assert!(false, "small globs are always decided: {:?} {:?}", a, b),
            (o, pair) => prop_assert!(false, "{:?} with pair {:?}", o, pair),
        }
    }

    /// Exactness on small globs: Yes exactly when brute force finds a
    /// common path (over `a`, `b`, `/`, up to 5 bytes) or a longer/other
    /// witness exists; No only when brute force finds none.
    #[test]
    fn agrees_with_brute_force(a in arb_glob(), b in arb_glob()) {
        let (pa, pb) = (pat(&a), pat(&b));
        let (ra, rb) = (reference(&pa), reference(&pb));
        let o = overlap(&pa, &pb);
        prop_assert_ne!(&o, &Overlap::Maybe);
        check_witness(&pa, &pb, &o);
        let common = small_paths(5).into_iter().find(|p| ra.is_match(p) && rb.is_match(p));
        if let Some(p) = common {
            prop_assert!(o.is_yes(), "{} vs {}: {:?}, yet both match {}", pa, pb, o, p);
            if let Overlap::Yes { witness: Some(w) } = &o {
                prop_assert!(w.len() <= p.len(), "witness {} longer than {}", w, p);
            }
        }
        prop_assert_eq!(overlap(&pb, &pa).is_yes(), o.is_yes(), "symmetric");
    }

    /// A pattern from a validated glob (its regex built on first use)
    /// answers as the one built and checked at once.
    #[test]
    fn deferred_patterns_answer_alike(a in arb_glob(), b in arb_glob(), paths in prop::collection::vec(arb_path(), 1..5)) {
        let (Ok(ga), Ok(gb)) = (Glob::new(&a), Glob::new(&b)) else { return Ok(()) };
        let (da, db) = (Pattern::from_glob(&ga), Pattern::from_glob(&gb));
        let (pa, pb) = (pat(ga.as_str()), pat(gb.as_str()));
        prop_assert!(da.deferred && !pa.deferred);
        prop_assert_eq!(overlap(&da, &db), overlap(&pa, &pb));
        for path in &paths {
            prop_assert_eq!(da.is_match(path), pa.is_match(path), "{} on {}", da, path);
        }
    }

    /// The compiled automaton matches exactly what globset matches.
    #[test]
    fn is_match_is_globset(g in arb_glob(), paths in prop::collection::vec(arb_path(), 1..10)) {
        let p = pat(&g);
        let r = reference(&p);
        for path in &paths {
            prop_assert_eq!(p.is_match(path), Some(r.is_match(path)), "{} on {}", p, path);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    /// The automaton-free matcher of plain globs (`*`, `?`, `**`) agrees
    /// with globset.
    #[test]
    fn plain_globs_match_like_globset(
        segments in prop::collection::vec(
            prop_oneof![Just("a"), Just("b"), Just("*"), Just("**"), Just("?"), Just("a*"), Just("*b"), Just("a?b"), Just("**a"), Just("a.*")],
            1..5,
        ),
        paths in prop::collection::vec(arb_path(), 1..10),
    ) {
        let p = pat(&segments.join("/"));
        prop_assert!(p.plain);
        let r = reference(&p);
        match p.example() {
            Overlap::Yes { witness: Some(w) } => prop_assert!(r.is_match(w) && is_valid_path(w), "{} does not match {}", w, p.text()),
            other => prop_assert!(false, "{:?}", other),
        }
        for path in &paths {
            prop_assert_eq!(p.is_match(path), Some(r.is_match(path)), "{} vs {}", p.text(), path);
        }
    }
}
