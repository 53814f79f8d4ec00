/**
 * The unix part of an eBPF listing: the `iter/unix` program's records, with
 * its user-space part, or the same sockets over netlink when the walk
 * cannot be trusted.
 *
 * Why the fallback: the kernel's unix iterator collects one hash bucket at
 * a time, and when a `read()` ends inside a bucket (the program's records
 * fill the iterator's 32 KiB seq_file buffer) the next read resumes at the
 * next bucket (`bpf_iter_unix_batch()` marks the bucket done), so the rest
 * of that bucket is never shown. Measured here: 44 % of 99 k sockets
 * missing from an unfiltered walk. A walk whose records come in one read
 * never resumes, so it is complete; one that needs a second read is
 * dropped and the unix sockets are listed over netlink (the diag target's
 * request, the filter in user space), which prints the same rows.
 *
 * Not detected: a read also ends after a million sockets (bpf_seq_read's
 * object limit); with a namespace holding more unix sockets than that and a
 * filter selecting few of them, such a boundary can pass unseen (an EAGAIN
 * read, retried by IterLink.chunks, or an end of data that looks like the
 * end of the walk), and the rest of that bucket is missed.
 */
import type { Filter } from '../compiler/filter.js'
import { compilePlan } from '../compiler/compile.js'
import { evaluate } from '../compiler/evaluate.js'
import { metricsOf } from '../compiler/metrics.js'
import type { IterLink } from '../runtime/bpf-iter.js'
import { decodeIterUnixChunks } from '../runtime/decode-iter-unix.js'
import type { UnixRecord } from '../runtime/decode-unix.js'
import { runQuery } from './query.js'
import type { EbpfListingOptions, EbpfListingProgram } from './ebpf-query.js'

/** Where the unix sockets of the last {@link runUnixListing} came from (for tests and `--verbose`). */
export type UnixListingSource = 'iter/unix' | 'netlink'

/**
 * The unix sockets of a listing: the program's records when its walk came
 * in one read, else the netlink dump. `onSource` is told which.
 * @throws BpfError (iterating), NetlinkError (the fallback dump, the namespace)
 */
export function* runUnixListing(p: EbpfListingProgram, link: IterLink, filter: Filter | null, opts: EbpfListingOptions, onSource?: (s: UnixListingSource) => void): Generator<UnixRecord> {
  const reads = link.chunks(opts.netns)[Symbol.iterator]()
  const first = reads.next()
  const only = first.done ? new Uint8Array(0) : first.value.slice()
  if (!first.done && !reads.next().done) {
    reads.return?.(undefined)
    onSource?.('netlink')
    yield* unixOverNetlink(filter, opts)
    return
  }
  onSource?.('iter/unix')
  // A netlink reply carries UNIX_DIAG_UID only when the request asks, which it does for a uid predicate.
  const uid = metricsOf(filter).includes('uid')
  const rest = p.userSpace
  const env = { localPortRange: opts.localPortRange }
  for (const rec of decodeIterUnixChunks([only], { uid })) if (rest === null || evaluate(rest, rec, env)) yield rec
}

/** The listing's unix request alone, as the diag target runs it. */
function* unixOverNetlink(filter: Filter | null, opts: EbpfListingOptions): Generator<UnixRecord> {
  const plan = opts.plan ?? compilePlan(filter, { selection: opts.selection, preferredFamily: 0 })
  const unixOnly = { ...plan, requests: plan.requests.filter((r) => r.kind === 'unix') }
  const { selection } = opts
  const run = runQuery(unixOnly, {
    families: selection.families, tables: selection.tables, states: selection.states, localPortRange: opts.localPortRange,
    ...(opts.netns !== undefined ? { netns: opts.netns } : {}),
  })
  for (const rec of run) if (rec.kind === 'unix') yield rec
}
