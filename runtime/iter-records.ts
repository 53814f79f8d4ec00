/**
 * Fixed-size records out of an iterator's `read()` chunks: what every
 * `iter/*` decoder needs, whatever its record.
 */
import { DecodeError } from './errors.js'

/**
 * Decode `size`-byte records from chunks as the iterator yields them,
 * keeping a record split across two chunks (the kernel does not split them;
 * this does not rely on it). `what` names the record in errors.
 * @throws DecodeError from `decodeOne`, or on trailing bytes at the end
 */
export function* fixedRecords<T>(chunks: Iterable<Uint8Array>, size: number, what: string, decodeOne: (view: DataView, offset: number) => T): Generator<T> {
  let carry = new Uint8Array(0)
  for (let chunk of chunks) {
    if (carry.length > 0) {
      const joined = new Uint8Array(carry.length + chunk.length)
      joined.set(carry)
      joined.set(chunk, carry.length)
      chunk = joined
    }
    const whole = chunk.length - (chunk.length % size)
    const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    for (let o = 0; o < whole; o += size) yield decodeOne(view, o)
    carry = chunk.slice(whole)
  }
  if (carry.length > 0) throw new DecodeError(what, 0, `${carry.length} trailing bytes are not a whole ${size}-byte record`)
}
