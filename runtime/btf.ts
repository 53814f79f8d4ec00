/**
 * A BTF reader: the running kernel's type information (`/sys/kernel/btf/vmlinux`),
 * read once into an index of type offsets and decoded lazily, looked up by
 * name (modelled on cilium/ebpf's `btf.Spec`).
 *
 * The eBPF target takes every kernel-dependent number from here: the attach
 * target of an iterator (`FUNC bpf_iter_tcp`), helper numbers
 * (`enum bpf_func_id`), and struct member offsets, walking anonymous
 * structs/unions and bitfields. Nothing of that is hard-coded anywhere.
 *
 * ```ts
 * const btf = vmlinuxBtf()
 * btf.funcId('bpf_iter_tcp')                         // attach_btf_id
 * btf.enumValue('bpf_func_id', 'BPF_FUNC_seq_write') // 127 here
 * btf.member('sock_common', 'skc_num')               // { byteOffset: 14, size: 2, … }
 * ```
 */
import { readFileSync } from 'node:fs'
import { BTF_KINDS, BTF_MAGIC, btf_array, btf_enum, btf_enum64, btf_header, btf_member, btf_type } from '../uapi/bpf.js'
import type { BtfKindName } from '../uapi/bpf.js'

/** Why BTF could not answer. */
export type BtfErrorCode =
  /** No BTF file (kernel without CONFIG_DEBUG_INFO_BTF) or it cannot be read. */
  | 'E_BTF_UNAVAILABLE'
  /** Bytes that are not BTF, or a type section that does not parse. */
  | 'E_BTF_FORMAT'
  /** A name (type, member, enumerator) this kernel does not have. */
  | 'E_BTF_MISSING'

/** A BTF lookup or parse failure. */
export class BtfError extends Error {
  override readonly name = 'BtfError'
  constructor(readonly code: BtfErrorCode, message: string) {
    super(message)
  }
}

/** One decoded type header. */
export interface BtfType {
  readonly id: number
  readonly kind: BtfKindName
  /** Empty for anonymous types. */
  readonly name: string
  readonly vlen: number
  readonly kindFlag: boolean
  /** `size` for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT, else the referenced type id. */
  readonly sizeOrType: number
}

/** One struct/union member. */
export interface BtfMember {
  readonly name: string
  readonly type: number
  /** Offset from the start of the enclosing struct, in bits. */
  readonly bitOffset: number
  /** Bitfield width, 0 for a whole member. */
  readonly bitSize: number
}

/** Where a (possibly nested) member lives in its outermost struct. */
export interface MemberLocation {
  /** Byte offset of the storage unit to load (for a bitfield: its first byte, rounded down). */
  readonly byteOffset: number
  /** Bit offset from the start of the outer struct. */
  readonly bitOffset: number
  /** Bitfield width, 0 for a whole member. */
  readonly bitSize: number
  /** `sizeof` of the member's type (after typedefs and qualifiers). */
  readonly size: number
  /** The member's type id (unresolved). */
  readonly type: number
}

const KIND_BY_CODE = new Map(BTF_KINDS.map((k) => [k.code, k]))
const utf8 = new TextDecoder()

/** A parsed BTF blob. Construct with {@link Btf.parse} or {@link vmlinuxBtf}. */
export class Btf {
  /** Byte offset of each type's `btf_type`, by id (index 0 unused: id 0 is void). */
  readonly #at: Uint32Array
  readonly #view: DataView
  readonly #bytes: Uint8Array
  readonly #strOff: number
  readonly #strLen: number
  readonly #byName = new Map<string, number[]>()

  private constructor(bytes: Uint8Array, at: Uint32Array, strOff: number, strLen: number) {
    this.#bytes = bytes
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    this.#at = at
    this.#strOff = strOff
    this.#strLen = strLen
  }

