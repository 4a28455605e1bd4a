import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import { type Lane, LANES } from "../../../src/core/status/Lane.js"
import {
  type Actor,
  actorName,
  type DoneEvidence,
  EDGES,
  hasEdge,
  parseDoneEvidence,
  type ReviewResult,
  type TransitionContext,
  validateTransition
} from "../../../src/core/status/Transition.js"

const bare: TransitionContext = {
  force: false,
  actor: null,
  reason: null,
  workspaceContext: null,
  subtasksComplete: null,
  implementationEvidencePresent: null,
  reviewRef: null,
  evidence: null,
  reviewResult: null
}

const ctx = (overrides: Partial<TransitionContext> = {}): TransitionContext => ({ ...bare, ...overrides })

const evidence = (reviewer: string, verdict: string, reference: string): DoneEvidence => ({
  review: { reviewer, verdict, reference }
})

const result = (reviewer: string, verdict: string, reference: string): ReviewResult => ({
  reviewer,
  verdict,
  reference
})

const structured = (tool: string | null, role: string | null = null): Actor => ({
  role,
  profile: null,
  tool,
  model: null
})

/** Satisfies every guard of every edge. */
const full = ctx({
  actor: "claude",
  reason: "because",
  workspaceContext: "worktree:/repo",
  subtasksComplete: true,
  implementationEvidencePresent: true,
  reviewRef: "PR#1",
  evidence: evidence("alice", "approved", "PR#1"),
  reviewResult: result("alice", "approved", "PR#1")
})

const forced = ctx({ force: true, actor: "claude", reason: "repair" })

const APPROVAL = "Transition to approved/done requires evidence (reviewer identity and approval reference)"
const ACTOR = "Transition requires actor identity"
const FORCE = "Force transitions require actor and reason"
const G3_SUBTASKS = "Transition in_progress -> for_review requires completed subtasks or force with reason"
const G3_EVIDENCE = "Transition in_progress -> for_review requires implementation evidence or force with reason"
const G7A = "Transition from in_review requires review_result (structured review outcome)"
const G7B = "Transition from in_review requires review_result with reviewer"
const G7C = "Transition from in_review requires review_result with verdict"
const G7D = "Transition from in_review requires review_result with reference"
const G7E = "review_ref must match review_result.reference"
const G7F = "Review evidence must match review_result"
const MALFORMED = "Moving to done requires evidence with review.reviewer review.verdict, and review.reference"

/** Right lanes as "from->to", Left as the reason, so one assert shows both. */
const outcome = (from: string, to: string, context: TransitionContext): string =>
  Either.match(validateTransition(from, to, context), {
    onLeft: (reason) => `Left: ${reason}`,
    onRight: (lanes) => `Right: ${lanes.from}->${lanes.to}`
  })

interface Case {
  readonly name: string
  readonly from: string
  readonly to: string
  readonly ctx: TransitionContext
  /** null = allowed */
  readonly expected: string | null
}

const check = (cases: ReadonlyArray<Case>) => {
  for (const c of cases) {
    it(c.name, () => {
      const expected = c.expected === null ? `Right: ${c.from}->${c.to}` : `Left: ${c.expected}`
      assert.strictEqual(outcome(c.from, c.to, c.ctx), expected)
    })
  }
}

