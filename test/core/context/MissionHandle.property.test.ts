/**
 * Properties of mission handle resolution (docs/execution-context.md §7) and of the naming grammar it
 * reads (§2.2). The ladder is restated below from the spec's table (`specLadder`), independently of
 * the implementation, and every resolution is compared with it. Seeds are fixed.
 * Bare section numbers (§N) cite docs/execution-context.md.
 */
import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import type { ContextError } from "../../../src/core/context/ContextError.js"
import { checkHandle, handleNeedsIds, resolveHandleIn } from "../../../src/core/context/MissionHandle.js"
import type { HandleCandidate, ResolvedHandle } from "../../../src/core/context/MissionHandle.js"
import { isMid8, isUlid, mid8SuffixOf, stripNumberPrefix, suffixed } from "../../../src/core/repo/Naming.js"
import { corpusMissions } from "../../support/corpus.js"

const SEED = 7_340_211
const RUNS = 400

type Resolve = (handle: string, candidates: ReadonlyArray<HandleCandidate>) => Either.Either<ResolvedHandle, ContextError>
type Check = (handle: string | null | undefined, available: ReadonlyArray<string>) => Either.Either<string, ContextError>

// ---------------------------------------------------------------------------------------------
// Generators
// ---------------------------------------------------------------------------------------------

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
const crockfordChars = (n: number) =>
  fc.array(fc.constantFrom(...CROCKFORD), { minLength: n, maxLength: n }).map((cs) => cs.join(""))
/** Real ULIDs start with a timestamp, so the first character is 0-7. */
const mid8Arb = fc.tuple(fc.constantFrom(..."01234567"), crockfordChars(7)).map(([h, t]) => h + t)
const tailArb = crockfordChars(18)
const ulidArb = fc.tuple(mid8Arb, tailArb).map(([m, t]) => m + t)
const nnnArb = fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, "0"))

/** Words of human slugs; `payments` and `deadbeef` upper-case to valid mid8s (R-HANDLE-3). */
const LETTER_WORDS = ["status", "model", "cli", "readiness", "payments", "deadbeef", "auth", "tranche", "lane", "coord"]
const DIGIT_WORDS = ["2x", "555", "v2", "828"]
/** A human slug `[a-z0-9]+(-[a-z0-9]+)*` whose first word has letters (never all digits). */
const humanArb = fc
  .tuple(fc.constantFrom(...LETTER_WORDS), fc.array(fc.constantFrom(...LETTER_WORDS, ...DIGIT_WORDS), { maxLength: 2 }))
  .map(([w, ws]) => [w, ...ws].join("-"))

type Form = "legacy" | "modern" | "backfilled" | "bare" | "odd"

interface Pool {
  readonly humans: ReadonlyArray<string>
  readonly nnns: ReadonlyArray<string>
  readonly mid8s: ReadonlyArray<string>
  readonly tails: ReadonlyArray<string>
}

/** Small per-index pools, so that names, numbers, mid8s and whole ids collide often. */
const poolArb: fc.Arbitrary<Pool> = fc.record({
  humans: fc.uniqueArray(humanArb, { minLength: 1, maxLength: 4 }),
  nnns: fc.uniqueArray(nnnArb, { minLength: 1, maxLength: 3 }),
  mid8s: fc.uniqueArray(mid8Arb, { minLength: 1, maxLength: 4 }),
  tails: fc.uniqueArray(tailArb, { minLength: 1, maxLength: 3 })
})

const candidateOf = (pool: Pool): fc.Arbitrary<HandleCandidate> =>
  fc
    .record({
      form: fc.constantFrom<Form>("legacy", "modern", "modern", "backfilled", "bare", "odd"),
      h: fc.nat(pool.humans.length - 1),
      n: fc.nat(pool.nnns.length - 1),
      m: fc.nat(pool.mid8s.length - 1),
      t: fc.nat(pool.tails.length - 1),
      idKind: fc.constantFrom("own", "own", "own", "none", "other"),
      odd: fc.nat(4)
    })
    .map(({ form, h, idKind, m, n, odd, t }) => {
      const human = pool.humans[h]
      const nnn = pool.nnns[n]
      const mid8 = pool.mid8s[m]
      const ownId = mid8 + pool.tails[t]
      const otherId = pool.mid8s[(m + 1) % pool.mid8s.length] + pool.tails[t]
      // Odd legacy names that compete across rungs: a dir named like a mid8, a lower-case mid8, a
      // bare number, an all-digit name, or a `NNN-` name whose slug is Crockford-shaped.
      const oddNames = [mid8, mid8.toLowerCase(), nnn, "2024", `${nnn}-${mid8}`]
      const name = form === "legacy"
        ? `${nnn}-${human}`
        : form === "modern"
        ? `${human}-${mid8}`
        : form === "backfilled"
        ? `${nnn}-${human}-${mid8}`
        : form === "bare"
        ? human
        : oddNames[odd]
      const hasSuffix = form === "modern" || form === "backfilled"
      const missionId = idKind === "none" ? null : idKind === "other" && !hasSuffix ? otherId : ownId
      return { name, missionId }
    })

