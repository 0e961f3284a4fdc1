//! The built-in extractor: targets, concepts and size from plain text rules.

use super::{ExtractInput, Extraction, Extractor, concepts, size, targets};

/// Rule-based extractor; see the `targets`, `concepts` and `size` modules
/// and [`super::Limits`] for the rules.
#[derive(Debug, Clone, Copy, Default)]
pub struct Heuristic;

impl Extractor for Heuristic {
    fn name(&self) -> &'static str {
        "heuristic"
    }

    fn extract(&self, input: &ExtractInput<'_>) -> Extraction {
        let sections = [input.title, input.body, input.spec];
        Extraction {
            targets: targets::extract(&sections, input.tracked, input.limits.max_targets),
            concepts: concepts::extract(&sections, input.vocabulary, input.limits.max_concepts),
            estimated_size: size::estimate(input.body, input.spec, input.limits),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::{Limits, TrackedFiles, VocabTerm};
    use super::*;
    use proptest::prelude::*;

    /// Tracked files modeled on the two repositories in
    /// `../shared/data/beads/` (steveyegge/beads, flywheel_connectors).
    const FIXTURE: &[&str] = &[
        "README.md",
        "CHANGELOG.md",
        "default.nix",
        "go.mod",
        "event_driven_daemon.md",
        ".beads/issues.jsonl",
        ".github/workflows/ci.yml",
        "scripts/install.sh",
        "scripts/e2e/trace_replay_flow.sh",
        "npm-package/package.json",
        "cmd/bd/main.go",
        "cmd/bd/version.go",
        "cmd/bd/info.go",
        "cmd/bd/sync.go",
        "cmd/bd/doctor.go",
        "cmd/bd/init.go",
        "cmd/bd/compact.go",
        "cmd/bd/show.go",
        "cmd/bd/daemon.go",
        "cmd/bd/tips.go",
        "cmd/bd/mol_run.go",
        "cmd/bd/preflight.go",
        "cmd/bd/create_test.go",
        "cmd/bd/create.go",
        "cmd/bd/list.go",
        "cmd/bd/export.go",
        "cmd/bd/import.go",
        "cmd/bd/doctor/gitignore.go",
        "cmd/bd/doctor/fix/hooks.go",
        "cmd/bd/templates/hooks/pre-commit",
        "internal/config/config.go",
        "internal/daemonrunner/config.go",
        "internal/daemonrunner/daemon.go",
        "internal/daemonrunner/git.go",
        "internal/daemonrunner/process.go",
        "internal/daemonrunner/sync.go",
        "internal/git/gitdir.go",
        "internal/rpc/client.go",
        "internal/rpc/server.go",
        "internal/storage/storage.go",
        "internal/storage/sqlite/queries.go",
        "internal/storage/sqlite/sqlite.go",
        "internal/types/types.go",
        "docs/CONFIG.md",
        "docs/STANDARD_Testing_Logging.md",
        "connectors/anthropic/src/lib.rs",
        "connectors/twitter/src/lib.rs",
        "connectors/plaid/src/lib.rs",
        "connectors/stripe/manifest.toml",
        "crates/fcp-bootstrap/src/ceremony.rs",
        "crates/fcp-e2e/tests/stripe_compliance_e2e.rs",
        "crates/fcp-graphql/src/subscription.rs",
        "crates/fcp-ratelimit/src/lib.rs",
        "crates/fcp-sdk/src/retry.rs",
        "crates/fcp-store/src/lib.rs",
        "crates/fcp-telemetry/src/lib.rs",
        "crates/fcp-conformance/src/lib.rs",
        "crates/fcp-conformance/src/schemas/mod.rs",
        "crates/fcp-conformance/src/vectors/fcpc.rs",
        "crates/fcp-conformance/src/vectors/fcps.rs",
        "crates/fcp-conformance/src/vectors/session.rs",
        "crates/fcp-core/src/capability.rs",
        "crates/fcp-core/src/credential.rs",
        "crates/fcp-core/src/quorum.rs",
        "crates/fcp-crypto/src/lib.rs",
        "crates/fcp-crypto/tests/cose.rs",
        "crates/fcp-host/Cargo.toml",
        "crates/fcp-host/src/bin/fcp-host.rs",
        "crates/fcp-host/src/discovery.rs",
        "crates/fcp-host/tests/discovery_test.rs",
        "crates/fcp-mesh/Cargo.toml",
        "crates/fcp-mesh/src/node.rs",
        "crates/fcp-mesh/src/symbol_request.rs",
        "crates/fcp-protocol/src/fcps.rs",
        "crates/fcp-registry/src/lib.rs",
    ];

    fn tracked() -> TrackedFiles {
        TrackedFiles::new(FIXTURE.iter().map(|p| p.to_string()))
    }

    fn vocabulary() -> Vec<VocabTerm> {
        let terms: &[(&str, &[&str])] = &[
            ("daemon", &["daemons"]),
            ("sqlite", &["sqlite3"]),
            ("rpc", &[]),
            ("sync", &["syncing", "sync branch"]),
            ("molecule", &["mol", "molecules"]),
            (
                "git-hooks",
                &["git hook", "git hooks", "pre-commit", "post-merge"],
            ),
            ("lint", &["linting", "gosec", "golangci-lint", "clippy"]),
            (
                "testing",
                &[
                    "test coverage",
                    "test suite",
                    "unit tests",
                    "integration tests",
                ],
            ),
            ("ci", &["github actions", "workflows"]),
            ("release", &["release notes", "released"]),
            ("npm", &["npm package"]),
            ("doctor", &[]),
            ("import-export", &["auto-import", "export", "jsonl"]),
            ("asupersync", &[]),
            ("tokio", &[]),
            ("mesh", &["fcp-mesh", "gossip"]),
            ("crypto", &["fcp-crypto", "ed25519", "cose"]),
            ("windows", &[]),
            ("federation", &[]),
            ("auth", &["authentication"]),
            ("versioning", &["version bump", "version-sync"]),
        ];
        terms
            .iter()
            .map(|(name, aliases)| VocabTerm::new(*name, aliases.iter().copied()))
            .collect()
    }

    struct Case {
        id: &'static str,
        title: &'static str,
        body: &'static str,
        spec: &'static str,
        targets: &'static [&'static str],
        concepts: &'static [&'static str],
    }

    /// Real bead texts (verbatim, some cut to the relevant part).
    const CASES: &[Case] = &[
        Case {
            id: "bd-1tw",
            title: "Fix G104 errors unhandled in internal/storage/sqlite/queries.go:1186",
            body: "Linting issue: G104: Errors unhandled (gosec) at internal/storage/sqlite/queries.go:1186:2. Error: rows.Close()",
            spec: "",
            targets: &["internal/storage/sqlite/queries.go"],
            concepts: &["sqlite", "lint"],
        },
        Case {
            id: "bd-8g8",
            title: "Fix G304 potential file inclusion in cmd/bd/tips.go:259",
            body: "Linting issue: G304: Potential file inclusion via variable (gosec) at cmd/bd/tips.go:259:18. Error: if data, err := os.ReadFile(settingsPath); err == nil {",
            spec: "",
            targets: &["cmd/bd/tips.go"],
            concepts: &["lint"],
        },
        Case {
            // A new directory under a known one; a URL and `LICENSE/ATTRIBUTION` are not targets.
            id: "bd-oif6",
            title: "Vendor beads-merge Go code into internal/merge/",
            body: r#"Copy beads-merge source code from @neongreen's repo into bd codebase.

**Tasks**:
- Create `internal/merge/` package
- Copy merge algorithm code
- Add attribution header to all files
- Update imports to use bd's internal types
- Add LICENSE/ATTRIBUTION file crediting @neongreen
- Keep original algorithm intact

**Source**: https://github.com/neongreen/mono/tree/main/beads-merge"#,
            spec: "",
            targets: &["internal/merge/**"],
            concepts: &[],
        },
        Case {
            // Bare names resolved through the directory named in the title;
            // `flock_*.go` has no directory; unknown names are dropped.
            id: "bd-irq6",
            title: "Remove unused global daemon infrastructure (internal/daemonrunner/)",
            body: r#"The internal/daemonrunner/ package (1,468 LOC) contains the old global daemon implementation that is no longer used. We now use per-workspace daemons.

Files to remove:
- daemon.go (9,436 bytes)
- git.go (3,510 bytes) 
- sync.go (6,401 bytes)
- fingerprint.go (2,076 bytes)
- process.go (3,332 bytes)
- rpc.go (994 bytes)
- config.go (486 bytes)
- logger.go (1,579 bytes)
- flock_*.go (platform-specific file locking)
- signals_*.go (platform-specific signal handling)
- All test files"#,
            spec: "",
            targets: &[
                "internal/daemonrunner/**",
                "internal/daemonrunner/daemon.go",
                "internal/daemonrunner/git.go",
                "internal/daemonrunner/sync.go",
                "internal/daemonrunner/process.go",
                "internal/daemonrunner/config.go",
            ],
            concepts: &["daemon", "sync", "rpc"],
        },
        Case {
            // A home-directory path is not a repository path.
            id: "bd-8nhm",
            title: "Verify docs/property-layers.md exists after merge",
            body: "During property layers implementation, docs/property-layers.md was deleted in multiple polecat branches. Verify this file exists after all merges complete. If missing, restore from backup or recreate based on ~/gt/docs/hop/PROPERTY-LAYERS.md.",
            spec: "",
            targets: &["docs/property-layers.md"],
            concepts: &[],
        },
        Case {
            // `docs/architecture/` does not exist yet: the new file is dropped, `docs/` covers it.
            id: "bd-c825f867",
            title: "Add docs/architecture/event_driven.md",
            body: "Copy event_driven_daemon.md into docs/ folder. Add to documentation index.",
            spec: "",
            targets: &["event_driven_daemon.md", "docs/**"],
            concepts: &["daemon"],
        },
        Case {
            // The stack trace's absolute path is ignored; the bare name in the title resolves.
            id: "bd-987a",
            title: "bd mol run: panic slice bounds out of range in mol_run.go:130",
            body: r#"## Problem
bd mol run panics after successfully creating the molecule:

```
panic: runtime error: slice bounds out of range [:8] with length 7

goroutine 1 [running]:
main.runMolRun(0x1014fc0c0, {0x140001e0f80, 0x1, 0x10089daad?})
  /Users/stevey/gt/beads/crew/dave/cmd/bd/mol_run.go:130 +0xc38
```

## Reproduction
```bash
bd --no-daemon mol run gt-lwuu --var issue=gt-test123
```"#,
            spec: "",
            targets: &["cmd/bd/mol_run.go"],
            concepts: &["molecule", "daemon"],
        },
        Case {
            id: "bd-rze6",
            title: "Digest: Release v0.34.0 @ 2025-12-22 12:16",
            body: "Released v0.34.0: wisp commands, chemistry UX, cross-project deps",
            spec: "",
            targets: &[],
            concepts: &["release"],
        },
        Case {
            id: "bd-a62m",
            title: "Update version to 0.33.2 in version.go",
            body: "Edit cmd/bd/version.go line 17:\n\n```go\nVersion = \"0.33.2\"\n```\n\nVerify with: `grep 'Version =' cmd/bd/version.go`",
            spec: "",
            targets: &["cmd/bd/version.go"],
            concepts: &[],
        },
        Case {
            id: "bd-lfak.5",
            title: "Implement version-sync check (version.go vs default.nix)",
            body: r#"## Summary
Check that version in `cmd/bd/version.go` matches version in `default.nix`.

## Current State (as of writing)
- version.go: Version = "0.41.0"
- default.nix: version = "0.37.0"
- **These are already out of sync!** This check would catch this.

## Implementation Details

### Location
File: `cmd/bd/preflight.go`

### Key Files
- `cmd/bd/version.go` line 17: `Version = "0.41.0"`
- `default.nix` line 4: `version = "0.37.0";`"#,
            spec: "",
            targets: &["cmd/bd/version.go", "default.nix", "cmd/bd/preflight.go"],
            concepts: &["versioning", "sync"],
        },
        Case {
            // `cmd/bd` makes the ambiguous `sync.go` resolve there; `doctor/checks/*.go` has no tracked prefix.
            id: "bd-05a8",
            title: "Split large cmd/bd files: doctor.go (2948 lines), sync.go (2121 lines)",
            body: r#"Code health review found several oversized files:

1. doctor.go - 2948 lines, 48 functions mixed together
   - Should split into doctor/checks/*.go for individual diagnostics
   - applyFixes() and previewFixes() are nearly identical

2. sync.go - 2121 lines
   - ZFC (Zero Flush Check) logic embedded inline (lines 213-247)
   - Multiple mode handlers should be extracted

3. init.go - 1732 lines
4. compact.go - 1097 lines
5. show.go - 1069 lines

Recommendation: Extract into focused sub-packages or split into logical files."#,
            spec: "",
            targets: &[
                "cmd/bd/**",
                "cmd/bd/doctor.go",
                "cmd/bd/sync.go",
                "cmd/bd/init.go",
                "cmd/bd/compact.go",
                "cmd/bd/show.go",
            ],
            concepts: &["doctor", "sync"],
        },
        Case {
            id: "bd-fx7v",
            title: "Improve test coverage for cmd/bd/doctor/fix (23.9% → 50%)",
            body: "The doctor/fix package has only 23.9% test coverage. The doctor fix functionality is important for troubleshooting.\n\nCurrent coverage: 23.9%\nTarget coverage: 50%",
            spec: "",
            targets: &["cmd/bd/doctor/fix/**"],
            concepts: &["testing", "doctor"],
        },
        Case {
            // A new file in a known directory; `--force` and friends are flags.
            id: "bd-aydr.4",
            title: "Implement CLI command (cmd/bd/reset.go)",
            body: r#"Wire up the reset command with Cobra CLI.

## Flags
```go
--hard       bool   "Also remove from git and commit"
--force      bool   "Skip confirmation prompt"
--backup     bool   "Create backup before reset"
--dry-run    bool   "Preview what would happen"
```"#,
            spec: "",
            targets: &["cmd/bd/reset.go"],
            concepts: &[],
        },
        Case {
            id: "bd-36320a04",
            title: "Add mutation channel to internal/rpc/server.go",
            body: "Add mutationChan chan MutationEvent to Server struct. Emit events on CreateIssue, UpdateIssue, DeleteIssue, AddComment. Non-blocking send with default case for full channel.",
            spec: "",
            targets: &["internal/rpc/server.go"],
            concepts: &["rpc"],
        },
        Case {
            // `handoff.go` lives in another repository.
            id: "bd-pzw7",
            title: "gt handoff deadlock at handoff.go:125",
            body: "",
            spec: "When running 'gt handoff -m \"message\"' after successful MR submit, go panics with 'fatal error: all goroutines are asleep - deadlock\\!' at handoff.go:125. The shutdown request still appears to be sent successfully but the command crashes. Stack trace shows issue is in runHandoff select statement.",
            targets: &[],
            concepts: &[],
        },
        Case {
            // Known limitation: the title's `daemon.go` meant cmd/bd/daemon.go,
            // written before internal/daemonrunner/ existed.
            id: "bd-5f26",
            title: "Refactor daemon.go into internal/daemonrunner",
            body: "Extract daemon runtime from daemon.go (1,565 lines) into internal/daemonrunner with focused modules: config.go, daemon.go, process.go, rpc_server.go, sync.go, git.go. Keep cobra command thin.",
            spec: "",
            targets: &[
                "internal/daemonrunner/daemon.go",
                "internal/daemonrunner/**",
                "internal/daemonrunner/config.go",
                "internal/daemonrunner/process.go",
                "internal/daemonrunner/sync.go",
                "internal/daemonrunner/git.go",
            ],
            concepts: &["daemon", "rpc", "sync"],
        },
        Case {
            id: "bd-0458",
            title: "Consolidate export/import/commit/push into sync.go",
            body: "Create internal/daemonrunner/sync.go with Syncer type. Add ExportOnce, ImportOnce, CommitAndMaybePush methods. Replace createExportFunc/createAutoImportFunc with thin closures calling Syncer.",
            spec: "",
            targets: &["internal/daemonrunner/sync.go"],
            concepts: &["import-export", "sync"],
        },
        Case {
            id: "bd-d33c",
            title: "Separate process/lock/PID concerns into process.go",
            body: "Create internal/daemonrunner/process.go with: acquireDaemonLock, PID file read/write, stopDaemon, isDaemonRunning, getPIDFilePath, socket path helpers, version check.",
            spec: "",
            targets: &["internal/daemonrunner/process.go"],
            concepts: &[],
        },
        Case {
            id: "bd-1yi5",
            title: "Use -short flag in CI for PR checks",
            body: r#"Update CI configuration to use -short flag for PR checks, run full tests nightly.

Implementation:
- Update .github/workflows/ci.yml to add -short flag for PR tests
- Create/update nightly workflow for full test runs
- Update README/docs about test strategy

File: .github/workflows/ci.yml:30"#,
            spec: "",
            targets: &[".github/workflows/ci.yml"],
            concepts: &["ci"],
        },
        Case {
            // `I/O` is not a path.
            id: "bd-bmev",
            title: "Replace Windows CI full test suite with smoke tests",
            body: r#"Root cause: Windows I/O is fundamentally 20x slower than Linux:
- NTFS slow for small file operations
- Git on Windows is 5-10x slower

Linux tests complete in ~1.5 min with race detector. Windows takes 30+ min without.

- .github/workflows/ci.yml - Replace test-windows-cmd and test-windows-internal jobs"#,
            spec: "",
            targets: &[".github/workflows/ci.yml"],
            concepts: &["windows", "ci", "testing"],
        },
        Case {
            // A fraction and a Go import path are not targets.
            id: "bd-1231",
            title: "CI failing on all 3/4 test jobs despite individual tests passing",
            body: r#"## Key Observations
All three failing jobs show identical pattern:
- Individual test output shows PASS for every test
- Final result: `FAIL github.com/steveyegge/beads/cmd/bd`
- Exit code 1 despite no visible test failures"#,
            spec: "### ✅ Fixed (commits 09bd4d3, 21a29bc)\n1. **Daemon auto-import** - Always recompute content_hash in importer to avoid stale hashes",
            targets: &[],
            concepts: &["ci", "daemon", "import-export"],
        },
        Case {
            // npm scopes (`@beads/bd`) and URLs are not paths; `package.json` is unique.
            id: "bd-87a0",
            title: "Publish @beads/bd package to npm registry",
            body: r#"## Publishing steps
1. Verify package.json version matches current bd version
2. Run npm pack and inspect tarball contents
5. Verify package appears on https://www.npmjs.com/package/@beads/bd
6. Test installation from registry: npm install -g @beads/bd

## Post-publish
- Add npm badge to README.md
- Update CHANGELOG.md with npm package release
- Announce in release notes"#,
            spec: "",
            targets: &["npm-package/package.json", "README.md", "CHANGELOG.md"],
            concepts: &["npm", "release"],
        },
        Case {
            // `scripts/install.sh` is tracked, but here it is part of a URL.
            id: "bd-mol-29b",
            title: "Update local installation",
            body: "Option 2 - Install script:\n```bash\ncurl -fsSL https://raw.githubusercontent.com/steveyegge/beads/main/scripts/install.sh | bash\n```\n\nShould show 0.99.0-test.",
            spec: "",
            targets: &[],
            concepts: &[],
        },
        Case {
            // `mod@v1.2.0`, `@org/pkg` and URL pieces are not paths; `.beads/`
            // is the tracker's data, never a target (it used to give
            // `.beads/formulas/**` and `.beads/installed.json`).
            id: "bd-1dez.3",
            title: "bd mol install: Install formula from GitHub",
            body: r#"## Usage
```bash
# With version tag  
bd mol install github.com/anthropics/mol-code-review@v1.2.0

# Shorthand (future: via registry lookup)
bd mol install @anthropic/mol-code-review
```

## Implementation
2. Construct raw URL: `https://raw.githubusercontent.com/org/repo/[tag]/formula.json`
3. Fetch formula.json via HTTP
5. Save to .beads/formulas/
7. Record in .beads/installed.json for update tracking"#,
            spec: "",
            targets: &[],
            concepts: &["molecule"],
        },
        Case {
            id: "bd-whlsz",
            title: "Implement hop:// URI scheme for federation",
            body: r#"Current EntityRef.URI() returns entity://hop/platform/org/id - this is a draft format.

Examples:
  hop://steve@example.com/main-town/gastown/gt-xyz  (full work unit)
  hop://steve@example.com/main-town                  (chain/workspace)

1. Update EntityRef to include Entity (email/domain) and Chain (workspace) fields"#,
            spec: "",
            targets: &[],
            concepts: &["federation"],
        },
        Case {
            id: "bd-1rh",
            title: "cmd/bd test suite is absurdly slow - 279 tests taking 8+ minutes",
            body: r#"## 2. Each Test Creates Full Database + Temp Directories
Every test does heavy setup:
- Creates temp directory (`t.TempDir()` or `os.MkdirTemp`)
- Initializes SQLite database"#,
            spec: r#"✅ **Completed**:
- Audited all 280 tests, created TEST_SUITE_AUDIT.md ([deleted:bd-c49])
- Refactored create_test.go to shared DB pattern ([deleted:bd-y6d])"#,
            // About tests: the directory's test files (the commits
            // changed 30-odd `cmd/bd/*_test.go`), not the whole program.
            targets: &["cmd/bd/**/*_test.*", "cmd/bd/create_test.go"],
            concepts: &["testing", "sqlite"],
        },
        Case {
            id: "flywheel_connectors-9qd1",
            title: "Fix PlannerContext initialization in fcp-mesh tests",
            body: "cargo test failure in crates/fcp-mesh/src/node.rs: PlannerContext initializer missing newly added fields (excluded_nodes, preferred_symbols, required_symbols, etc.). Update tests/initialization to include new fields.",
            spec: "[AlienArtifactPractical]\n- Set gossip TTL from measured mixing-time; add convergence test that asserts bound.",
            targets: &["crates/fcp-mesh/src/node.rs"],
            concepts: &["mesh"],
        },
        Case {
            id: "flywheel_connectors-esfoi",
            title: "[BUILD] fcp-host doctor_handler generic lifetime bound (E0310)",
            body: "Fix workspace build failure in crates/fcp-host/src/bin/fcp-host.rs where doctor_handler generic R: ConnectorRegistry requires an explicit 'static lifetime bound. Validate with rch-offloaded cargo check commands.",
            spec: "",
            targets: &["crates/fcp-host/src/bin/fcp-host.rs"],
            // `_` separates words: `doctor_handler` mentions `doctor`.
            concepts: &["doctor"],
        },
        Case {
            id: "flywheel_connectors-km15",
            title: "FIX: fcp-protocol clippy warnings (doc_markdown, must_use, is_some_and)",
            body: r#"Fixed 8 clippy warnings in `crates/fcp-protocol/src/fcps.rs`:

2. **must_use_candidate**: Added `#[must_use]` to `SymbolAck::new()`
8. **unnecessary_map_or**: Changed `.map_or(false, ...)` to `.is_some_and(...)`

## Files Changed

- `crates/fcp-protocol/src/fcps.rs`"#,
            spec: "",
            targets: &["crates/fcp-protocol/src/fcps.rs"],
            concepts: &["lint"],
        },
        Case {
            // Crate-relative `vectors/fcps.rs:48` and `schemas/mod.rs:18` end
            // single tracked paths, so they come first now.
            id: "flywheel_connectors-abzb",
            title: "FIX: fcp-conformance clippy warnings (doc_markdown, missing_errors_doc, missing_panics_doc, must_use)",
            body: r#"1. **unused_imports** (vectors/fcps.rs:48): Removed unused imports `FcpsFrameHeader` and `FrameFlags`
2. **doc_markdown** (schemas/mod.rs:18): Added backticks around `JSONPath`

## Files Changed

- `crates/fcp-conformance/src/vectors/fcps.rs`
- `crates/fcp-conformance/src/vectors/fcpc.rs`
- `crates/fcp-conformance/src/schemas/mod.rs`
- `crates/fcp-conformance/src/vectors/session.rs`"#,
            spec: "",
            targets: &[
                "crates/fcp-conformance/src/vectors/fcps.rs",
                "crates/fcp-conformance/src/schemas/mod.rs",
                "crates/fcp-conformance/src/vectors/fcpc.rs",
                "crates/fcp-conformance/src/vectors/session.rs",
            ],
            concepts: &["lint"],
        },
        Case {
            // `health.rs` is proposed: new, in a known directory.
            id: "flywheel_connectors-2wng",
            title: "[FCP2] Type Naming Standardization: SafetyTier vs RiskTier, Health Types",
            body: r#"### SafetyTier (Tool/Operation Safety)

**Definition:** Classifies the safety level of a tool or operation for agent decision-making.

**Location:** `crates/fcp-core/src/capability.rs`

**Location:** `crates/fcp-core/src/quorum.rs`

**Location:** `crates/fcp-host/src/health.rs` (proposed)"#,
            spec: "",
            targets: &[
                "crates/fcp-core/src/capability.rs",
                "crates/fcp-core/src/quorum.rs",
                "crates/fcp-host/src/health.rs",
            ],
            concepts: &[],
        },
        Case {
            // Rust paths (`std::env::consts::ARCH`) and `OCI/Docker` are not files.
            id: "flywheel_connectors-t9nj",
            title: "FIX: connector_target_from_env_matches_runtime test arch normalization",
            body: r#"The test `connector_target_from_env_matches_runtime` was failing because it compared `ConnectorTarget::from_env().arch` directly with `std::env::consts::ARCH`.

However, `ConnectorTarget::from_env()` intentionally normalizes architecture names for OCI/Docker compatibility:
- `x86_64` → `amd64`

## Files Changed

- `crates/fcp-registry/src/lib.rs`: Fixed test assertion to account for arch normalization"#,
            spec: "",
            targets: &["crates/fcp-registry/src/lib.rs"],
            concepts: &[],
        },
        Case {
            id: "flywheel_connectors-235t.14",
            title: "[ASUPERSYNC] Connector Migration: anthropic",
            body: r#"# Goal
Port `connectors/anthropic` runtime and transport operations to asupersync framework.

## Scope
- Request/response execution, streaming responses, auth handling, cancellation and retries.
- Remove Tokio-specific orchestration in connector internals and tests.

## Acceptance Criteria
- Anthropic connector passes unit/integration tests under asupersync runtime."#,
            spec: "",
            targets: &["connectors/anthropic/**"],
            // `unit/integration tests` contains the alias `integration tests`.
            concepts: &["asupersync", "auth", "tokio", "testing"],
        },
        Case {
            // `crates/connectors/tests` is a list of words; `/dp/asupersync` is absolute.
            id: "flywheel_connectors-1ud0u",
            title: "[ASUPERSYNC] Program Epic: Total Tokio Elimination + Cancel-Correct Runtime Cutover",
            body: r#"This program migrates `flywheel_connectors` from direct Tokio coupling to cancel-correct ASUPERSYNC runtime semantics (via `/dp/asupersync` and project async abstractions).

Current state indicates partial progress but not completion:
- direct `tokio` usage remains across crates/connectors/tests,
- `fcp-async-core` currently still re-exports Tokio-facing APIs."#,
            spec: "",
            targets: &[],
            // `re-exports` is not the alias `export`.
            concepts: &["asupersync", "tokio"],
        },
        Case {
            // A new crate in a tree listing; the names under it are ambiguous or unknown.
            id: "flywheel_connectors-zzpa",
            title: "fcp.algolia: Search-as-a-Service connector",
            body: r#"## File Structure

```
crates/fcp-algolia/
├── Cargo.toml
├── src/
│   ├── lib.rs           # Public API exports
│   ├── client.rs        # Algolia client implementation
│   ├── auth.rs          # Authentication handling
```"#,
            spec: "",
            targets: &["crates/fcp-algolia/**"],
            concepts: &["auth"],
        },
        Case {
            // `connectors/discover` is an RPC method next to a real `connectors/` directory;
            // `crates/fcp-host/tests/vectors/discovery/` is two levels below anything tracked.
            id: "flywheel_connectors-2h7e",
            title: "[FCP2] Host Discovery Endpoint: Agent-Facing Connector Registry API",
            body: r#"Store reference test data in `crates/fcp-host/tests/vectors/discovery/`:

- `discover_response.json` - Expected response format

## Acceptance Criteria
- [ ] `connectors/discover` endpoint returns all installed connectors
- [ ] `connectors/introspect` returns MCP-compliant tool descriptors"#,
            spec: "",
            targets: &[],
            concepts: &[],
        },
        Case {
            // `../tests/vectors/...` is relative to a source file, not the repository.
            id: "flywheel_connectors-1ezv",
            title: "TEST: fcp-crypto Unit Tests (COSE, Ed25519, AEAD, HKDF, Shamir)",
            body: r#"        // https://datatracker.ietf.org/doc/html/rfc8152#appendix-C
        let vector = include_bytes\!("../tests/vectors/cose/rfc8152_sign1_vector.cbor");

Store reference test data in `crates/fcp-crypto/tests/vectors/`:"#,
            spec: "",
            targets: &["crates/fcp-crypto/tests/vectors/**"],
            concepts: &["crypto", "testing"],
        },
        Case {
            id: "flywheel_connectors-15wu",
            title: "[IDEA-23.3] E2E canary rollout + rollback scenario",
            body: "## Logging\n- Emit structured JSONL per `docs/STANDARD_Testing_Logging.md` with `test_name`, `module`, `phase`, `correlation_id`, and `result`.\n- Persist JSONL artifacts and validate with `fcp_conformance::schemas::validate_e2e_log_jsonl`.",
            spec: "",
            targets: &["docs/STANDARD_Testing_Logging.md"],
            concepts: &["import-export", "testing"],
        },
        Case {
            // Slash-separated status words are not paths.
            id: "flywheel_connectors-0bo",
            title: "fcp.docusign: Track Signature Status",
            body: "## Goal\nAllow agents to track envelope progress:\n- delivered/signed/completed/declined/voided\n\n## Capability model (illustrative)\n- `docusign.envelopes.read`\n- `docusign.webhook.ingest` (optional)",
            spec: "",
            targets: &[],
            concepts: &[],
        },
        Case {
            // A subcommand in the title, also as a list (`export/import`);
            // `bd create` in the body is a reproduction step; `.beads/` is data.
            id: "bd-1ezg",
            title: "Investigate bd export/import sync issue - database and JSONL out of sync",
            body: r#"Observed in VC repo: database has 1137 issues but beads.jsonl only has 309. Running 'bd export -o .beads/issues.jsonl' doesn't update the file. Running 'bd import' hangs indefinitely.

Reproduction context:
- Created 4 new issues with bd create
- bd export didn't write them to JSONL"#,
            spec: "",
            targets: &["cmd/bd/export.go", "cmd/bd/import.go"],
            concepts: &["import-export", "sync"],
        },
        Case {
            id: "bd-v5fn",
            title: "Add default limit to bd list (50 issues)",
            body: "Add a sensible default limit of 50 issues to bd list output, matching patterns from gh cli (30) and jira-cli (50).",
            spec: "",
            targets: &["cmd/bd/list.go"],
            concepts: &[],
        },
        Case {
            // Nested `.beads/` dirs are the bug, not the work's target. The
            // command quoted in inline code names its file (a miss: the
            // commit changed `cmd/bd/daemon_lifecycle.go`).
            id: "bd-36870264",
            title: "Enforce daemon singleton per workspace with file locking",
            body: "Agent in ~/src/wyvern discovered 4 simultaneous daemon processes running, causing infinite directory recursion (.beads/.beads/.beads/...). Each daemon used relative paths and created nested .beads/ directories.\n\nRoot cause: No singleton enforcement. Multiple `bd daemon` processes can start in same workspace.",
            spec: "",
            targets: &["cmd/bd/daemon.go"],
            concepts: &["daemon"],
        },
        Case {
            // A module path relative to a crate: `src/` and `.rs` added.
            id: "flywheel_connectors-1ol0k",
            title: "fcp-mesh/symbol_request: expand unit tests (prune_stale, metrics, error display, serde)",
            body: "",
            spec: "",
            targets: &["crates/fcp-mesh/src/symbol_request.rs"],
            concepts: &["mesh", "testing"],
        },
        Case {
            // Crate-relative files; `f07de35` is a commit.
            id: "flywheel_connectors-22q9q",
            title: "TEST: Security hardening regression tests (f07de35)",
            body: "Add test coverage for security hardening in commit f07de35:\n- fcp-bootstrap/ceremony.rs: Empty proof-of-knowledge validation, empty shares, empty ciphertext (MISSING)\n- fcp-sdk/retry.rs: Pseudo-random jitter produces varied output (MISSING)",
            spec: "",
            targets: &[
                "crates/fcp-bootstrap/src/ceremony.rs",
                "crates/fcp-sdk/src/retry.rs",
            ],
            concepts: &["testing"],
        },
        Case {
            // Relative to `scripts/`: the one tracked path ending in it.
            id: "flywheel_connectors-2jnc",
            title: "[TRACE] E2E: capture + replay scenario",
            body: "## Script\n- `e2e/trace_replay_flow.sh` with structured JSON logs.",
            spec: "",
            targets: &["scripts/e2e/trace_replay_flow.sh"],
            concepts: &[],
        },
        Case {
            // A connector named by its qualified id; host names are not.
            id: "flywheel_connectors-38h",
            title: "fcp.plaid - Banking & Financial Data Connector",
            body: r#"# fcp.plaid - Plaid Banking & Financial Data Connector (FCP2)

**Why Critical**: Plaid is **the dominant banking data aggregator**, enabling secure access to financial accounts, transactions, and identity verification.

    host_allow: vec\![
        "sandbox.plaid.com".into(),     // Sandbox
- `{environment}.plaid.com:443`"#,
            spec: "",
            targets: &["connectors/plaid/**"],
            concepts: &[],
        },
        Case {
            // Crate names as written, also as a slash list.
            id: "flywheel_connectors-235t.12",
            title: "[ASUPERSYNC] Migrate Async Primitives in fcp-store/fcp-ratelimit/fcp-audit/fcp-telemetry",
            body: "## Scope\n- Remove ad hoc Tokio primitive usage in store, ratelimit, audit, telemetry paths.",
            spec: "",
            targets: &[
                "crates/fcp-store/**",
                "crates/fcp-ratelimit/**",
                "crates/fcp-telemetry/**",
            ],
            concepts: &["asupersync", "tokio"],
        },
        Case {
            // A plain word next to its kind ("connector"), when nothing
            // stronger is found.
            id: "flywheel_connectors-yff.6",
            title: "TEST: Twitter/X Connector Unit/Integration Tests (mock-only)",
            body: "## Goal\nValidate Twitter/X connector via mock-only tests (post/search/streaming slices as planned) with deterministic behavior.",
            spec: "",
            targets: &["connectors/twitter/**"],
            concepts: &["testing"],
        },
        Case {
            // The crate named as written wins over "Stripe Connector": the
            // work is the e2e harness, not the connector.
            id: "flywheel_connectors-a81.7",
            title: "E2E: Stripe Connector Compliance Run",
            body: "## Goal\nAdd Stripe scenarios to the shared compliance harness.\n\n## Acceptance Criteria\n- `cargo test --package fcp-e2e --features stripe` passes deterministically.",
            spec: "",
            targets: &["crates/fcp-e2e/**"],
            concepts: &[],
        },
    ];

    #[test]
    fn test_real_bead_cases() {
        let tracked = tracked();
        let vocabulary = vocabulary();
        let limits = Limits::default();
        let mut failures = Vec::new();
        for case in CASES {
            let input = ExtractInput {
                title: case.title,
                body: case.body,
                spec: case.spec,
                tracked: &tracked,
                vocabulary: &vocabulary,
                limits: &limits,
            };
            let got = Heuristic.extract(&input);
            if got.targets != case.targets || got.concepts != case.concepts {
                failures.push(format!(
                    "{}:\n  targets  {:?}\n  want     {:?}\n  concepts {:?}\n  want     {:?}",
                    case.id, got.targets, case.targets, got.concepts, case.concepts
                ));
            }
        }
        assert!(CASES.len() >= 30);
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Every target is tracked, or sits under a tracked directory named
    /// literally in it (`docs/*.md` under `docs`, `cmd/bd/new.go` under `cmd/bd`).
    fn is_valid_target(target: &str, tracked: &TrackedFiles) -> bool {
        if tracked.contains(target) {
            return true;
        }
        let parts: Vec<&str> = target.split('/').collect();
        let literal = parts[..parts.len() - 1]
            .iter()
            .take_while(|p| !p.contains('*'))
            .count();
        (1..=literal).any(|n| tracked.dir_exists(&parts[..n].join("/")))
    }

    fn check_invariants(
        got: &Extraction,
        limits: &Limits,
        tracked: &TrackedFiles,
        vocabulary: &[VocabTerm],
    ) {
        assert!(got.targets.len() <= limits.max_targets, "{got:?}");
        assert!(got.concepts.len() <= limits.max_concepts, "{got:?}");
        assert_eq!(
            got.targets.iter().collect::<HashSet<_>>().len(),
            got.targets.len(),
            "{got:?}"
        );
        assert_eq!(
            got.concepts.iter().collect::<HashSet<_>>().len(),
            got.concepts.len(),
            "{got:?}"
        );
        for target in &got.targets {
            assert!(is_valid_target(target, tracked), "{target} in {got:?}");
        }
        for concept in &got.concepts {
            assert!(vocabulary.iter().any(|v| &v.name == concept), "{concept}");
        }
    }

    /// Words that look like paths, globs, versions, URLs, vocabulary, or noise.
    fn fragment() -> impl Strategy<Value = String> {
        let dirs: Vec<String> = {
            let mut dirs: Vec<String> = FIXTURE
                .iter()
                .filter_map(|p| p.rsplit_once('/'))
                .map(|(d, _)| d.to_string())
                .collect();
            dirs.sort();
            dirs.dedup();
            dirs
        };
        let names: Vec<&str> = FIXTURE
            .iter()
            .map(|p| p.rsplit('/').next().unwrap_or(p))
            .collect();
        let words: Vec<String> = vocabulary()
            .into_iter()
            .flat_map(|v| std::iter::once(v.name).chain(v.aliases))
            .collect();
        prop_oneof![
            prop::sample::select(FIXTURE).prop_map(str::to_string),
            prop::sample::select(names).prop_map(str::to_string),
            prop::sample::select(dirs.clone()).prop_map(|d| format!("{d}/")),
            prop::sample::select(dirs.clone()).prop_map(|d| format!("./{d}/...")),
            (
                prop::sample::select(dirs.clone()),
                "[a-z_]{1,8}(\\.(go|rs|md|txt))?/?"
            )
                .prop_map(|(d, n)| format!("{d}/{n}")),
            (
                prop::sample::select(dirs),
                prop::sample::select(&["*.go", "**", "*", "**/*.rs"][..])
            )
                .prop_map(|(d, g)| format!("{d}/{g}")),
            "[a-zA-Z0-9_.*/-]{1,20}",
            "[ -~]{0,16}",
            "\\PC{0,8}",
            prop::sample::select(words),
            prop::sample::select(
                &[
                    "v1.2.3",
                    "0.30.4",
                    "1/2",
                    "2025/01/02",
                    "I/O",
                    "and/or",
                    "https://x.io/cmd/bd/main.go",
                    "a@b.co"
                ][..]
            )
            .prop_map(str::to_string),
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        let sep = prop::sample::select(
            &[
                " ",
                "\n",
                "`",
                ", ",
                "(",
                ") ",
                ":12 ",
                "**",
                "- [ ] ",
                "\n## Acceptance\n- ",
            ][..],
        );
        prop::collection::vec((fragment(), sep), 0..40).prop_map(|parts| {
            parts
                .into_iter()
                .flat_map(|(f, s)| [f, s.to_string()])
                .collect()
        })
    }

    fn limits() -> impl Strategy<Value = Limits> {
        (0..10usize, 0..10usize).prop_map(|(max_targets, max_concepts)| Limits {
            max_targets,
            max_concepts,
            ..Limits::default()
        })
    }

    proptest! {
        #[test]
        fn prop_deterministic_capped_unique_valid(
            title in text(), body in text(), spec in text(), limits in limits()
        ) {
            let tracked = tracked();
            let vocabulary = vocabulary();
            let input = ExtractInput { title: &title, body: &body, spec: &spec, tracked: &tracked, vocabulary: &vocabulary, limits: &limits };
            let got = Heuristic.extract(&input);
            check_invariants(&got, &limits, &tracked, &vocabulary);

            // Freshly built indexes hash differently; the answer must not change.
            let tracked2 = tracked.clone();
            let again = TrackedFiles::new(FIXTURE.iter().rev().map(|p| p.to_string()));
            let vocabulary2 = vocabulary.clone();
            for t in [&tracked2, &again] {
                let input = ExtractInput { tracked: t, vocabulary: &vocabulary2, ..input };
                prop_assert_eq!(&Heuristic.extract(&input), &got);
            }
        }

        #[test]
        fn prop_caps_only_truncate(title in text(), body in text(), limits in limits()) {
            // A smaller cap gives a prefix of the uncapped answer.
            let tracked = tracked();
            let vocabulary = vocabulary();
            let wide = Limits { max_targets: 100, max_concepts: 100, ..limits.clone() };
            let input = ExtractInput { title: &title, body: &body, spec: "", tracked: &tracked, vocabulary: &vocabulary, limits: &wide };
            let all = Heuristic.extract(&input);
            let capped = Heuristic.extract(&ExtractInput { limits: &limits, ..input });
            prop_assert!(all.targets.starts_with(&capped.targets));
            prop_assert!(all.concepts.starts_with(&capped.concepts));
            prop_assert_eq!(capped.targets.len(), all.targets.len().min(limits.max_targets));
            prop_assert_eq!(capped.concepts.len(), all.concepts.len().min(limits.max_concepts));
        }
    }

    /// Every bead in `../shared/data/beads/` goes through without panicking
    /// and keeps the invariants. Fails when the data is not there.
    #[test]
    fn test_real_data_invariants() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/beads");
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
            panic!(
                "missing test data {}: {e}: keep ../shared beside this checkout",
                dir.display()
            )
        });
        let tracked = tracked();
        let vocabulary = vocabulary();
        let limits = Limits::default();
        let field = |bead: &serde_json::Value, key: &str| {
            bead[key].as_str().unwrap_or_default().to_string()
        };
        let mut beads = 0;
        let mut with_targets = 0;
        for entry in entries.flatten() {
            if entry.path().extension().is_none_or(|e| e != "jsonl") {
                continue;
            }
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for line in text.lines() {
                let bead: serde_json::Value = serde_json::from_str(line).unwrap();
                let spec = ["design", "acceptance_criteria", "notes"]
                    .map(|k| field(&bead, k))
                    .join("\n");
                let (title, body) = (field(&bead, "title"), field(&bead, "description"));
                let input = ExtractInput {
                    title: &title,
                    body: &body,
                    spec: &spec,
                    tracked: &tracked,
                    vocabulary: &vocabulary,
                    limits: &limits,
                };
                let got = Heuristic.extract(&input);
                check_invariants(&got, &limits, &tracked, &vocabulary);
                beads += 1;
                with_targets += usize::from(!got.targets.is_empty());
            }
        }
        assert!(
            beads > 0,
            "no *.jsonl in {}: keep ../shared beside this checkout",
            dir.display()
        );
        assert!(with_targets > 0, "no targets in {beads} beads");
    }
}