describe("Transition", () => {
  describe("edges", () => {
    for (const edge of EDGES) {
      const label = `${edge.from} -> ${edge.to} [${edge.guards.join("+") || "—"}]`
      it(`${label} passes with every guard satisfied`, () => {
        assert.strictEqual(outcome(edge.from, edge.to, full), `Right: ${edge.from}->${edge.to}`)
      })
      it(`${label} ${edge.guards.length === 0 ? "passes" : "fails"} with an empty context`, () => {
        assert.strictEqual(Either.isRight(validateTransition(edge.from, edge.to, bare)), edge.guards.length === 0)
      })
    }

    it("has exactly the 29 edges of §5.2, each once", () => {
      assert.strictEqual(EDGES.length, 29)
      assert.strictEqual(new Set(EDGES.map((e) => `${e.from}->${e.to}`)).size, 29)
      const targets = (from: Lane) => EDGES.filter((e) => e.from === from).map((e) => e.to).sort()
      assert.deepStrictEqual(targets("genesis"), ["canceled", "planned"])
      assert.deepStrictEqual(targets("planned"), ["blocked", "canceled", "claimed"])
      assert.deepStrictEqual(targets("claimed"), ["blocked", "canceled", "in_progress"])
      assert.deepStrictEqual(targets("in_progress"), ["approved", "blocked", "canceled", "for_review", "planned"])
      assert.deepStrictEqual(targets("for_review"), ["blocked", "canceled", "in_review"])
      assert.deepStrictEqual(targets("in_review"), [
        "approved",
        "blocked",
        "canceled",
        "done",
        "in_progress",
        "planned"
      ])
      assert.deepStrictEqual(targets("approved"), ["blocked", "canceled", "done", "in_progress", "planned"])
      assert.deepStrictEqual(targets("blocked"), ["canceled", "in_progress"])
      assert.deepStrictEqual(targets("done"), [])
      assert.deepStrictEqual(targets("canceled"), [])
      assert.deepStrictEqual(targets("uninitialized"), [])
    })

    it("carries the guard ids of §5.2", () => {
      const guards = Object.fromEntries(EDGES.map((e) => [`${e.from}->${e.to}`, e.guards.join("+")]))
      assert.deepStrictEqual(
        Object.fromEntries(Object.entries(guards).filter(([, g]) => g !== "")),
        {
          "planned->claimed": "G1",
          "claimed->in_progress": "G2",
          "in_progress->for_review": "G3",
          "in_progress->approved": "G4",
          "in_progress->planned": "G5",
          "for_review->in_review": "G6",
          "in_review->approved": "G7+G8",
          "in_review->done": "G7+G8",
          "in_review->in_progress": "G7",
          "in_review->planned": "G7",
          "in_review->blocked": "G7",
          "in_review->canceled": "G7",
          "approved->done": "G4",
          "approved->in_progress": "G9",
          "approved->planned": "G9"
        }
      )
    })

    it("hasEdge matches the table and evaluates no guard", () => {
      assert.isTrue(hasEdge("in_review", "done"))
      assert.isTrue(hasEdge("genesis", "planned"))
      assert.isFalse(hasEdge("planned", "planned"))
      assert.isFalse(hasEdge("for_review", "approved"))
      assert.isFalse(hasEdge("done", "planned"))
    })
  })

  describe("G1 planned -> claimed", () => {
    check([
      { name: "no actor", from: "planned", to: "claimed", ctx: bare, expected: ACTOR },
      { name: "empty actor", from: "planned", to: "claimed", ctx: ctx({ actor: "" }), expected: ACTOR },
      { name: "whitespace actor", from: "planned", to: "claimed", ctx: ctx({ actor: " \t\n" }), expected: ACTOR },
      {
        name: "Python whitespace (U+001F, U+0085) is blank",
        from: "planned",
        to: "claimed",
        ctx: ctx({ actor: "\u001f\u0085" }),
        expected: ACTOR
      },
      {
        name: "U+FEFF is not blank in Python",
        from: "planned",
        to: "claimed",
        ctx: ctx({ actor: "\ufeff" }),
        expected: null
      },
      {
        name: "structured actor without tool or role",
        from: "planned",
        to: "claimed",
        ctx: ctx({ actor: structured(null) }),
        expected: ACTOR
      },
      {
        name: "structured actor whose tool is whitespace (first truthy wins)",
        from: "planned",
        to: "claimed",
        ctx: ctx({ actor: structured(" ", "implementer") }),
        expected: ACTOR
      },
      { name: "string actor", from: "planned", to: "claimed", ctx: ctx({ actor: "claude" }), expected: null },
      {
        name: "structured actor with tool",
        from: "planned",
        to: "claimed",
        ctx: ctx({ actor: structured("claude") }),
        expected: null
      },
      {
        name: "structured actor falls back to role",
        from: "planned",
        to: "claimed",
        ctx: ctx({ actor: structured("", "implementer") }),
        expected: null
      }
    ])
  })

  describe("G2 claimed -> in_progress", () => {
    const msg = "Transition claimed -> in_progress requires workspace context"
    check([
      { name: "no workspace context", from: "claimed", to: "in_progress", ctx: bare, expected: msg },
      {
        name: "blank workspace context",
        from: "claimed",
        to: "in_progress",
        ctx: ctx({ workspaceContext: "  " }),
        expected: msg
      },
      {
        name: "workspace context given",
        from: "claimed",
        to: "in_progress",
        ctx: ctx({ workspaceContext: "worktree:/repo" }),
        expected: null
      }
    ])
  })

  describe("G3 in_progress -> for_review", () => {
    const g3 = (subtasksComplete: boolean | null, implementationEvidencePresent: boolean | null) =>
      ctx({ subtasksComplete, implementationEvidencePresent })
    check([
      { name: "subtasks unknown", from: "in_progress", to: "for_review", ctx: g3(null, true), expected: G3_SUBTASKS },
      { name: "subtasks false", from: "in_progress", to: "for_review", ctx: g3(false, true), expected: G3_SUBTASKS },
      { name: "subtasks first", from: "in_progress", to: "for_review", ctx: g3(false, false), expected: G3_SUBTASKS },
      { name: "evidence unknown", from: "in_progress", to: "for_review", ctx: g3(true, null), expected: G3_EVIDENCE },
      { name: "evidence absent", from: "in_progress", to: "for_review", ctx: g3(true, false), expected: G3_EVIDENCE },
      { name: "both true", from: "in_progress", to: "for_review", ctx: g3(true, true), expected: null }
    ])
  })

  describe("G4 in_progress -> approved and approved -> done", () => {
    for (const [from, to] of [["in_progress", "approved"], ["approved", "done"]] as const) {
      check([
        { name: `${from} -> ${to}: no evidence`, from, to, ctx: bare, expected: APPROVAL },
        {
          name: `${from} -> ${to}: blank reviewer`,
          from,
          to,
          ctx: ctx({ evidence: evidence(" ", "approved", "PR#1") }),
          expected: APPROVAL
        },
        {
          name: `${from} -> ${to}: blank reference`,
          from,
          to,
          ctx: ctx({ evidence: evidence("alice", "approved", "") }),
          expected: APPROVAL
        },
        {
          name: `${from} -> ${to}: changes_requested verdict`,
          from,
          to,
          ctx: ctx({ evidence: evidence("alice", "changes_requested", "PR#1") }),
          expected: APPROVAL
        },
        {
          name: `${from} -> ${to}: verdict is case-sensitive`,
          from,
          to,
          ctx: ctx({ evidence: evidence("alice", "Approved", "PR#1") }),
          expected: APPROVAL
        },
        {
          name: `${from} -> ${to}: approved evidence`,
          from,
          to,
          ctx: ctx({ evidence: evidence("alice", "approved", "PR#1") }),
          expected: null
        }
      ])
    }
  })

  describe("G5 in_progress -> planned", () => {
    const msg = "Transition in_progress -> planned requires reason"
    check([
      { name: "no reason", from: "in_progress", to: "planned", ctx: bare, expected: msg },
      { name: "blank reason", from: "in_progress", to: "planned", ctx: ctx({ reason: " " }), expected: msg },
      { name: "reason given", from: "in_progress", to: "planned", ctx: ctx({ reason: "rescope" }), expected: null }
    ])
  })

  describe("G6 for_review -> in_review", () => {
    check([
      { name: "no actor", from: "for_review", to: "in_review", ctx: bare, expected: ACTOR },
      { name: "blank actor", from: "for_review", to: "in_review", ctx: ctx({ actor: "  " }), expected: ACTOR },
      { name: "actor given", from: "for_review", to: "in_review", ctx: ctx({ actor: "reviewer-1" }), expected: null }
    ])
  })

  describe("G7 every edge out of in_review", () => {
    for (const to of ["approved", "done", "in_progress", "planned", "blocked", "canceled"] as const) {
      const verdict = to === "approved" || to === "done" ? "approved" : "changes_requested"
      check([
        { name: `-> ${to}: no review_result (G7a)`, from: "in_review", to, ctx: bare, expected: G7A },
        {
          name: `-> ${to}: review_result without reviewer (G7b)`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result(" ", verdict, "PR#1") }),
          expected: G7B
        },
        {
          name: `-> ${to}: review_result without verdict (G7c)`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", "", "PR#1") }),
          expected: G7C
        },
        {
          name: `-> ${to}: review_result without reference (G7d)`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", verdict, "\t") }),
          expected: G7D
        },
        {
          name: `-> ${to}: G7b before G7c before G7d`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("", "", "") }),
          expected: G7B
        },
        {
          name: `-> ${to}: review_ref differs (G7e)`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", verdict, "PR#1"), reviewRef: "PR#2" }),
          expected: G7E
        },
        {
          name: `-> ${to}: an empty review_ref is not null, so it must match (G7e)`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", verdict, "PR#1"), reviewRef: "" }),
          expected: G7E
        },
        {
          name: `-> ${to}: evidence differs from review_result (G7f)`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", verdict, "PR#1"), evidence: evidence("bob", "approved", "PR#1") }),
          expected: G7F
        },
        {
          name: `-> ${to}: G7e before G7f`,
          from: "in_review",
          to,
          ctx: ctx({
            reviewResult: result("alice", verdict, "PR#1"),
            reviewRef: "PR#2",
            evidence: evidence("bob", "approved", "PR#1")
          }),
          expected: G7E
        },
        {
          name: `-> ${to}: complete ${verdict} review_result`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", verdict, "PR#1") }),
          expected: null
        },
        {
          name: `-> ${to}: matching review_ref and evidence`,
          from: "in_review",
          to,
          ctx: ctx({
            reviewResult: result("alice", verdict, "PR#1"),
            reviewRef: "PR#1",
            evidence: evidence("alice", verdict, "PR#1")
          }),
          expected: null
        }
      ])
    }
  })

  describe("G8 in_review -> approved / done", () => {
    for (const to of ["approved", "done"] as const) {
      check([
        {
          name: `-> ${to}: changes_requested review_result without evidence`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", "changes_requested", "PR#1") }),
          expected: APPROVAL
        },
        {
          name: `-> ${to}: approved review_result without evidence`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", "approved", "PR#1") }),
          expected: null
        },
        {
          name: `-> ${to}: given evidence is judged by the G4 rule`,
          from: "in_review",
          to,
          ctx: ctx({
            reviewResult: result("alice", "changes_requested", "PR#1"),
            evidence: evidence("alice", "changes_requested", "PR#1")
          }),
          expected: APPROVAL
        },
        {
          name: `-> ${to}: approved evidence passes G8, then G7f refuses the mismatch`,
          from: "in_review",
          to,
          ctx: ctx({
            reviewResult: result("alice", "changes_requested", "PR#1"),
            evidence: evidence("alice", "approved", "PR#1")
          }),
          expected: G7F
        },
        {
          name: `-> ${to}: G7a-d run before G8`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", "changes_requested", " ") }),
          expected: G7D
        },
        {
          name: `-> ${to}: G8 runs before G7e`,
          from: "in_review",
          to,
          ctx: ctx({ reviewResult: result("alice", "changes_requested", "PR#1"), reviewRef: "PR#2" }),
          expected: APPROVAL
        }
      ])
    }
  })

  describe("changes_requested verdict", () => {
    const rejected = ctx({ reviewResult: result("alice", "changes_requested", "PR#1"), reviewRef: "PR#1" })
    for (const to of ["in_progress", "planned", "blocked", "canceled"]) {
      it(`can leave in_review to ${to}`, () => {
        assert.strictEqual(outcome("in_review", to, rejected), `Right: in_review->${to}`)
      })
    }
    for (const to of ["approved", "done"]) {
      it(`cannot leave in_review to ${to}`, () => {
        assert.strictEqual(outcome("in_review", to, rejected), `Left: ${APPROVAL}`)
      })
    }
  })

  describe("G9 approved -> in_progress / planned", () => {
    const msg = "Transition requires review_ref (review feedback reference)"
    for (const to of ["in_progress", "planned"] as const) {
      check([
        { name: `-> ${to}: no review_ref`, from: "approved", to, ctx: bare, expected: msg },
        { name: `-> ${to}: blank review_ref`, from: "approved", to, ctx: ctx({ reviewRef: " " }), expected: msg },
        { name: `-> ${to}: review_ref given`, from: "approved", to, ctx: ctx({ reviewRef: "PR#9" }), expected: null }
      ])
    }
  })

  describe("aliases", () => {
    it("resolves \" Doing \" on from, and reports resolved lanes", () => {
      assert.strictEqual(outcome(" Doing ", "for_review", full), "Right: in_progress->for_review")
    })
    it("resolves an alias on to", () => {
      assert.strictEqual(outcome("claimed", "DOING", full), "Right: claimed->in_progress")
    })
    it("resolves case and padding on real lane names", () => {
      assert.strictEqual(outcome(" In_Review", "Done ", full), "Right: in_review->done")
    })
    it("uses resolved names in an illegal-transition message", () => {
      assert.strictEqual(outcome(" Doing ", " DONE", full), "Left: Illegal transition: in_progress -> done")
    })
  })

  describe("unknown lanes", () => {
    check([
      { name: "unknown from, as given", from: " Nope ", to: "planned", ctx: full, expected: "Unknown lane:  Nope " },
      { name: "unknown to, as given", from: "planned", to: "Review", ctx: full, expected: "Unknown lane: Review" },
      { name: "from is checked first", from: "bogus", to: "also-bogus", ctx: full, expected: "Unknown lane: bogus" },
      { name: "unknown from before genesis", from: "x", to: "genesis", ctx: forced, expected: "Unknown lane: x" },
      { name: "forced does not help", from: "planned", to: "review", ctx: forced, expected: "Unknown lane: review" },
      { name: "empty input", from: "", to: "planned", ctx: full, expected: "Unknown lane: " }
    ])
  })

  describe("genesis target", () => {
    check([
      {
        name: "not forced",
        from: "planned",
        to: "genesis",
        ctx: full,
        expected: "Illegal transition: planned -> genesis"
      },
      {
        name: "forced with actor and reason",
        from: "done",
        to: "genesis",
        ctx: forced,
        expected: "Illegal transition: done -> genesis"
      },
      {
        name: "forced without actor: the genesis check comes first",
        from: "planned",
        to: "genesis",
        ctx: ctx({ force: true }),
        expected: "Illegal transition: planned -> genesis"
      },
      {
        name: "genesis -> genesis forced",
        from: "genesis",
        to: "genesis",
        ctx: forced,
        expected: "Illegal transition: genesis -> genesis"
      },
      {
        name: "resolved names in the message",
        from: " Doing",
        to: " GENESIS ",
        ctx: forced,
        expected: "Illegal transition: in_progress -> genesis"
      },
      { name: "genesis -> planned is the seed edge", from: "genesis", to: "planned", ctx: bare, expected: null },
      { name: "genesis -> canceled", from: "genesis", to: "canceled", ctx: bare, expected: null }
    ])
  })

  describe("uninitialized (D7)", () => {
    check([
      {
        name: "-> uninitialized forced is refused",
        from: "planned",
        to: "uninitialized",
        ctx: forced,
        expected: "Illegal transition: planned -> uninitialized"
      },
      {
        name: "-> uninitialized forced without reason: still the illegal message",
        from: "in_review",
        to: "uninitialized",
        ctx: ctx({ force: true, actor: "claude" }),
        expected: "Illegal transition: in_review -> uninitialized"
      },
      {
        name: "-> uninitialized not forced",
        from: "genesis",
        to: "uninitialized",
        ctx: full,
        expected: "Illegal transition: genesis -> uninitialized"
      },
      {
        name: "uninitialized has no outgoing edge",
        from: "uninitialized",
        to: "planned",
        ctx: full,
        expected: "Illegal transition: uninitialized -> planned"
      },
      { name: "leaving uninitialized forced", from: "uninitialized", to: "planned", ctx: forced, expected: null }
    ])
  })

  describe("force rule", () => {
    check([
      { name: "planned -> planned forced", from: "planned", to: "planned", ctx: forced, expected: null },
      {
        name: "planned -> planned not forced",
        from: "planned",
        to: "planned",
        ctx: full,
        expected: "Illegal transition: planned -> planned"
      },
      { name: "done -> done forced", from: "done", to: "done", ctx: forced, expected: null },
      { name: "leaving done forced", from: "done", to: "in_progress", ctx: forced, expected: null },
      { name: "leaving canceled forced", from: "canceled", to: "planned", ctx: forced, expected: null },
      {
        name: "leaving done not forced",
        from: "done",
        to: "in_progress",
        ctx: full,
        expected: "Illegal transition: done -> in_progress"
      },
      {
        name: "leaving canceled not forced",
        from: "canceled",
        to: "planned",
        ctx: full,
        expected: "Illegal transition: canceled -> planned"
      },
      { name: "non-edge forced", from: "planned", to: "done", ctx: forced, expected: null },
      {
        name: "force without reason",
        from: "done",
        to: "in_progress",
        ctx: ctx({ force: true, actor: "claude" }),
        expected: FORCE
      },
      {
        name: "force with blank reason",
        from: "planned",
        to: "planned",
        ctx: ctx({ force: true, actor: "claude", reason: " \n" }),
        expected: FORCE
      },
      {
        name: "force without actor",
        from: "done",
        to: "in_progress",
        ctx: ctx({ force: true, reason: "repair" }),
        expected: FORCE
      },
      {
        name: "force with blank actor",
        from: "done",
        to: "in_progress",
        ctx: ctx({ force: true, actor: "\t", reason: "repair" }),
        expected: FORCE
      },
      {
        name: "force with a structured actor without tool or role",
        from: "done",
        to: "in_progress",
        ctx: ctx({ force: true, actor: structured(null), reason: "repair" }),
        expected: FORCE
      },
      {
        name: "force with a structured actor projected to its role",
        from: "done",
        to: "in_progress",
        ctx: ctx({ force: true, actor: structured(null, "operator"), reason: "repair" }),
        expected: null
      },
      {
        name: "force on an edge skips its guard",
        from: "in_progress",
        to: "for_review",
        ctx: ctx({ force: true, actor: "claude", reason: "repair", subtasksComplete: false }),
        expected: null
      },
      {
        name: "force on an in_review edge skips G7/G8",
        from: "in_review",
        to: "done",
        ctx: forced,
        expected: null
      },
      {
        name: "force on an existing edge still needs actor and reason",
        from: "genesis",
        to: "planned",
        ctx: ctx({ force: true, actor: "finalize-tasks" }),
        expected: FORCE
      }
    ])
  })

  describe("actorName", () => {
    it("projects actors", () => {
      assert.strictEqual(actorName("claude"), "claude")
      assert.strictEqual(actorName(""), "")
      assert.strictEqual(actorName(structured("claude", "implementer")), "claude")
      assert.strictEqual(actorName(structured(null, "implementer")), "implementer")
      assert.strictEqual(actorName(structured("", "implementer")), "implementer")
      assert.strictEqual(actorName(structured(null, null)), "")
      assert.strictEqual(actorName({ role: null, profile: "p", tool: null, model: "m" }), "")
    })
  })

  describe("parseDoneEvidence", () => {
    it("accepts review.{reviewer, verdict, reference} and keeps other keys", () => {
      const value = {
        review: { reviewer: "alice", verdict: "approved", reference: "PR#1", extra: 1 },
        repos: [{ repo: "r", branch: "b", commit: "c" }]
      }
      assert.deepStrictEqual(
        parseDoneEvidence(value),
        Either.right({
          review: { reviewer: "alice", verdict: "approved", reference: "PR#1" },
          repos: [{ repo: "r", branch: "b", commit: "c" }]
        })
      )
    })
    it("does not judge the verdict (that is G4's job)", () => {
      assert.isTrue(Either.isRight(parseDoneEvidence({ review: evidence("a", "changes_requested", "r").review })))
    })
    const malformed: ReadonlyArray<readonly [string, unknown]> = [
      ["null", null],
      ["a string", "approved"],
      ["an array", [{ review: {} }]],
      ["no review", {}],
      ["review null", { review: null }],
      ["review an array", { review: ["alice", "approved", "PR#1"] }],
      ["review a string", { review: "alice" }],
      ["missing reviewer", { review: { verdict: "approved", reference: "PR#1" } }],
      ["empty reviewer", { review: { reviewer: "", verdict: "approved", reference: "PR#1" } }],
      ["missing verdict", { review: { reviewer: "alice", reference: "PR#1" } }],
      ["empty verdict", { review: { reviewer: "alice", verdict: "", reference: "PR#1" } }],
      ["missing reference", { review: { reviewer: "alice", verdict: "approved" } }],
      ["whitespace reference", { review: { reviewer: "alice", verdict: "approved", reference: "  " } }],
      ["non-string reviewer", { review: { reviewer: 7, verdict: "approved", reference: "PR#1" } }]
    ]
    for (const [name, value] of malformed) {
      it(`refuses ${name} with the verbatim message`, () => {
        assert.deepStrictEqual(parseDoneEvidence(value), Either.left(MALFORMED))
      })
    }
  })

  describe("properties", () => {
    const lane = FastCheck.constantFrom(...LANES)
    const text = FastCheck.oneof(
      FastCheck.constantFrom("", " ", "\t\n", "claude", "PR#1", "PR#2", "alice", "approved", "changes_requested"),
      FastCheck.string()
    )
    const nullable = <A>(arb: FastCheck.Arbitrary<A>) => FastCheck.option(arb, { nil: null })
    const actor: FastCheck.Arbitrary<Actor> = FastCheck.oneof(
      text,
      FastCheck.record({ role: nullable(text), profile: nullable(text), tool: nullable(text), model: nullable(text) })
    )
    const context: FastCheck.Arbitrary<TransitionContext> = FastCheck.record({
      force: FastCheck.boolean(),
      actor: nullable(actor),
      reason: nullable(text),
      workspaceContext: nullable(text),
      subtasksComplete: nullable(FastCheck.boolean()),
      implementationEvidencePresent: nullable(FastCheck.boolean()),
      reviewRef: nullable(text),
      evidence: nullable(FastCheck.tuple(text, text, text).map(([a, b, c]) => evidence(a, b, c))),
      reviewResult: nullable(FastCheck.tuple(text, text, text).map(([a, b, c]) => result(a, b, c)))
    })
    const nonBlank = FastCheck.string({ minLength: 1 }).map((s) => `x${s}`)
    const nonBlankActor: FastCheck.Arbitrary<Actor> = FastCheck.oneof(
      nonBlank,
      FastCheck.record({ role: nullable(text), profile: nullable(text), tool: nonBlank, model: nullable(text) }),
      FastCheck.record({
        role: nonBlank,
        profile: nullable(text),
        tool: FastCheck.constant(null),
        model: nullable(text)
      })
    )

    it.prop(
      "(a) force with non-blank actor and reason passes iff to is not genesis/uninitialized",
      [lane, lane, context, nonBlankActor, nonBlank],
      ([from, to, c, a, reason]) => {
        const r = validateTransition(from, to, { ...c, force: true, actor: a, reason })
        const refusedTarget = to === "genesis" || to === "uninitialized"
        assert.strictEqual(Either.isRight(r), !refusedTarget)
        if (refusedTarget) assert.deepStrictEqual(r, Either.left(`Illegal transition: ${from} -> ${to}`))
      }
    )

    it.prop(
      "(a') force with a blank actor or reason never passes",
      [lane, lane, context, FastCheck.constantFrom(null, "", " ", "\t")],
      ([from, to, c, blank]) => {
        assert.isTrue(Either.isLeft(validateTransition(from, to, { ...c, force: true, reason: blank })))
        assert.isTrue(Either.isLeft(validateTransition(from, to, { ...c, force: true, actor: blank })))
      }
    )

    it.prop(
      "(b) a non-forced transition passes only if hasEdge(from, to); a non-edge gets the illegal message",
      [lane, lane, context],
      ([from, to, c]) => {
        const r = validateTransition(from, to, { ...c, force: false })
        if (Either.isRight(r)) assert.isTrue(hasEdge(from, to))
        if (!hasEdge(from, to)) assert.deepStrictEqual(r, Either.left(`Illegal transition: ${from} -> ${to}`))
      }
    )

    it.prop(
      "(b') an alias-padded spelling decides like the canonical one",
      [lane, lane, context, FastCheck.constantFrom("", " ", "\t"), FastCheck.boolean()],
      ([from, to, c, pad, upper]) => {
        const spell = (l: Lane) => {
          const s = l === "in_progress" ? "doing" : l
          return `${pad}${upper ? s.toUpperCase() : s}${pad}`
        }
        assert.deepStrictEqual(validateTransition(spell(from), spell(to), c), validateTransition(from, to, c))
      }
    )

    it.prop(
      "(c) 29 edges; none leaves done, canceled or uninitialized; none enters genesis or uninitialized",
      [lane, lane],
      ([from, to]) => {
        assert.strictEqual(EDGES.length, 29)
        if (hasEdge(from, to)) {
          assert.notInclude(["done", "canceled", "uninitialized"], from)
          assert.notInclude(["genesis", "uninitialized"], to)
        }
        assert.strictEqual(hasEdge(from, to), EDGES.some((e) => e.from === from && e.to === to))
      }
    )
  })
})