/** A candidate index (unique dir names), at most 15 so `available_missions` lists every name. */
const indexArb: fc.Arbitrary<ReadonlyArray<HandleCandidate>> = poolArb.chain((pool) =>
  fc.uniqueArray(candidateOf(pool), {
    maxLength: 12,
    selector: (c) => c.name
  })
)

/** How a user may name a mission (README: "any handle form"). */
type HandleForm = "dir" | "slug" | "human" | "mid8" | "mid8_lower" | "ulid" | "ulid_lower" | "number"
const HANDLE_FORMS: ReadonlyArray<HandleForm> = ["dir", "slug", "human", "mid8", "mid8_lower", "ulid", "ulid_lower", "number"]

/** The handle of form `form` for candidate `c`, or null when `c` has no such form. */
const handleFor = (c: HandleCandidate, form: HandleForm): string | null => {
  const numbered = /^\d{3}-/.test(c.name)
  const suffix = mid8SuffixOf(c.name)
  switch (form) {
    case "dir":
      return c.name
    case "slug":
      return numbered ? c.name.slice(4) : null
    case "human":
      return suffix === null ? null : stripNumberPrefix(c.name).slice(0, -(suffix.length + 1))
    case "mid8":
      return c.missionId === null ? null : c.missionId.slice(0, 8)
    case "mid8_lower":
      return c.missionId === null ? null : c.missionId.slice(0, 8).toLowerCase()
    case "ulid":
      return c.missionId
    case "ulid_lower":
      return c.missionId === null ? null : c.missionId.toLowerCase()
    case "number":
      return numbered ? c.name.slice(0, 3) : null
  }
}

interface Scenario {
  readonly candidates: ReadonlyArray<HandleCandidate>
  readonly chosen: HandleCandidate
  readonly form: HandleForm
  readonly handle: string
}

/** A candidate index, one chosen candidate and a handle derived from it in one of its forms. */
const scenarioOf = (index: fc.Arbitrary<ReadonlyArray<HandleCandidate>>): fc.Arbitrary<Scenario> =>
  index
    .filter((cs) => cs.length > 0)
    .chain((candidates) =>
      fc.record({ i: fc.nat(candidates.length - 1), form: fc.constantFrom(...HANDLE_FORMS) }).map(({ form, i }) => {
        const chosen = candidates[i]
        const h = handleFor(chosen, form)
        return h === null
          ? { candidates, chosen, form: "dir" as const, handle: chosen.name }
          : { candidates, chosen, form, handle: h }
      })
    )

/** Realistic, collision-free indexes: distinct human slugs, numbers and mid8s. */
const distinctIndexArb: fc.Arbitrary<ReadonlyArray<HandleCandidate>> = fc
  .integer({ min: 1, max: 10 })
  .chain((k) =>
    fc.tuple(
      fc.uniqueArray(humanArb, { minLength: k, maxLength: k }),
      fc.uniqueArray(nnnArb, { minLength: k, maxLength: k }),
      fc.uniqueArray(mid8Arb, { minLength: k, maxLength: k }),
      fc.array(fc.tuple(fc.constantFrom<Form>("legacy", "modern", "backfilled", "bare"), tailArb, fc.boolean()), {
        minLength: k,
        maxLength: k
      })
    )
  )
  .map(([humans, nnns, mid8s, shapes]) =>
    shapes.map(([form, tail, withId], i) => {
      const name = form === "legacy"
        ? `${nnns[i]}-${humans[i]}`
        : form === "modern"
        ? `${humans[i]}-${mid8s[i]}`
        : form === "backfilled"
        ? `${nnns[i]}-${humans[i]}-${mid8s[i]}`
        : humans[i]
      return { name, missionId: withId ? mid8s[i] + tail : null }
    })
  )

const noiseHandleArb = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,12}$/),
  fc.stringMatching(/^\d{1,4}$/),
  mid8Arb,
  mid8Arb.map((m) => m.toLowerCase()),
  ulidArb,
  humanArb
)