  /**
   * Index a BTF blob (little-endian, as every kernel this project targets writes it).
   * @throws BtfError `E_BTF_FORMAT` on a bad header or a type section that overruns
   */
  static parse(bytes: Uint8Array): Btf {
    if (bytes.length < btf_header.size) throw new BtfError('E_BTF_FORMAT', `BTF: ${bytes.length} bytes, the header alone needs ${btf_header.size}`)
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const h = btf_header.decode(view)
    if (h.magic !== BTF_MAGIC) throw new BtfError('E_BTF_FORMAT', `BTF: magic 0x${h.magic.toString(16)}, expected 0x${BTF_MAGIC.toString(16)} (big-endian BTF is not supported)`)
    const typeStart = h.hdr_len + h.type_off
    const typeEnd = typeStart + h.type_len
    const strOff = h.hdr_len + h.str_off
    if (typeEnd > bytes.length || strOff + h.str_len > bytes.length) throw new BtfError('E_BTF_FORMAT', `BTF: sections end past the ${bytes.length}-byte blob`)
    const at: number[] = [0]
    let p = typeStart
    while (p < typeEnd) {
      if (p + btf_type.size > typeEnd) throw new BtfError('E_BTF_FORMAT', `BTF: type ${at.length} at byte ${p} is truncated`)
      const info = view.getUint32(p + btf_type.offsetOf.info, true)
      const k = KIND_BY_CODE.get((info >>> 24) & 0x1f)
      if (!k) throw new BtfError('E_BTF_FORMAT', `BTF: type ${at.length} has unknown kind ${(info >>> 24) & 0x1f}`)
      at.push(p)
      p += btf_type.size + k.extra + k.perVlen * (info & 0xffff)
    }
    if (p !== typeEnd) throw new BtfError('E_BTF_FORMAT', `BTF: last type ends at byte ${p}, the section at ${typeEnd}`)
    return new Btf(bytes, Uint32Array.from(at), strOff, h.str_len)
  }

  /** Number of types, void excluded; ids run from 1 to this. */
  get typeCount(): number {
    return this.#at.length - 1
  }

