/**
 * The implement-time bulk-edit inference (docs/surfaces.md §6.5): a pure function of a spec's wording.
 * Bare section numbers (§N) cite docs/surfaces.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { withFrontmatterFields, yamlScalar } from "../../../src/core/status/WorkPackageFile.js"
import { bulkEditInference, claimCommitMessage, vcsLockedMeta } from "../../../src/core/surfaces/ImplementRules.js"

describe("bulk-edit inference (§6.5)", () => {
  const cases: ReadonlyArray<readonly [string, number, ReadonlyArray<string>, boolean]> = [
    ["Add a health endpoint.", 0, [], false],
    ["Rename the flag.", 2, ["rename"], false],
    ["Rename the flag and migrate the config.", 4, ["migrate", "rename"], true],
    ["Run a codemod.", 3, ["codemod"], true],
    ["Rename across the repo.", 3, ["rename across"], true],
    ["Replace all callers.", 2, ["replace all"], true],
    ["Update docs across the codebase.", 2, ["across the codebase"], true],
    ["Rename all occurrences of Foo.", 3, ["rename all occurrences"], true],
    ["Renamed files and a migration.", 0, [], false],
    ["Use sed, then sed again. SED!", 2, ["sed"], false],
    ["Find-and-replace, or find and replace.", 6, ["find and replace", "find-and-replace"], true],
    ["A search and replace, not a replace everywhere.", 5, ["replace everywhere", "search and replace"], true]
  ]
  for (const [text, score, phrases, triggered] of cases) {
    it(`${JSON.stringify(text)} → ${score}`, () => {
      assert.deepStrictEqual(bulkEditInference(text), { score, phrases, triggered })
    })
  }
})

// The claim's writes outside the status log (docs/surfaces.md §2.2), against spec-kitty's formats.
describe("meta.json's VCS lock (spec-kitty's _ensure_vcs_in_meta + write_meta)", () => {
  it("adds vcs and vcs_locked_at and writes sorted keys, indent 2, non-ASCII kept, numbers as written", () => {
    const text = '{\n  "slug": "x",\n  "friendly_name": "Café",\n  "mission_number": 7,\n  "ratio": 1.0\n}\n'
    assert.strictEqual(
      vcsLockedMeta(text, "2026-01-02T03:04:05.123456+00:00"),
      '{\n  "friendly_name": "Café",\n  "mission_number": 7,\n  "ratio": 1.0,\n  "slug": "x",\n  "vcs": "git",\n' +
        '  "vcs_locked_at": "2026-01-02T03:04:05.123456+00:00"\n}\n'
    )
  })
  it("leaves a meta.json that already has a vcs key (any value), or is not an object, alone", () => {
    assert.isNull(vcsLockedMeta('{"vcs": "jj", "slug": "x"}', "t"))
    assert.isNull(vcsLockedMeta("[1]", "t"))
    assert.isNull(vcsLockedMeta("{", "t"))
  })
  it("the claim commit's subject is spec-kitty's", () => {
    assert.strictEqual(claimCommitMessage("WP03"), "chore: WP03 claimed for implementation")
  })
})

describe("the WP frontmatter update (spec-kitty's update_fields)", () => {
  it("string scalars as ruamel writes them: plain when they read back as the string, else single-quoted", () => {
    assert.strictEqual(yamlScalar("kitty/mission-demo-01JZC1A1"), "kitty/mission-demo-01JZC1A1")
    assert.strictEqual(yamlScalar("9f1c2a0b7e"), "9f1c2a0b7e")
    assert.strictEqual(yamlScalar("unknown"), "unknown")
    // what spec-kitty's serializer writes for these: `at: '2026-01-01'`, `title: 'Hello: world'`
    assert.strictEqual(yamlScalar("2026-01-01"), "'2026-01-01'")
    assert.strictEqual(yamlScalar("Hello: world"), "'Hello: world'")
    assert.strictEqual(yamlScalar("2026-12-07T05:53:49.123456+00:00"), "'2026-12-07T05:53:49.123456+00:00'")
    assert.strictEqual(yamlScalar("1234567"), "'1234567'")
    assert.strictEqual(yamlScalar("it's"), "it's")
    assert.strictEqual(yamlScalar("'quoted'"), "'''quoted'''")
  })
  it("inserts new keys where spec-kitty's key order puts them, replaces existing ones, keeps every other byte", () => {
    const before = "---\nwork_package_id: WP01\ntitle: Build\nsubtasks:\n- T001\nlane: planned\n---\n\n# WP01\n---\n"
    assert.strictEqual(
      withFrontmatterFields(before, [["dependencies", "[]", "raw"], ["base_branch", "main"], ["created_at", "2026-01-01T00:00:00+00:00"]]),
      "---\nwork_package_id: WP01\ntitle: Build\ndependencies: []\nbase_branch: main\n" +
        "created_at: '2026-01-01T00:00:00+00:00'\nsubtasks:\n- T001\nlane: planned\n---\n\n# WP01\n---\n"
    )
    const existing = "---\ntitle: X\nbase_branch:\n  old\nbase_commit: abc\n---\nbody\n"
    assert.strictEqual(
      withFrontmatterFields(existing, [["base_branch", "lane"], ["base_commit", "def"]]),
      "---\ntitle: X\nbase_branch: lane\nbase_commit: def\n---\nbody\n"
    )
    assert.strictEqual(
      withFrontmatterFields("---\r\ntitle: X\r\nzeta: 1\r\n---\r\nbody\r\n", [["base_branch", "b"]]),
      "---\r\ntitle: X\r\nbase_branch: b\r\nzeta: 1\r\n---\r\nbody\r\n"
    )
    assert.isNull(withFrontmatterFields("# no frontmatter\n", [["base_branch", "b"]]))
  })
})