/** Any handle a user might type against an index: derived forms, pool-ish strings and noise. */
const handleAgainst = (candidates: ReadonlyArray<HandleCandidate>): fc.Arbitrary<string> => {
  const derived = candidates.flatMap((c) => HANDLE_FORMS.map((f) => handleFor(c, f))).filter((h) => h !== null)
  return derived.length === 0 ? noiseHandleArb : fc.oneof(fc.constantFrom(...derived), noiseHandleArb)
}

// ---------------------------------------------------------------------------------------------
// The ladder, restated from the spec table (§7.3) without the implementation's helpers
// ---------------------------------------------------------------------------------------------

const C = "[0-9A-HJKMNP-TV-Z]"
const ULID_SHAPE = new RegExp(`^${C}{26}$`)
const MID8_SHAPE = new RegExp(`^${C}{8}$`)
const ENDS_IN_MID8 = new RegExp(`^(.*)-${C}{8}$`)

type Rung = "ulid" | "mid8" | "dir_name" | "slug" | "human_slug" | "number" | "folded_id"
const RUNGS: ReadonlyArray<Rung> = ["ulid", "mid8", "dir_name", "slug", "human_slug", "number", "folded_id"]

const idMatch = (h: string, c: HandleCandidate): "ulid" | "mid8" | null =>
  ULID_SHAPE.test(h) ? (c.missionId === h ? "ulid" : null) : MID8_SHAPE.test(h) && c.missionId !== null &&
      c.missionId.startsWith(h)
    ? "mid8"
    : null

const rungMatches = (rung: Rung, h: string, c: HandleCandidate): boolean => {
  const allDigits = /^\d+$/.test(h)
  const withoutNumber = c.name.replace(/^\d{3}-/, "")
  switch (rung) {
    case "ulid":
      return ULID_SHAPE.test(h) && c.missionId === h
    case "mid8":
      return MID8_SHAPE.test(h) && c.missionId !== null && c.missionId.startsWith(h)
    case "dir_name":
      return c.name === h
    case "slug":
      return !allDigits && withoutNumber === h
    case "human_slug":
      return !allDigits && ENDS_IN_MID8.exec(withoutNumber)?.[1] === h
    case "number":
      return /^\d{3}$/.test(h) && c.name.startsWith(`${h}-`)
    case "folded_id":
      return h !== h.toUpperCase() && idMatch(h.toUpperCase(), c) !== null
  }
}

interface LadderOutcome {
  readonly decided: boolean
  readonly rung: Rung | null
  readonly winners: ReadonlyArray<string>
}

/** R-HANDLE-2: the first rung with at least one match decides. */
const specLadder = (h: string, candidates: ReadonlyArray<HandleCandidate>): LadderOutcome => {
  for (const rung of RUNGS) {
    const winners = candidates.filter((c) => rungMatches(rung, h, c)).map((c) => c.name).sort()
    if (winners.length > 0) return { decided: true, rung, winners }
  }
  return { decided: false, rung: null, winners: [] }
}

/** The level label the implementation reports for a rung (level 7 reuses the id labels). */
const levelLabel = (rung: Rung, h: string): string =>
  rung === "folded_id" ? (ULID_SHAPE.test(h.toUpperCase()) ? "ulid" : "mid8") : rung

/** The rung at which a handle of this form is guaranteed to match its own candidate. */
const formRung = (form: HandleForm, handle: string): Rung => {
  switch (form) {
    case "dir":
      return "dir_name"
    case "slug":
      return "slug"
    case "human":
      return "human_slug"
    case "number":
      return "number"
    case "mid8":
      return "mid8"
    case "ulid":
      return "ulid"
    case "mid8_lower":
      return MID8_SHAPE.test(handle) ? "mid8" : "folded_id"
    case "ulid_lower":
      return ULID_SHAPE.test(handle) ? "ulid" : "folded_id"
  }
}

/** The outcome of a resolution, reduced to what the ladder determines. */
const outcomeOf = (r: Either.Either<ResolvedHandle, ContextError>) =>
  Either.match(r, {
    onRight: (ok) => ({ code: "RESOLVED", slug: ok.slug, level: ok.level, candidates: [ok.slug] as ReadonlyArray<string> }),
    onLeft: (e) => ({
      code: e.code,
      slug: null,
      level: (e.details.level as string | undefined) ?? null,
      candidates: e.code === "MISSION_AMBIGUOUS_SELECTOR"
        ? (e.details.candidates as ReadonlyArray<string>)
        : [...((e.details.available_missions as ReadonlyArray<string> | undefined) ?? [])].sort()
    })
  })

// ---------------------------------------------------------------------------------------------
// Property bodies (parameterised by the function under test, so they can be run on planted bugs)
// ---------------------------------------------------------------------------------------------

