/**
 * The running kernel's HZ (jiffies per second), which inet_diag uses to turn
 * timer deadlines into the milliseconds of `idiag_expires` and which BTF does
 * not carry: the eBPF target reads deadlines in jiffies and converts them
 * in user space, as `jiffies_to_msecs()` does.
 *
 * Derived once per process from `/proc/timer_list` (root only, as the eBPF
 * target is): one read gives `jiffies` and the monotonic clock (`now at N
 * nsecs`) at the same moment, and jiffies started at `INITIAL_JIFFIES`
 * (2^32 − 300·HZ, kernel/time: five minutes before the 32-bit wrap) at boot,
 * when the monotonic clock started at 0: the HZ among the kernel's choices
 * that fits both within a second is the one. Failing that, `CONFIG_HZ` from
 * `/proc/config.gz`.
 */
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'

/** The HZ values Kconfig offers (`kernel/Kconfig.hz`). */
const CANDIDATES = [100, 250, 300, 1000] as const

let cached: number | null | undefined

/** HZ from one `/proc/timer_list` text, or null when no candidate fits. */
export function hzFromTimerList(text: string): number | null {
  const now = /^now at (\d+) nsecs$/m.exec(text)
  const jiffies = /^jiffies: (\d+)$/m.exec(text)
  if (!now || !jiffies) return null
  const seconds = Number(BigInt(now[1]!) / 1_000_000n) / 1000
  const j = BigInt(jiffies[1]!)
  for (const hz of CANDIDATES) {
    const ticked = Number(j - ((1n << 32n) - BigInt(300 * hz)))
    // Within 5 s: jiffies lag the monotonic clock by what boot did before the tick started (0.15 s here);
    // the next candidate is off by 300·ΔHZ jiffies at least.
    if (Math.abs(ticked - seconds * hz) < 5 * hz) return hz
  }
  return null
}

/** The running kernel's HZ; null when neither source answers. */
export function kernelHz(): number | null {
  if (cached !== undefined) return cached
  cached = null
  try {
    cached = hzFromTimerList(readFileSync('/proc/timer_list', 'latin1'))
  } catch {
    // not readable (not root): try the configuration
  }
  if (cached === null) {
    try {
      const m = /^CONFIG_HZ=(\d+)$/m.exec(gunzipSync(readFileSync('/proc/config.gz')).toString('latin1'))
      if (m) cached = Number(m[1])
    } catch {
      // no /proc/config.gz
    }
  }
  return cached
}

/** `jiffies_to_msecs()` for `hz` (u32 result, as `idiag_expires`). */
export function jiffiesToMsecs(j: number, hz: number): number {
  if (1000 % hz === 0) return ((1000 / hz) * j) >>> 0
  if (hz % 1000 === 0) return Math.floor((j + hz / 1000 - 1) / (hz / 1000)) >>> 0
  return Math.ceil((j * 1000) / hz) >>> 0
}
