/**
 * ISO-8601 timestamps as Python 3.11 `datetime.fromisoformat` reads them: the validator's timestamp
 * check and the time-travel point of `status show --at` share this one parser.
 */
// Python 3.11 `datetime.fromisoformat` (the C implementation, `Modules/_datetimemodule.c`)

/** An instant parsed by `fromIsoFormat`: UTC epoch seconds plus microseconds (naive values read as UTC). */
export interface IsoInstant {
  readonly epochSeconds: number
  readonly micros: number
  readonly hasOffset: boolean
}

type Chars = ArrayLike<string>

const charAt = (s: Chars, i: number): string => (i < s.length ? s[i] : "\0")
const isDigit = (c: string): boolean => c.length === 1 && c >= "0" && c <= "9"

// C `parse_digits`: exactly `n` ASCII digits from `i`; -1 on failure.
const parseDigits = (s: Chars, i: number, n: number): number => {
  let value = 0
  for (let k = 0; k < n; k++) {
    const c = charAt(s, i + k)
    if (!isDigit(c)) return -1
    value = value * 10 + (c.charCodeAt(0) - 48)
  }
  return value
}

// C `_find_isoformat_datetime_separator`; -1 when the string cannot hold a date.
const findSeparator = (s: Chars): number => {
  const len = s.length
  if (len === 7) return 7
  if (s[4] === "-") {
    if (s[5] !== "W") return 10
    if (len < 8) return -1
    if (len > 8 && s[8] === "-") {
      if (len === 9) return -1
      return len > 10 && isDigit(s[10]) ? 8 : 10
    }
    return 8
  }
  if (s[4] !== "W") return 8
  let idx = 7
  while (idx < len && isDigit(s[idx])) idx++
  if (idx < 9) return idx
  return idx % 2 === 0 ? 7 : 8
}

const isLeap = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const daysInMonth = (y: number, m: number): number => (m === 2 && isLeap(y) ? 29 : DAYS_IN_MONTH[m])
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

// Proleptic Gregorian ordinal, 0001-01-01 = 1 (C `ymd_to_ord`, C integer division).
const ymdToOrd = (y: number, m: number, d: number): number => {
  const p = y - 1
  const before = p * 365 + Math.trunc(p / 4) - Math.trunc(p / 100) + Math.trunc(p / 400)
  return before + DAYS_BEFORE_MONTH[m] + (m > 2 && isLeap(y) ? 1 : 0) + d
}

const ordToYmd = (ordinal: number): readonly [number, number, number] | null => {
  // C asserts ordinal >= 1; everything below it is out of datetime's range anyway.
  if (ordinal < 1) return null
  let n = ordinal - 1
  const n400 = Math.floor(n / 146097)
  n %= 146097
  const n100 = Math.floor(n / 36524)
  n %= 36524
  const n4 = Math.floor(n / 1461)
  n %= 1461
  const n1 = Math.floor(n / 365)
  n %= 365
  const year = n400 * 400 + 1 + n100 * 100 + n4 * 4 + n1
  if (n1 === 4 || n100 === 4) return [year - 1, 12, 31]
  let month = 1
  while (month < 12 && n >= DAYS_BEFORE_MONTH[month + 1] + (month + 1 > 2 && isLeap(year) ? 1 : 0)) month++
  const day = n - DAYS_BEFORE_MONTH[month] - (month > 2 && isLeap(year) ? 1 : 0) + 1
  return [year, month, day]
}

// C `iso_to_ymd`: ISO year/week/day to a calendar date.
const isoToYmd = (isoYear: number, week: number, day: number): readonly [number, number, number] | null => {
  if (isoYear < 1) return null
  if (week <= 0 || week >= 53) {
    const firstWeekday = (ymdToOrd(isoYear, 1, 1) + 6) % 7
    if (!(week === 53 && (firstWeekday === 3 || (firstWeekday === 2 && isLeap(isoYear))))) return null
  }
  if (day <= 0 || day >= 8) return null
  const firstDay = ymdToOrd(isoYear, 1, 1)
  const firstWeekday = (firstDay + 6) % 7
  let week1Monday = firstDay - firstWeekday
  if (firstWeekday > 3) week1Monday += 7
  return ordToYmd(week1Monday + (week - 1) * 7 + day - 1)
}

