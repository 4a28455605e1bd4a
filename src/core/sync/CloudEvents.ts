/**
 * The wire format (docs/surfaces.md §8.5): CloudEvents 1.0 in JSON batch mode, so any CloudEvents
 * receiver can consume it. `id` is the row's `event_id`, `source` names the project and the mission,
 * `type` follows from the row's kind, `time` is the event's own time, `subject` the work package, and
 * `data` is the row exactly as the log holds it: the line's own text is spliced in, never re-serialized.
 */
import type { EventKind, PendingEvent } from "./LogScan.js"

/** The media type of a batch request. */
export const BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"

/** The CloudEvents spec version. */
export const SPEC_VERSION = "1.0"

/** The CloudEvents `type` of a row kind. */
export const eventTypeOf = (kind: EventKind): string => `dev.kittyctx.status.${kind}`

/** Where a log's events come from. */
export interface EventOrigin {
  /** A stable id of the canonical project root (a hash: the path itself is not sent). */
  readonly projectId: string
  /** `mission_id`, or `legacy:<dir name>` for a mission without one. */
  readonly missionKey: string
  readonly missionSlug: string
}

/** The CloudEvents `source`: a URI reference naming the project and the mission. */
export const sourceOf = (origin: EventOrigin): string =>
  `/kittyctx/projects/${origin.projectId}/missions/${encodeURIComponent(origin.missionKey)}`

/** Everything of an event's CloudEvents text before the row itself. */
const envelopeHeadOf = (origin: EventOrigin, source: string, event: PendingEvent): string =>
  `{"specversion":"${SPEC_VERSION}","id":${JSON.stringify(event.id)},"source":${JSON.stringify(source)},` +
  `"type":"${eventTypeOf(event.kind)}",` +
  (event.time === null ? "" : `"time":${JSON.stringify(event.time)},`) +
  (event.subject === null ? "" : `"subject":${JSON.stringify(event.subject)},`) +
  `"missionslug":${JSON.stringify(origin.missionSlug)},` +
  `"datacontenttype":"application/json","data":`

/** One event as CloudEvents JSON text (`data` is the row's own text, which the row reader parsed as JSON). */
export const cloudEventText = (origin: EventOrigin, source: string, event: PendingEvent): string =>
  `${envelopeHeadOf(origin, source, event)}${event.text}}`

/** The UTF-8 length of `cloudEventText` (without building it). */
export const cloudEventSize = (origin: EventOrigin, source: string, event: PendingEvent): number =>
  utf8Length(envelopeHeadOf(origin, source, event)) + event.textBytes + 1

/** A batch body from event texts. */
export const batchBody = (texts: ReadonlyArray<string>): string => `[${texts.join(",")}]`

const ASCII = /^[\x00-\x7f]*$/

/** The bytes a text takes in UTF-8 (for the batch size limit). */
export const utf8Length = (text: string): number => {
  if (ASCII.test(text)) return text.length
  let n = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4
        i++
      } else n += 3
    } else n += 3
  }
  return n
}

/**
 * How many of `sizes` (event texts' byte lengths, from `from`) go in the next batch: at most
 * `maxEvents`, and at most `maxBytes` of body, except that one event always goes even when larger.
 */
export const batchLength = (sizes: ReadonlyArray<number>, from: number, maxEvents: number, maxBytes: number): number => {
  let bytes = 2
  let n = 0
  while (from + n < sizes.length && n < maxEvents) {
    const next = bytes + sizes[from + n] + (n === 0 ? 0 : 1)
    if (n > 0 && next > maxBytes) break
    bytes = next
    n++
  }
  return n
}
