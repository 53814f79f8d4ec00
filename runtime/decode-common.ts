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

/** Field kinds as small integers, so the reader loop is a switch rather than a call per field. */
const K_U8 = 0, K_U16 = 1, K_U32 = 2, K_S32 = 3, K_U64 = 4, K_BYTES = 5

/**
 * A decoder for a struct that only grows between kernel versions (tcp_info,
 * mptcp_info): fields are read when they lie entirely inside the payload,
 * and left out otherwise. Fields whose name does not start with `prefix`
 * (padding) are skipped. The name mapping is computed once, here.
 */
export function growingStruct<const F extends readonly FieldSpec[], const P extends string>(def: StructDef<F>, prefix: P): (view: DataView, offset: number, length: number) => CamelPartial<F, P> {
  const keys: string[] = []
  const offsets: number[] = []
  const ends: number[] = []
  const kinds: number[] = []
  const little: boolean[] = []
  for (const f of def.fields) {
    if (!f.name.startsWith(prefix)) continue
    const offset = (def.offsetOf as Record<string, number>)[f.name]!
    const k = f.kind
    keys.push(camel(f.name.slice(prefix.length)))
    offsets.push(offset)
    ends.push(offset + kindSize(k))
    kinds.push(typeof k === 'object' ? K_BYTES : k === 'u8' ? K_U8 : k === 'u16' ? K_U16 : k === 'u32' ? K_U32 : k === 's32' ? K_S32 : K_U64)
    little.push(f.order !== 'be')
  }
  const n = keys.length
  return (view, offset, length) => {
    const out: Record<string, number | bigint | Uint8Array> = {}
    for (let i = 0; i < n && ends[i]! <= length; i++) {
      const o = offset + offsets[i]!
      const le = little[i]
      switch (kinds[i]) {
        case K_U8: out[keys[i]!] = view.getUint8(o); break
        case K_U16: out[keys[i]!] = view.getUint16(o, le); break
        case K_U32: out[keys[i]!] = view.getUint32(o, le); break
        case K_S32: out[keys[i]!] = view.getInt32(o, le); break
        case K_U64: out[keys[i]!] = view.getBigUint64(o, le); break
        default: out[keys[i]!] = new Uint8Array(view.buffer.slice(view.byteOffset + o, view.byteOffset + ends[i]!))
      }
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