// C `parse_isoformat_date` over s[0, len).
const parseDate = (s: Chars, len: number): readonly [number, number, number] | null => {
  const year = parseDigits(s, 0, 4)
  if (year < 0) return null
  let p = 4
  const dashed = charAt(s, p) === "-"
  if (dashed) p++
  if (charAt(s, p) === "W") {
    p++
    const week = parseDigits(s, p, 2)
    if (week < 0) return null
    p += 2
    let day = 1
    if (p < len) {
      if (dashed && charAt(s, p++) !== "-") return null
      day = parseDigits(s, p, 1)
      if (day < 0) return null
    }
    return isoToYmd(year, week, day)
  }
  const month = parseDigits(s, p, 2)
  if (month < 0) return null
  p += 2
  if (dashed && charAt(s, p++) !== "-") return null
  const day = parseDigits(s, p, 2)
  if (day < 0) return null
  return [year, month, day]
}

interface Hms {
  readonly values: readonly [number, number, number, number]
  /** C return value: 0 = consumed to the end, 1 = trailing characters, negative = failure. */
  readonly rv: number
}

const FRACTION_CORRECTION = [100000, 10000, 1000, 100, 10]

// C `parse_hh_mm_ss_ff` over s[start, end); characters past `end` are still read, as C reads them.
const parseHmsf = (s: Chars, start: number, end: number): Hms => {
  const values: [number, number, number, number] = [0, 0, 0, 0]
  let p = start
  let hasSeparator = true
  for (let i = 0; i < 3; i++) {
    const v = parseDigits(s, p, 2)
    if (v < 0) return { values, rv: -3 }
    values[i] = v
    p += 2
    const c = charAt(s, p++)
    if (i === 0) hasSeparator = c === ":"
    if (p >= end) return { values, rv: c !== "\0" ? 1 : 0 }
    if (hasSeparator && c === ":") continue
    if (c === "." || c === ",") break
    if (!hasSeparator) p--
    else return { values, rv: -4 }
  }
  const toParse = Math.min(end - p, 6)
  const micro = parseDigits(s, p, toParse)
  if (micro < 0) return { values, rv: -3 }
  values[3] = toParse < 6 ? micro * FRACTION_CORRECTION[toParse - 1] : micro
  p += toParse
  while (isDigit(charAt(s, p))) p++
  return { values, rv: charAt(s, p) !== "\0" ? 1 : 0 }
}

interface ParsedTime {
  readonly hms: readonly [number, number, number, number]
  readonly offsetSeconds: number | null
  readonly offsetMicros: number
}

// C `parse_isoformat_time` over s[start, s.length).
const parseTime = (s: Chars, start: number): ParsedTime | null => {
  const end = s.length
  let tz = start
  do {
    const c = charAt(s, tz)
    if (c === "Z" || c === "+" || c === "-") break
  } while (++tz < end)
  const time = parseHmsf(s, start, tz)
  if (time.rv < 0) return null
  if (tz === end) return time.rv === 1 ? null : { hms: time.values, offsetSeconds: null, offsetMicros: 0 }
  if (s[tz] === "Z") return tz + 1 === end ? { hms: time.values, offsetSeconds: 0, offsetMicros: 0 } : null
  const sign = s[tz] === "-" ? -1 : 1
  const zone = parseHmsf(s, tz + 1, end)
  if (zone.rv !== 0) return null
  const [h, m, sec, us] = zone.values
  return { hms: time.values, offsetSeconds: sign * (h * 3600 + m * 60 + sec), offsetMicros: sign * us }
}

const ASCII = /^[\x00-\x7f]*$/
const LONE_SURROGATE = /[\ud800-\udfff]/