const agreesWithSpecLadder = (resolve: Resolve) => ([candidates, handle]: readonly [ReadonlyArray<HandleCandidate>, string]) => {
  const expected = specLadder(handle, candidates)
  const got = outcomeOf(resolve(handle, candidates))
  if (!expected.decided) {
    assert.strictEqual(got.code, "FEATURE_CONTEXT_UNRESOLVED", handle)
    assert.deepStrictEqual(got.candidates, candidates.map((c) => c.name).slice(0, 15).sort())
    return
  }
  const level = levelLabel(expected.rung!, handle)
  if (expected.winners.length === 1) {
    assert.deepStrictEqual(got, { code: "RESOLVED", slug: expected.winners[0], level, candidates: expected.winners })
  } else {
    assert.deepStrictEqual(got, { code: "MISSION_AMBIGUOUS_SELECTOR", slug: null, level, candidates: expected.winners })
  }
}

const derivedHandleFindsItsMission = (resolve: Resolve) => (s: Scenario) => {
  const got = outcomeOf(resolve(s.handle, s.candidates))
  assert.notStrictEqual(got.code, "FEATURE_CONTEXT_UNRESOLVED", `${s.form} ${s.handle}`)
  if (got.candidates.includes(s.chosen.name)) return
  // Another mission won: only a rung above the one this form is guaranteed to match may shadow it.
  const own = RUNGS.indexOf(formRung(s.form, s.handle))
  const decided = specLadder(s.handle, s.candidates)
  assert.isTrue(decided.rung !== null && RUNGS.indexOf(decided.rung) < own, `${s.form} ${s.handle} -> ${got.slug}`)
  assert.deepStrictEqual(got.candidates, decided.winners)
}

const derivedHandleResolvesExactly = (resolve: Resolve) => (s: Scenario) => {
  const got = outcomeOf(resolve(s.handle, s.candidates))
  assert.deepStrictEqual(got, {
    code: "RESOLVED",
    slug: s.chosen.name,
    level: levelLabel(formRung(s.form, s.handle), s.handle),
    candidates: [s.chosen.name]
  })
}

const permutationInvariant = (resolve: Resolve) =>
([candidates, shuffled, handle]: readonly [ReadonlyArray<HandleCandidate>, ReadonlyArray<HandleCandidate>, string]) => {
  assert.deepStrictEqual(outcomeOf(resolve(handle, shuffled)), outcomeOf(resolve(handle, candidates)))
}

const SAFE_HANDLE = /^[A-Za-z0-9._-]{1,255}$/
const isSafeBySpec = (h: string) => SAFE_HANDLE.test(h) && !h.startsWith(".") && !h.includes("..")

const gateMatchesSpec = (check: Check) => (h: string) => {
  const r = check(h, ["a-mission"])
  if (h === "") {
    assert.isTrue(Either.isLeft(r) && r.left.code === "FEATURE_CONTEXT_UNRESOLVED")
  } else if (isSafeBySpec(h)) {
    assert.deepStrictEqual(r, Either.right(h))
  } else {
    assert.isTrue(Either.isLeft(r), JSON.stringify(h))
    if (Either.isLeft(r)) {
      assert.strictEqual(r.left.code, "INVALID_MISSION_HANDLE")
      assert.strictEqual(r.left.details.handle, h)
    }
  }
}

const idsIrrelevantUnlessNeeded = (needsIds: (h: string) => boolean, resolve: Resolve) =>
([candidates, handle]: readonly [ReadonlyArray<HandleCandidate>, string]) => {
  if (needsIds(handle)) return
  const blind = candidates.map((c) => ({ name: c.name, missionId: null }))
  assert.deepStrictEqual(outcomeOf(resolve(handle, blind)), outcomeOf(resolve(handle, candidates)), handle)
}

/** Runs a property body with fast-check and reports whether it found a counterexample. */
const refutes = <T>(arb: fc.Arbitrary<T>, body: (t: T) => void, numRuns = RUNS): boolean =>
  fc.check(fc.property(arb, body), { seed: SEED, numRuns, endOnFailure: true }).failed

const withHandle = indexArb.chain((cs) => fc.tuple(fc.constant(cs), handleAgainst(cs)))
const withShuffle = indexArb.chain((cs) =>
  fc.tuple(fc.constant(cs), fc.shuffledSubarray([...cs], { minLength: cs.length, maxLength: cs.length }), handleAgainst(cs))
)

