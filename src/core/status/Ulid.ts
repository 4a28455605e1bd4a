/**
 * Event ids and timestamps for new rows (docs/status-model.md §6.2), as pure encoders: the clock and the
 * random bytes come from a service.
 */

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

/** Encodes a ULID: 48-bit millisecond time then 80 random bits, 26 uppercase Crockford characters. */
export const encodeUlid = (ms: number, random: Uint8Array): string => {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new Error(`ULID time out of range: ${ms}`)
  if (random.length < 10) throw new Error("ULID needs 10 random bytes")
  let out = ""
  let t = ms
  const time: Array<string> = []
  for (let i = 0; i < 10; i++) {
    time.push(CROCKFORD[t % 32])
    t = Math.floor(t / 32)
  }
  out = time.reverse().join("")
  let acc = 0n
  for (let i = 0; i < 10; i++) acc = (acc << 8n) | BigInt(random[i])
  const rand: Array<string> = []
  for (let i = 0; i < 16; i++) {
    rand.push(CROCKFORD[Number(acc & 31n)])
    acc >>= 5n
  }
  return out + rand.reverse().join("")
}

const pad = (n: number, width: number) => String(n).padStart(width, "0")

/**
 * Python `datetime.now(UTC).isoformat()` for epoch microseconds: `YYYY-MM-DDTHH:MM:SS.ffffff+00:00`,
 * the fraction omitted when it is zero.
 */
/**
 * JavaScript's `Date.prototype.toISOString` for epoch milliseconds (`YYYY-MM-DDTHH:MM:SS.sssZ`), the same
 * text, read from the UTC fields alone: in node the first `toISOString` of a process initialises the
 * local time zone (it reads /etc/localtime; about 5 ms here), which a UTC timestamp does not need. A year
 * outside 0000-9999, which `toISOString` writes with a sign and six digits, is left to it.
 */
export const formatIsoUtcMillis = (ms: number): string => {
  const d = new Date(ms)
  const year = d.getUTCFullYear()
  if (!(year >= 0 && year <= 9999)) return d.toISOString()
  return `${pad(year, 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}Z`
}

export const formatPyIsoUtc = (micros: bigint): string => {
  const ms = Number(micros / 1000n)
  const d = new Date(ms)
  const frac = Number(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n)
  const base = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}T` +
    `${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  return (frac === 0 ? base : `${base}.${pad(frac, 6)}`) + "+00:00"
}
