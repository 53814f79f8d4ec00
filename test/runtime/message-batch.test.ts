// MessageBatch.retain: the messages kept are those the predicate takes, in
// their order, with their bounds; the rest of the spans is not read.
import t from 'tap'
import fc from 'fast-check'
import { MessageBatch } from '../../runtime/dump.js'

t.test('retain keeps, in order, exactly what the predicate takes', async (t) => {
  fc.assert(fc.property(fc.array(fc.tuple(fc.nat(1000), fc.nat(200), fc.boolean()), { maxLength: 60 }), fc.nat(5), (msgs, slack) => {
    const b = new MessageBatch('inet', 6)
    // Spans longer than the count, as a reused batch has them.
    b.spans = new Int32Array(2 * (msgs.length + slack)).fill(-1)
    msgs.forEach(([start, len], i) => { b.spans[2 * i] = start; b.spans[2 * i + 1] = start + len })
    b.count = msgs.length
    // Called once per message, in order, with its bounds.
    let calls = 0
    let inOrder = true
    const m = b.retain((start, end) => {
      const [s, len, keep] = msgs[calls++]!
      inOrder &&= start === s && end === s + len
      return keep
    })
    const want = msgs.filter(([, , keep]) => keep).flatMap(([s, len]) => [s, s + len])
    if (!inOrder || calls !== msgs.length || m !== want.length / 2 || b.count !== m) return false
    return [...b.spans.subarray(0, 2 * m)].every((x, i) => x === want[i])
  }), { numRuns: 500 })
  t.pass('500 runs')
})