/** Characters for the safety gate: the safe set, dots, and each unsafe family. */
const GATE_CHARS = [
  ..."abcXYZ019._-",
  ".",
  ".",
  " ",
  "\t",
  "\n",
  "\u00a0",
  "\u2028",
  "\ufeff",
  "/",
  "\\",
  "@",
  ":",
  "*",
  "~",
  "+",
  "%",
  "é",
  "\u0000"
]
const gateHandleArb = fc.oneof(
  fc.array(fc.constantFrom(...GATE_CHARS), { maxLength: 20 }).map((cs) => cs.join("")),
  fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{250,260}$/)
)

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe("Naming grammar (§2.2)", () => {
  it.prop("ULIDs and their mid8s are recognised; case, length and I/L/O/U are not", [ulidArb, fc.nat(25)], ([u, i]) => {
    assert.isTrue(isUlid(u))
    assert.isTrue(isMid8(u.slice(0, 8)))
    assert.isFalse(isMid8(u))
    assert.isFalse(isUlid(u.slice(0, 25)))
    assert.isFalse(isUlid(u + "0"))
    for (const bad of "ILOU") assert.isFalse(isUlid(u.slice(0, i) + bad + u.slice(i + 1)))
    const lower = u.toLowerCase()
    assert.strictEqual(isUlid(lower), lower === u)
  }, { fastCheck: { numRuns: RUNS, seed: SEED } })

  it.prop("stripNumberPrefix removes exactly one leading NNN-", [nnnArb, fc.string({ maxLength: 12 })], ([nnn, rest]) => {
    assert.strictEqual(stripNumberPrefix(`${nnn}-${rest}`), rest)
    assert.strictEqual(stripNumberPrefix(`${nnn}-${nnn}-${rest}`), `${nnn}-${rest}`)
    assert.strictEqual(stripNumberPrefix(`${nnn}0-${rest}`), `${nnn}0-${rest}`)
    if (!/^\d{3}-/.test(rest)) assert.strictEqual(stripNumberPrefix(rest), rest)
  }, { fastCheck: { numRuns: RUNS, seed: SEED } })

  it.prop(
    "mid8SuffixOf reads the mid8 of modern and backfilled names and nothing from legacy ones",
    [humanArb, nnnArb, mid8Arb],
    ([human, nnn, mid8]) => {
      assert.strictEqual(mid8SuffixOf(`${human}-${mid8}`), mid8)
      assert.strictEqual(mid8SuffixOf(`${nnn}-${human}-${mid8}`), mid8)
      assert.isNull(mid8SuffixOf(`${nnn}-${human}`))
      assert.isNull(mid8SuffixOf(human))
      if (mid8 !== mid8.toLowerCase()) assert.isNull(mid8SuffixOf(`${human}-${mid8.toLowerCase()}`))
      // The suffix is read after the NNN- strip: `NNN-<mid8>` has no `-<mid8>` suffix.
      assert.isNull(mid8SuffixOf(`${nnn}-${mid8}`))
    },
    { fastCheck: { numRuns: RUNS, seed: SEED } }
  )

  it.prop("suffixed appends -<mid8> once and is idempotent", [humanArb, mid8Arb], ([human, mid8]) => {
    const once = suffixed(human, mid8)
    assert.strictEqual(once, `${human}-${mid8}`)
    assert.strictEqual(suffixed(once, mid8), once)
    assert.strictEqual(mid8SuffixOf(once), mid8)
    assert.strictEqual(stripNumberPrefix(once).slice(0, -(mid8.length + 1)), human)
  }, { fastCheck: { numRuns: RUNS, seed: SEED } })
})

