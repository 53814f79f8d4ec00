// The kernel's HZ from /proc/timer_list (captured text: this machine runs
// HZ=250, booted 23596 s before), and jiffies_to_msecs() for the HZ values
// Kconfig offers, against the kernel's formulas worked by hand.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { hzFromTimerList, jiffiesToMsecs, kernelHz } from '../../runtime/kernel-hz.js'

const sample = (nowNs: bigint, jiffies: bigint): string => `Timer List Version: v0.10\nHRTIMER_MAX_CLOCK_BASES: 8\nnow at ${nowNs} nsecs\n\ncpu: 0\njiffies: ${jiffies}\n`

t.test('HZ from one /proc/timer_list read', async (t) => {
  // INITIAL_JIFFIES = 2^32 - 300·HZ; jiffies = INITIAL_JIFFIES + seconds·HZ.
  t.equal(hzFromTimerList(sample(23595998811812n, 4300791259n)), 250, "captured here: HZ=250, jiffies 0.15 s behind")
  for (const hz of [100, 250, 300, 1000]) {
    const seconds = 86_400.5
    const jiffies = (1n << 32n) - BigInt(300 * hz) + BigInt(Math.floor(seconds * hz))
    t.equal(hzFromTimerList(sample(BigInt(seconds * 1e9), jiffies)), hz, `HZ=${hz} after a day`)
  }
  t.equal(hzFromTimerList(sample(5_000_000_000n, 42n)), null, 'no candidate fits')
  t.equal(hzFromTimerList('garbage'), null, 'not a timer list')
})

t.test('jiffies_to_msecs()', async (t) => {
  const cases: [number, number, number][] = [
    [250, 0, 0], [250, 1, 4], [250, 11_500, 46_000], [100, 7, 70], [1000, 1234, 1234], [300, 1, 4], [300, 3, 10], [300, 4, 14],
  ]
  for (const [hz, j, ms] of cases) t.equal(jiffiesToMsecs(j, hz), ms, `HZ=${hz}: ${j} jiffies = ${ms} ms`)
})

let readable = true
try { readFileSync('/proc/timer_list') } catch { readable = false }
t.test('this machine', { skip: !readable && process.env.CI !== 'true' ? '/proc/timer_list needs root (CI=true makes this a failure)' : false }, async (t) => {
  const hz = kernelHz()
  t.ok(hz !== null && [100, 250, 300, 1000].includes(hz), `HZ ${hz}`)
})
