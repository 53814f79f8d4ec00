/**
 * Kernel structs declared once, as data.
 *
 * A struct is a list of fields, each with its own byte order (ports and
 * addresses in `inet_diag_sockid` are big-endian, almost everything else is
 * host order). Offsets are computed from the field list and checked against
 * the declared `sizeof` when the module loads, so a typo in a table fails at
 * import time rather than producing subtly wrong bytes.
 */

/** Scalar field kinds. `u64` decodes to `bigint`. */
export type ScalarKind = 'u8' | 'u16' | 'u32' | 's32' | 'u64'
/** Field kinds: scalars, or a fixed number of raw bytes (addresses, names). */
export type FieldKind = ScalarKind | { readonly bytes: number }

/** One field of a struct table. */
export interface FieldSpec {
  readonly name: string
  readonly kind: FieldKind
  /** Byte order of a scalar field: 'le' (host order on the kernels we target) or 'be' (network order). */
  readonly order?: 'le' | 'be'
}

type ValueOf<K> = K extends 'u64' ? bigint : K extends ScalarKind ? number : Uint8Array

/** The TypeScript value type derived from a field list. */
export type StructValue<F extends readonly FieldSpec[]> = {
  -readonly [P in F[number] as P['name']]: ValueOf<P['kind']>
}

/** A struct table with derived encode/decode, offsets and an annotated dump. */
export interface StructDef<F extends readonly FieldSpec[]> {
  readonly name: string
  readonly size: number
  readonly fields: F
  /** Offset of each field, by name. */
  readonly offsetOf: Readonly<Record<F[number]['name'], number>>
  decode(view: DataView, offset?: number): StructValue<F>
  encode(value: Partial<StructValue<F>>, view: DataView, offset?: number): void
  /** A fresh zero-filled buffer holding `value`. */
  bytes(value: Partial<StructValue<F>>): Uint8Array
  /** One line per field: offset, name, hex bytes. */
  dump(bytes: Uint8Array, offset?: number): string[]
}

/** Size in bytes of a field kind. */
export function kindSize(kind: FieldKind): number {
  if (typeof kind === 'object') return kind.bytes
  switch (kind) {
    case 'u8': return 1
    case 'u16': return 2
    case 'u32': case 's32': return 4
    case 'u64': return 8
  }
}

/**
 * Declare a struct. `sizeof` is the kernel's `sizeof(struct …)`; fields must
 * add up to it exactly (declare padding as named `pad*` fields).
 */
export function defineStruct<const F extends readonly FieldSpec[]>(name: string, sizeof: number, fields: F): StructDef<F> {
  const offsets: Record<string, number> = {}
  let at = 0
  for (const f of fields) {
    offsets[f.name] = at
    at += kindSize(f.kind)
  }
  if (at !== sizeof) throw new TypeError(`struct ${name}: fields add up to ${at} bytes, sizeof is ${sizeof}`)

  function decode(view: DataView, base = 0): StructValue<F> {
    const out: Record<string, number | bigint | Uint8Array> = {}
    for (const f of fields) {
      const o = base + offsets[f.name]!
      const le = f.order !== 'be'
      const k = f.kind
      if (typeof k === 'object') out[f.name] = new Uint8Array(view.buffer.slice(view.byteOffset + o, view.byteOffset + o + k.bytes))
      else if (k === 'u8') out[f.name] = view.getUint8(o)
      else if (k === 'u16') out[f.name] = view.getUint16(o, le)
      else if (k === 'u32') out[f.name] = view.getUint32(o, le)
      else if (k === 's32') out[f.name] = view.getInt32(o, le)
      else out[f.name] = view.getBigUint64(o, le)
    }
    return out as StructValue<F>
  }

  function encode(value: Partial<StructValue<F>>, view: DataView, base = 0): void {
    const v = value as Record<string, number | bigint | Uint8Array | undefined>
    for (const f of fields) {
      const x = v[f.name]
      if (x === undefined) continue
      const o = base + offsets[f.name]!
      const le = f.order !== 'be'
      const k = f.kind
      if (typeof k === 'object') {
        const b = x as Uint8Array
        if (b.length > k.bytes) throw new RangeError(`${name}.${f.name}: ${b.length} bytes do not fit in ${k.bytes}`)
        new Uint8Array(view.buffer, view.byteOffset + o, b.length).set(b)
      } else if (k === 'u8') view.setUint8(o, x as number)
      else if (k === 'u16') view.setUint16(o, x as number, le)
      else if (k === 'u32') view.setUint32(o, (x as number) >>> 0, le)
      else if (k === 's32') view.setInt32(o, x as number, le)
      else view.setBigUint64(o, BigInt.asUintN(64, x as bigint), le)
    }
  }

  function bytes(value: Partial<StructValue<F>>): Uint8Array {
    const b = new Uint8Array(sizeof)
    encode(value, new DataView(b.buffer))
    return b
  }

  function dump(b: Uint8Array, base = 0): string[] {
    return fields.map((f) => {
      const o = base + offsets[f.name]!
      const hex = Array.from(b.subarray(o, o + kindSize(f.kind)), (x) => x.toString(16).padStart(2, '0')).join('')
      return `${String(o).padStart(4)}  ${name}.${f.name}  ${hex}`
    })
  }

  return { name, size: sizeof, fields, offsetOf: offsets as StructDef<F>['offsetOf'], decode, encode, bytes, dump }
}