describe("checkHandle: the safety gate (§7.1, R-HANDLE-1)", () => {
  it.prop("accepts exactly the safe handles", [gateHandleArb], ([h]) => gateMatchesSpec(checkHandle)(h), {
    fastCheck: { numRuns: 2000, seed: SEED }
  })

  const injections: ReadonlyArray<readonly [string, (safe: string, at: number, ch: string) => string]> = [
    ["whitespace", (s, at, ch) => s.slice(0, at) + ch + s.slice(at)],
    ["/", (s, at) => s.slice(0, at) + "/" + s.slice(at)],
    ["\\", (s, at) => s.slice(0, at) + "\\" + s.slice(at)],
    ["..", (s, at) => s.slice(0, at) + ".." + s.slice(at)],
    ["leading .", (s) => "." + s],
    ["outside the set", (s, at, ch) => s.slice(0, at) + (ch.trim() === "" ? "é" : ch) + s.slice(at)],
    ["over 255", (s) => s.padEnd(256, "x")]
  ]
  it.prop(
    "an unsafe feature injected into a safe handle is always rejected with INVALID_MISSION_HANDLE",
    [
      fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9_-]{0,30}$/),
      fc.nat(31),
      fc.constantFrom(" ", "\t", "\n", "\r", "\u00a0", "\u2028", "\u3000", "\ufeff"),
      fc.nat(injections.length - 1)
    ],
    ([safe, at, ws, k]) => {
      assert.deepStrictEqual(checkHandle(safe, []), Either.right(safe))
      const [, inject] = injections[k]
      const bad = inject(safe, Math.min(at, safe.length), ws)
      const r = checkHandle(bad, [])
      assert.isTrue(Either.isLeft(r) && r.left.code === "INVALID_MISSION_HANDLE", JSON.stringify(bad))
    },
    { fastCheck: { numRuns: RUNS, seed: SEED } }
  )

  it("missing handles are FEATURE_CONTEXT_UNRESOLVED with the first 15 available names", () => {
    const names = Array.from({ length: 20 }, (_, i) => `m${String(i).padStart(2, "0")}`)
    for (const missing of [null, undefined, ""]) {
      const r = checkHandle(missing, names)
      assert.isTrue(Either.isLeft(r))
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left.code, "FEATURE_CONTEXT_UNRESOLVED")
        assert.deepStrictEqual(r.left.details, {
          handle: null,
          reason: "missing",
          available_missions: names.slice(0, 15),
          available_count: 20
        })
        assert.include(r.left.message, "(15 of 20 listed)", "the message says the list is cut")
      }
    }
  })

  it.prop("every handle derived from a realistic mission is safe", [scenarioOf(indexArb)], ([s]) => {
    assert.deepStrictEqual(checkHandle(s.handle, []), Either.right(s.handle))
  }, { fastCheck: { numRuns: RUNS, seed: SEED } })
})