// Python finds the separator among code points (any one of them may separate), then parses the UTF-8 bytes of
// the rest: a non-ASCII character elsewhere counts as its byte length, and a lone surrogate fails the encoding.
const asParsed = (text: string): { readonly s: Chars; readonly separator: number } | null => {
  if (ASCII.test(text)) return { s: text, separator: text.length < 7 ? -1 : findSeparator(text) }
  const points = Array.from(text)
  if (points.length < 7) return null
  const separator = findSeparator(points)
  if (separator < 0) return null
  const bytes: Array<string> = []
  let at = -1
  for (let i = 0; i < points.length; i++) {
    const point = points[i]
    if (i === separator) {
      at = bytes.length
      bytes.push("T")
      continue
    }
    if (LONE_SURROGATE.test(point) && point.length === 1) return null
    const cp = point.codePointAt(0)!
    const width = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4
    if (width === 1) bytes.push(point)
    else for (let k = 0; k < width; k++) bytes.push("\x80")
  }
  return { s: bytes, separator: at < 0 ? bytes.length + separator - points.length : at }
}

/** Python 3.11 `datetime.fromisoformat` (its C implementation): the instant, or null where Python raises. */
export const fromIsoFormat = (text: string): IsoInstant | null => {
  const parsed = asParsed(text)
  if (parsed === null || parsed.separator < 0) return null
  const { s, separator } = parsed
  const date = parseDate(s, separator)
  if (date === null) return null
  const [year, month, day] = date
  let time: ParsedTime = { hms: [0, 0, 0, 0], offsetSeconds: null, offsetMicros: 0 }
  if (s.length > separator) {
    const parsed = parseTime(s, separator + 1)
    if (parsed === null) return null
    time = parsed
  }
  const [hour, minute, second, micro] = time.hms
  if (year < 1 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  if (hour > 23 || minute > 59 || second > 59) return null
  const offsetSeconds = time.offsetSeconds ?? 0
  // C builds UTC for a zero-second offset and drops its microseconds.
  const offsetMicros = offsetSeconds === 0 ? 0 : time.offsetMicros
  const totalOffsetMicros = offsetSeconds * 1_000_000 + offsetMicros
  if (totalOffsetMicros <= -86_400_000_000 || totalOffsetMicros >= 86_400_000_000) return null
  let epochSeconds = (ymdToOrd(year, month, day) - 719163) * 86400 + hour * 3600 + minute * 60 + second - offsetSeconds
  let micros = micro - offsetMicros
  if (micros < 0) {
    micros += 1_000_000
    epochSeconds -= 1
  } else if (micros >= 1_000_000) {
    micros -= 1_000_000
    epochSeconds += 1
  }
  return { epochSeconds, micros, hasOffset: time.offsetSeconds !== null }
}

// The layouts spec-kitty writes; for them `fromisoformat` only checks the field ranges.
const COMMON_AT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?(?:\+00:00|Z)$/
const digitsAt = (s: string, i: number, n: number): number => {
  let v = 0
  for (let k = i; k < i + n; k++) v = v * 10 + s.charCodeAt(k) - 48
  return v
}

/** spec-kitty's `_is_valid_iso8601`: `fromisoformat` after every `Z` is replaced by `+00:00`. */
export const isValidIso8601 = (at: string): boolean => {
  if (COMMON_AT.test(at)) {
    const year = digitsAt(at, 0, 4)
    const month = digitsAt(at, 5, 2)
    const day = digitsAt(at, 8, 2)
    return year >= 1 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) &&
      digitsAt(at, 11, 2) <= 23 && digitsAt(at, 14, 2) <= 59 && digitsAt(at, 17, 2) <= 59
  }
  return fromIsoFormat(at.replaceAll("Z", "+00:00")) !== null
}

/** Chronological order of two instants. */
export const compareInstants = (a: IsoInstant, b: IsoInstant): number =>
  a.epochSeconds !== b.epochSeconds ? a.epochSeconds - b.epochSeconds : a.micros - b.micros

