/**
 * Pieces shared by the per-family decoders: reading a fixed struct with a
 * length check, reading a growing struct by length, the SK_MEMINFO array,
 * and the one place kernel snake_case names become camelCase.
 */
import type { FieldSpec, StructDef, StructValue } from '../uapi/struct.js'
import { kindSize } from '../uapi/struct.js'
import { SK_MEMINFO } from '../uapi/sock-diag.js'
import type { AttributeDecoder } from './attributes.js'
import { DecodeError } from './errors.js'

/** `a_b_c` → `aBC`-style camelCase, at the type level. */
export type Camel<S extends string> = S extends `${infer H}_${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S

/** A struct value with `prefix` stripped from every field name and the rest camelCased; fields may be absent (shorter kernels). */
export type CamelPartial<F extends readonly FieldSpec[], P extends string> = {
  -readonly [K in keyof StructValue<F> as K extends `${P}${infer R}` ? Camel<R> : never]?: StructValue<F>[K]
}

/** Runtime twin of {@link Camel}. */
export function camel(s: string): string {
  return s.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

interface Reader {
  readonly key: string
  readonly offset: number
  readonly end: number
  readonly read: (v: DataView, o: number) => number | bigint | Uint8Array
}

/**
 * A decoder for a struct that only grows between kernel versions (tcp_info,
 * mptcp_info): fields are read when they lie entirely inside the payload,
 * and left out otherwise. Fields whose name does not start with `prefix`
 * (padding) are skipped. The name mapping is computed once, here.
 */
export function growingStruct<const F extends readonly FieldSpec[], const P extends string>(def: StructDef<F>, prefix: P): (view: DataView, offset: number, length: number) => CamelPartial<F, P> {
  const readers: Reader[] = []
  for (const f of def.fields) {
    if (!f.name.startsWith(prefix)) continue
    const offset = (def.offsetOf as Record<string, number>)[f.name]!
    const size = kindSize(f.kind)
    const le = f.order !== 'be'
    const k = f.kind
    const read: Reader['read'] =
      typeof k === 'object' ? (v, o) => new Uint8Array(v.buffer.slice(v.byteOffset + o, v.byteOffset + o + size))
        : k === 'u8' ? (v, o) => v.getUint8(o)
          : k === 'u16' ? (v, o) => v.getUint16(o, le)
            : k === 'u32' ? (v, o) => v.getUint32(o, le)
              : k === 's32' ? (v, o) => v.getInt32(o, le)
                : (v, o) => v.getBigUint64(o, le)
    readers.push({ key: camel(f.name.slice(prefix.length)), offset, end: offset + size, read })
  }
  return (view, offset, length) => {
    const out: Record<string, number | bigint | Uint8Array> = {}
    for (const r of readers) {
      if (r.end > length) break
      out[r.key] = r.read(view, offset + r.offset)
    }
    return out as CamelPartial<F, P>
  }
}

/** Decode a fixed-size struct at `offset` of `bytes`, or throw a positioned {@link DecodeError}. */
export function fixedStruct<F extends readonly FieldSpec[]>(def: StructDef<F>, bytes: Uint8Array, offset = 0, base = 0): StructValue<F> {
  const left = bytes.length - offset
  if (left < def.size) throw new DecodeError(def.name, base + offset, `needs ${def.size} bytes, ${left} left`)
  return def.decode(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset)
}

/**
 * Decode the current attribute as a fixed struct. Kernels may append
 * fields, so a longer payload is accepted; a shorter one is an error.
 */
export function structAttribute<F extends readonly FieldSpec[]>(ad: AttributeDecoder, def: StructDef<F>): StructValue<F> | undefined {
  const p = ad.payload()
  if (p.length < def.size) {
    ad.invalid(def.name, `payload is ${p.length} bytes, expected at least ${def.size}`)
    return undefined
  }
  return def.decode(p.view, p.offset)
}

/** `struct sock_diag` memory counters (SK_MEMINFO_*), by name; `drops` is missing on kernels that send 8 entries. */
export interface SkMemInfo {
  rmemAlloc: number
  rcvbuf: number
  wmemAlloc: number
  sndbuf: number
  fwdAlloc: number
  wmemQueued: number
  optmem: number
  backlog: number
  drops?: number
}

const SK_MEMINFO_KEYS = Object.entries(SK_MEMINFO)
  .sort((a, b) => a[1] - b[1])
  .map(([name]) => camel(name.slice('SK_MEMINFO_'.length).toLowerCase()))

/** Decode a u32[] SK_MEMINFO attribute by length (at least the 8 classic entries). */
export function skMemInfoAttribute(ad: AttributeDecoder): SkMemInfo | undefined {
  const values = ad.u32Array()
  if (ad.err()) return undefined
  if (values.length < 8) {
    ad.invalid('sk_meminfo', `has ${values.length} entries, expected at least 8`)
    return undefined
  }
  const out: Record<string, number> = {}
  for (let i = 0; i < SK_MEMINFO_KEYS.length && i < values.length; i++) out[SK_MEMINFO_KEYS[i]!] = values[i]!
  return out as unknown as SkMemInfo
}

/** Join the two host-order u32 cookie words (`[0]` low, `[1]` high). */
export function cookie(lo: number, hi: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo)
}