describe("resolveHandleIn: the precedence ladder (§7.3, R-HANDLE-2)", () => {
  it.prop("agrees with the ladder restated from the spec table", [withHandle], ([x]) => agreesWithSpecLadder(resolveHandleIn)(x), {
    fastCheck: { numRuns: 1000, seed: SEED }
  })

  it.prop(
    "a handle derived from mission c resolves to c, is ambiguous with c listed, or is shadowed by a higher rung",
    [scenarioOf(indexArb)],
    ([s]) => derivedHandleFindsItsMission(resolveHandleIn)(s),
    { fastCheck: { numRuns: 1000, seed: SEED } }
  )

  it.prop(
    "in a collision-free index every handle form resolves to its own mission at its own rung",
    [scenarioOf(distinctIndexArb)],
    ([s]) => derivedHandleResolvesExactly(resolveHandleIn)(s),
    { fastCheck: { numRuns: 1000, seed: SEED } }
  )

  it.prop("the outcome does not depend on the order of the candidates", [withShuffle], ([x]) => permutationInvariant(resolveHandleIn)(x), {
    fastCheck: { numRuns: 1000, seed: SEED }
  })

  it.prop(
    "a handle matching nothing is FEATURE_CONTEXT_UNRESOLVED listing the first 15 names",
    [indexArb, fc.constantFrom(...LETTER_WORDS), fc.nat(99)],
    ([candidates, word, n]) => {
      // '_' appears in no generated name and in no Crockford id, so no rung can match.
      const handle = `no_${word}_${n}`
      const r = resolveHandleIn(handle, candidates)
      assert.isTrue(Either.isLeft(r))
      if (Either.isLeft(r)) {
        assert.strictEqual(r.left.code, "FEATURE_CONTEXT_UNRESOLVED")
        const { suggestions, ...rest } = r.left.details as { suggestions?: ReadonlyArray<string> }
        assert.deepStrictEqual(rest, {
          handle,
          available_missions: candidates.map((c) => c.name).slice(0, 15),
          available_count: candidates.length
        })
        for (const s of suggestions ?? []) assert.include(candidates.map((c) => c.name), s)
      }
    },
    { fastCheck: { numRuns: RUNS, seed: SEED } }
  )

  it.prop(
    "with a sorted index (as RepoFs.entries gives it), available_missions are the first 15 sorted names",
    [fc.uniqueArray(humanArb, { minLength: 16, maxLength: 40 })],
    ([names]) => {
      const sorted = [...names].sort()
      const r = resolveHandleIn("no_such_mission", sorted.map((name) => ({ name, missionId: null })))
      assert.isTrue(Either.isLeft(r) && r.left.details.available_missions !== undefined)
      if (Either.isLeft(r)) assert.deepStrictEqual(r.left.details.available_missions, sorted.slice(0, 15))
    },
    { fastCheck: { numRuns: 100, seed: SEED } }
  )

  it.prop(
    "handleNeedsIds: when it says no, the candidates' mission ids cannot change the outcome",
    [withHandle],
    ([x]) => idsIrrelevantUnlessNeeded(handleNeedsIds, resolveHandleIn)(x),
    { fastCheck: { numRuns: 1000, seed: SEED } }
  )

  it.prop(
    "handleNeedsIds holds for every id-shaped handle in either case",
    [ulidArb],
    ([u]) => {
      for (const h of [u, u.toLowerCase(), u.slice(0, 8), u.slice(0, 8).toLowerCase()]) assert.isTrue(handleNeedsIds(h), h)
      assert.isFalse(handleNeedsIds(u.slice(0, 7)))
      assert.isFalse(handleNeedsIds(u.slice(0, 9)))
    },
    { fastCheck: { numRuns: RUNS, seed: SEED } }
  )

  // One example per pair of rungs that can compete for the same handle: the higher rung wins.
  const ID = "01KZY2FG5N4M3Q2R1S0T9V8W7X"
  const ladderPairs: ReadonlyArray<
    readonly [string, string, ReadonlyArray<HandleCandidate>, { readonly slug: string; readonly level: string }]
  > = [
    ["ulid over dir_name", ID, [{ name: ID, missionId: null }, { name: "x-01KZY2FG", missionId: ID }], {
      slug: "x-01KZY2FG",
      level: "ulid"
    }],
    ["mid8 over dir_name", "01KZY2FG", [{ name: "01KZY2FG", missionId: null }, { name: "x-01KZY2FG", missionId: ID }], {
      slug: "x-01KZY2FG",
      level: "mid8"
    }],
    ["mid8 over number (an all-digit mid8)", "01234567", [{ name: "012-x", missionId: null }, {
      name: "y-01234567",
      missionId: "01234567" + ID.slice(8)
    }], { slug: "y-01234567", level: "mid8" }],
    ["dir_name over slug", "lane", [{ name: "001-lane", missionId: null }, { name: "lane", missionId: null }], {
      slug: "lane",
      level: "dir_name"
    }],
    ["dir_name over number", "007", [{ name: "007-x", missionId: null }, { name: "007", missionId: null }], {
      slug: "007",
      level: "dir_name"
    }],
    ["slug over human_slug", "lane", [{ name: "lane-01KZY2FG", missionId: null }, { name: "001-lane", missionId: null }], {
      slug: "001-lane",
      level: "slug"
    }],
    ["dir_name over a folded id (R-HANDLE-3)", "payments", [{ name: "x-PAYMENTS", missionId: "PAYMENTS" + ID.slice(8) }, {
      name: "payments",
      missionId: null
    }], { slug: "payments", level: "dir_name" }],
    ["human_slug over a folded id", "payments", [{ name: "x-PAYMENTS", missionId: "PAYMENTS" + ID.slice(8) }, {
      name: "payments-01KZY2FG",
      missionId: null
    }], { slug: "payments-01KZY2FG", level: "human_slug" }],
    ["a folded mid8 when nothing else matches", "01kzy2fg", [{ name: "x-01KZY2FG", missionId: ID }], {
      slug: "x-01KZY2FG",
      level: "mid8"
    }]
  ]
  it.each(ladderPairs)("%s", (_name, handle, candidates, expected) => {
    assert.deepStrictEqual(resolveHandleIn(handle, candidates), Either.right(expected))
    assert.deepStrictEqual(resolveHandleIn(handle, [...candidates].reverse()), Either.right(expected))
  })

  it("an ambiguous higher rung stops the ladder even when a lower rung has a single match", () => {
    const r = resolveHandleIn("01KZY2FG", [
      { name: "a-01KZY2FG", missionId: "01KZY2FG" + "0".repeat(18) },
      { name: "b-01KZY2FG", missionId: "01KZY2FG" + "1".repeat(18) },
      { name: "01KZY2FG", missionId: null }
    ])
    assert.isTrue(Either.isLeft(r))
    if (Either.isLeft(r)) {
      assert.deepStrictEqual(r.left.details, { handle: "01KZY2FG", level: "mid8", candidates: ["a-01KZY2FG", "b-01KZY2FG"] })
    }
  })

  it("all-digit handles skip the slug rungs (R-HANDLE-4): `001-2024` is not reached through `2024`", () => {
    const r = resolveHandleIn("2024", [{ name: "001-2024", missionId: null }])
    assert.isTrue(Either.isLeft(r) && r.left.code === "FEATURE_CONTEXT_UNRESOLVED")
    assert.isTrue(Either.isLeft(resolveHandleIn("34", [{ name: "034-x", missionId: null }])))
  })
})

