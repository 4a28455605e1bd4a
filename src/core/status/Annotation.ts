/**
 * `decide` for annotation rows (docs/status-model.md §6.5): the exact row spec-kitty's
 * `emit_inner_state_changed` writes (`{actor, at, delta, event_id, kind: "annotation", wp_id}`, keys
 * sorted at every depth by the encoder). Pure: the id and time are inputs. Annotations bypass the FSM.
 */
import { Either } from "effect"
import type { JsonValue } from "../python/PyJson.js"
import { isLane } from "./Lane.js"
import { statusError } from "./StatusError.js"
import type { StatusError } from "./StatusError.js"
import type { Actor } from "./Transition.js"

/** One annotation: a WP, who records it, and the runtime delta (only the fields given are written). */
export interface AnnotationRequest {
  readonly wpId: string
  readonly actor: Actor
  readonly delta: Readonly<Record<string, JsonValue>>
}

const WP_ID = /^WP\d+$/

/** A subtask delta: `{subtasks: {<id>: <lane>}}` (mark-status writes `done` or `planned`). */
export const subtaskDelta = (marks: ReadonlyArray<readonly [string, string]>): Record<string, JsonValue> => ({
  subtasks: Object.fromEntries(marks)
})

/** Validates a request and builds its row. */
export const decideAnnotation = (
  request: AnnotationRequest,
  env: { readonly eventId: string; readonly at: string }
): Either.Either<Record<string, JsonValue>, StatusError> => {
  if (!WP_ID.test(request.wpId)) {
    return Either.left(statusError("INVALID_REQUEST", `Invalid work package id '${request.wpId}': expected WPnn`, {
      wp_id: request.wpId
    }))
  }
  if (Object.keys(request.delta).length === 0) {
    return Either.left(statusError("INVALID_REQUEST", `An annotation of ${request.wpId} needs a non-empty delta`, {
      wp_id: request.wpId
    }))
  }
  const subtasks = request.delta.subtasks
  if (subtasks !== undefined && subtasks !== null) {
    const bad = typeof subtasks !== "object" || Array.isArray(subtasks)
      ? ["(not a mapping)"]
      : Object.entries(subtasks as Record<string, unknown>).filter(([, v]) => !isLane(v)).map(([k]) => k)
    if (bad.length > 0) {
      return Either.left(statusError("INVALID_REQUEST", `Subtask marks must be lanes: ${bad.join(", ")}`, {
        wp_id: request.wpId
      }))
    }
  }
  return Either.right({
    actor: request.actor as JsonValue,
    at: env.at,
    delta: { ...request.delta },
    event_id: env.eventId,
    kind: "annotation",
    wp_id: request.wpId
  })
}