  #str(off: number): string {
    if (off >= this.#strLen) return ''
    const start = this.#strOff + off
    const end = this.#bytes.indexOf(0, start)
    return utf8.decode(this.#bytes.subarray(start, end < 0 ? this.#strOff + this.#strLen : end))
  }

  /**
   * The type header of `id`.
   * @throws BtfError `E_BTF_MISSING` for an id out of range (0 is void and has no header)
   */
  type(id: number): BtfType {
    const p = this.#at[id]
    if (id <= 0 || p === undefined) throw new BtfError('E_BTF_MISSING', `BTF: no type id ${id}`)
    const t = btf_type.decode(this.#view, p)
    return {
      id,
      kind: KIND_BY_CODE.get((t.info >>> 24) & 0x1f)!.name,
      name: this.#str(t.name_off),
      vlen: t.info & 0xffff,
      kindFlag: (t.info >>> 31) === 1,
      sizeOrType: t.size_or_type,
    }
  }

  /** Ids of every type named `name` (of `kind` when given), in id order. */
  findAll(name: string, kind?: BtfKindName): number[] {
    let ids = this.#byName.get(name)
    if (!ids) {
      // No full name index (decoding ~100k names costs more than the few lookups a
      // program needs): find the string's offsets with a native byte search, then
      // the types whose name_off is one of them.
      const offs = this.#strOffsets(name)
      ids = []
      if (offs.size) {
        for (let id = 1; id < this.#at.length; id++) if (offs.has(this.#view.getUint32(this.#at[id]!, true))) ids.push(id)
      }
      this.#byName.set(name, ids)
    }
    return kind === undefined ? ids : ids.filter((id) => this.type(id).kind === kind)
  }

  #strOffsets(name: string): Set<number> {
    const out = new Set<number>()
    if (name === '') return out
    const needle = Buffer.from(`\0${name}\0`)
    const strs = Buffer.from(this.#bytes.buffer, this.#bytes.byteOffset + this.#strOff, this.#strLen)
    for (let at = strs.indexOf(needle); at >= 0; at = strs.indexOf(needle, at + 1)) out.add(at + 1)
    return out
  }

  /**
   * The id of the type `name` of `kind`. STRUCT lookups skip forward declarations by construction (FWD is its own kind).
   * @throws BtfError `E_BTF_MISSING` when the kernel has no such type
   */
  typeId(name: string, kind: BtfKindName): number {
    const id = this.findAll(name, kind)[0]
    if (id === undefined) throw new BtfError('E_BTF_MISSING', `BTF: this kernel has no ${kind.toLowerCase()} ${name}`)
    return id
  }

  /** The id of the FUNC `name` (an iterator's attach target, e.g. `bpf_iter_tcp`). */
  funcId(name: string): number {
    return this.typeId(name, 'FUNC')
  }

  /** `id` with typedefs and qualifiers (const, volatile, restrict, type tags) stripped. */
  resolve(id: number): number {
    for (let guard = 0; guard < 64 && id !== 0; guard++) {
      const t = this.type(id)
      if (t.kind !== 'TYPEDEF' && t.kind !== 'CONST' && t.kind !== 'VOLATILE' && t.kind !== 'RESTRICT' && t.kind !== 'TYPE_TAG') return id
      id = t.sizeOrType
    }
    return id
  }

  /**
   * `sizeof` of a type, in bytes (pointers are 8: the kernels targeted are 64-bit).
   * @throws BtfError `E_BTF_FORMAT` for types without a size (void, functions)
   */
  sizeof(id: number): number {
    const r = this.resolve(id)
    if (r === 0) throw new BtfError('E_BTF_FORMAT', 'BTF: void has no size')
    const t = this.type(r)
    switch (t.kind) {
      case 'INT': case 'STRUCT': case 'UNION': case 'ENUM': case 'ENUM64': case 'FLOAT': case 'DATASEC':
        return t.sizeOrType
      case 'PTR':
        return 8
      case 'ARRAY': {
        const a = btf_array.decode(this.#view, this.#at[r]! + btf_type.size)
        return a.nelems * this.sizeof(a.type)
      }
      default:
        throw new BtfError('E_BTF_FORMAT', `BTF: type ${r} (${t.kind}) has no size`)
    }
  }

  readonly #members = new Map<number, readonly BtfMember[]>()

  /** Members of a STRUCT or UNION (empty for other kinds); decoded once per type. */
  members(id: number): readonly BtfMember[] {
    let ms = this.#members.get(id)
    if (!ms) {
      ms = this.#decodeMembers(id)
      this.#members.set(id, ms)
    }
    return ms
  }

  #decodeMembers(id: number): BtfMember[] {
    const t = this.type(id)
    if (t.kind !== 'STRUCT' && t.kind !== 'UNION') return []
    const out: BtfMember[] = []
    for (let i = 0; i < t.vlen; i++) {
      const m = btf_member.decode(this.#view, this.#at[id]! + btf_type.size + i * btf_member.size)
      let bitOffset = t.kindFlag ? m.offset & 0xffffff : m.offset
      let bitSize = t.kindFlag ? m.offset >>> 24 : 0
      if (!t.kindFlag) {
        // Old-style bitfields put the width and a bit offset in the INT's encoding.
        const r = this.resolve(m.type)
        const rt = r === 0 ? undefined : this.type(r)
        if (rt?.kind === 'INT') {
          const enc = this.#view.getUint32(this.#at[r]! + btf_type.size, true)
          const bits = enc & 0xff
          if (bits !== rt.sizeOrType * 8) {
            bitSize = bits
            bitOffset += (enc >>> 16) & 0xff
          }
        }
      }
      out.push({ name: this.#str(m.name_off), type: m.type, bitOffset, bitSize })
    }
    return out
  }

  /**
   * Locate `path` (member names separated by dots) inside struct/union
   * `outer`. Anonymous struct/union members are entered transparently, as C
   * does, so `member('sock_common', 'skc_num')` finds the port inside its
   * anonymous union/struct.
   * @throws BtfError `E_BTF_MISSING` when the struct or a member does not exist
   */
  member(outer: string | number, path: string): MemberLocation {
    let id = typeof outer === 'number' ? outer : this.#aggregate(outer)
    const outerName = typeof outer === 'number' ? this.type(outer).name : outer
    let bitBase = 0
    let found: BtfMember | undefined
    for (const name of path.split('.')) {
      const agg = this.resolve(id)
      const hit = this.#find(agg, name, 0)
      if (!hit) throw new BtfError('E_BTF_MISSING', `BTF: ${outerName} has no member ${path} on this kernel`)
      found = hit
      bitBase += hit.bitOffset
      id = hit.type
    }
    const m = found!
    const size = this.sizeof(m.type)
    const byteOffset = m.bitSize ? Math.floor(bitBase / 8) : bitBase / 8
    return { byteOffset, bitOffset: bitBase, bitSize: m.bitSize, size, type: m.type }
  }

  #aggregate(name: string): number {
    const ids = this.findAll(name).filter((i) => {
      const k = this.type(i).kind
      return k === 'STRUCT' || k === 'UNION'
    })
    if (ids[0] === undefined) throw new BtfError('E_BTF_MISSING', `BTF: this kernel has no struct ${name}`)
    return ids[0]
  }

  /** Depth-first through anonymous members; bit offsets made relative to `id`. */
  #find(id: number, name: string, base: number): BtfMember | undefined {
    for (const m of this.members(id)) {
      if (m.name === name) return { ...m, bitOffset: base + m.bitOffset }
      if (m.name === '') {
        const sub = this.#find(this.resolve(m.type), name, base + m.bitOffset)
        if (sub) return sub
      }
    }
    return undefined
  }

  /** Enumerators of an ENUM or ENUM64 (values as bigint; ENUM values sign-extended when kind_flag says signed). */
  enumerators(id: number): { readonly name: string, readonly value: bigint }[] {
    const t = this.type(id)
    const base = this.#at[id]! + btf_type.size
    const out: { name: string, value: bigint }[] = []
    if (t.kind === 'ENUM') {
      for (let i = 0; i < t.vlen; i++) {
        const e = btf_enum.decode(this.#view, base + i * btf_enum.size)
        out.push({ name: this.#str(e.name_off), value: t.kindFlag ? BigInt(e.val) : BigInt(e.val >>> 0) })
      }
    } else if (t.kind === 'ENUM64') {
      for (let i = 0; i < t.vlen; i++) {
        const e = btf_enum64.decode(this.#view, base + i * btf_enum64.size)
        const v = (BigInt(e.val_hi32) << 32n) | BigInt(e.val_lo32)
        out.push({ name: this.#str(e.name_off), value: t.kindFlag ? BigInt.asIntN(64, v) : v })
      }
    }
    return out
  }

  /**
   * The value of enumerator `value` of `enum name` (e.g. helper numbers:
   * `enumValue('bpf_func_id', 'BPF_FUNC_seq_write')`).
   * @throws BtfError `E_BTF_MISSING` when the enum or the enumerator does not exist
   */
  enumValue(name: string, value: string): number {
    const ids = [...this.findAll(name, 'ENUM'), ...this.findAll(name, 'ENUM64')]
    if (ids.length === 0) throw new BtfError('E_BTF_MISSING', `BTF: this kernel has no enum ${name}`)
    for (const id of ids) {
      const hit = this.enumerators(id).find((e) => e.name === value)
      if (hit) return Number(hit.value)
    }
    throw new BtfError('E_BTF_MISSING', `BTF: enum ${name} has no ${value} on this kernel`)
  }
}

/** Where the running kernel exposes its own BTF. */
export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux'

let vmlinux: Btf | undefined

/**
 * The running kernel's BTF, read and indexed on first use (about 5 MB).
 * @throws BtfError `E_BTF_UNAVAILABLE` when the file is missing or unreadable
 */
export function vmlinuxBtf(path: string = VMLINUX_BTF): Btf {
  if (path === VMLINUX_BTF && vmlinux) return vmlinux
  let bytes: Uint8Array
  try {
    bytes = readFileSync(path)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error'
    throw new BtfError('E_BTF_UNAVAILABLE', `BTF: cannot read ${path} (${code}); the kernel needs CONFIG_DEBUG_INFO_BTF for the eBPF target`)
  }
  const btf = Btf.parse(bytes)
  if (path === VMLINUX_BTF) vmlinux = btf
  return btf
}