describe("the real corpus index", () => {
  const candidates: ReadonlyArray<HandleCandidate> = corpusMissions().map((m) => {
    const id = m.metaText === null ? undefined : (JSON.parse(m.metaText) as { mission_id?: unknown }).mission_id
    return { name: m.name, missionId: typeof id === "string" && isUlid(id) ? id : null }
  })

  it("every form of every corpus mission is safe and finds its mission (or is shadowed by a higher rung)", () => {
    assert.isAbove(candidates.length, 200)
    let resolvedExactly = 0
    for (const chosen of candidates) {
      for (const form of HANDLE_FORMS) {
        const handle = handleFor(chosen, form)
        if (handle === null) continue
        assert.deepStrictEqual(checkHandle(handle, []), Either.right(handle))
        derivedHandleFindsItsMission(resolveHandleIn)({ candidates, chosen, form, handle })
        agreesWithSpecLadder(resolveHandleIn)([candidates, handle])
        const r = resolveHandleIn(handle, candidates)
        if (Either.isRight(r) && r.right.slug === chosen.name) resolvedExactly++
      }
    }
    assert.isAbove(resolvedExactly, 700)
  })
})

describe("non-vacuity: each property catches a planted bug", () => {
  /** Picks the first of several candidates instead of reporting ambiguity (violates R-HANDLE-5). */
  const guessing: Resolve = (h, cs) =>
    Either.orElse(resolveHandleIn(h, cs), (e) =>
      e.code === "MISSION_AMBIGUOUS_SELECTOR"
        ? Either.right({ slug: (e.details.candidates as ReadonlyArray<string>)[0], level: e.details.level as string })
        : Either.left(e))
  /** Picks the first ambiguous candidate in input order: order-dependent. */
  const firstInInputOrder: Resolve = (h, cs) =>
    Either.orElse(resolveHandleIn(h, cs), (e) => {
      if (e.code !== "MISSION_AMBIGUOUS_SELECTOR") return Either.left(e)
      const names = e.details.candidates as ReadonlyArray<string>
      return Either.right({ slug: cs.find((c) => names.includes(c.name))!.name, level: e.details.level as string })
    })
  /** Forgets level 7: lower-case ids never see the mission ids. */
  const noFolding: Resolve = (h, cs) =>
    resolveHandleIn(h, h === h.toUpperCase() ? cs : cs.map((c) => ({ name: c.name, missionId: null })))
  /** Tries the human slug before the slug. */
  const humanBeforeSlug: Resolve = (h, cs) => {
    const human = cs.filter((c) => rungMatches("human_slug", h, c))
    const higher = cs.some((c) => (["ulid", "mid8", "dir_name"] as const).some((r) => rungMatches(r, h, c)))
    return !higher && human.length === 1 ? Either.right({ slug: human[0].name, level: "human_slug" }) : resolveHandleIn(h, cs)
  }
  /** Forgets the leading-dot rule. */
  const dotsAllowed: Check = (h, available) =>
    typeof h === "string" && /^\.[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(h) && !h.includes("..") ? Either.right(h) : checkHandle(h, available)
  /** Forgets the lower-case forms. */
  const upperOnlyNeedsIds = (h: string) => isUlid(h) || isMid8(h)

  it("the spec-ladder property catches a resolver that guesses among ambiguous candidates", () => {
    assert.isTrue(refutes(withHandle, agreesWithSpecLadder(guessing)))
  })
  it("the spec-ladder property catches a swapped slug / human_slug order", () => {
    const swapped = fc.tuple(
      fc.constant<ReadonlyArray<HandleCandidate>>([{ name: "lane-01KZY2FG", missionId: null }]),
      humanArb
    ).map(([cs, h]) => [[...cs, { name: `001-${h}`, missionId: null }, { name: `${h}-0123ABCD`, missionId: null }], h] as const)
    assert.isTrue(refutes(swapped, agreesWithSpecLadder(humanBeforeSlug), 50))
  })
  it("the derived-handle property catches a resolver without level 7", () => {
    assert.isTrue(refutes(scenarioOf(indexArb), derivedHandleFindsItsMission(noFolding)))
    assert.isTrue(refutes(scenarioOf(distinctIndexArb), derivedHandleResolvesExactly(noFolding)))
  })
  it("the permutation property catches an order-dependent resolver", () => {
    assert.isTrue(refutes(withShuffle, permutationInvariant(firstInInputOrder), 1000))
  })
  it("the gate property catches a gate that lets a leading dot through", () => {
    assert.isTrue(refutes(gateHandleArb, gateMatchesSpec(dotsAllowed), 2000))
  })
  it("the handleNeedsIds property catches a predicate blind to lower-case ids", () => {
    assert.isTrue(refutes(withHandle, idsIrrelevantUnlessNeeded(upperOnlyNeedsIds, resolveHandleIn), 1000))
  })
})
