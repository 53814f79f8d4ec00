/**
 * Extras of the Process column: timer text (6.1 and upstream), timer,
 * users, -e details and skmem strings (ss-behavior §8.3).
 */
import t from 'tap'
import { inetDetailsExtra, netlinkDetailsExtra, packetDetailsExtra, shutdownExtra, skmemExtra, timerExtra, timerText, unixDetailsExtra, usersExtra } from '../../src/cli/format-extras.js'

t.test('timerText', async (t) => {
  const cases: [ms: number, v61: string, upstream: string][] = [
    [0, '', ''],
    [65, '065ms', '065ms'],
    [999, '999ms', '999ms'],
    [1000, '1sec', '1sec'],
    [1432, '1.432ms', '1.432sec'],
    [9500, '9.500ms', '9.500sec'],
    [12345, '12sec', '12sec'],
    [34000, '34sec', '34sec'],
    [60000, '1min', '1min'],
    [330000, '5min30sec', '5min30sec'],
    [330500, '5min30sec', '5min30sec'],
    [605000, '10min', '10min'],
    [7140000, '119min', '119min'],
  ]
  for (const [ms, v61, up] of cases) {
    t.equal(timerText(ms), v61, `${ms} ms, 6.1`)
    t.equal(timerText(ms, '6.1'), v61)
    t.equal(timerText(ms, 'upstream'), up, `${ms} ms, upstream`)
  }
})

t.test('timerExtra', async (t) => {
  t.equal(timerExtra(0, 1000, 0), '', 'no timer pending')
  t.equal(timerExtra(1, 1432, 0), ' timer:(on,1.432ms,0)')
  t.equal(timerExtra(1, 1432, 0, 'upstream'), ' timer:(on,1.432sec,0)')
  t.equal(timerExtra(2, 7140000, 0), ' timer:(keepalive,119min,0)')
  t.equal(timerExtra(3, 34000, 0), ' timer:(timewait,34sec,0)')
  t.equal(timerExtra(4, 330000, 3), ' timer:(persist,5min30sec,3)')
  t.equal(timerExtra(5, 0, 0), ' timer:(unknown,,0)')
})

t.test('usersExtra', async (t) => {
  t.equal(usersExtra([]), '')
  t.equal(usersExtra([{ comm: 'python3', pid: 13354, fd: 4 }, { comm: 'python3', pid: 13311, fd: 4 }]),
    ' users:(("python3",pid=13354,fd=4),("python3",pid=13311,fd=4))')
  t.equal(usersExtra([{ comm: 'nginx', pid: 1, tid: 2, fd: 6 }]), ' users:(("nginx",pid=1,tid=2,fd=6))')
})

t.test('inetDetailsExtra', async (t) => {
  const base = { family: 2, uid: 0, inode: 2550606, cookie: 0x3d3cn, mark: 0, cgroupId: 0n, shutdown: 0 }
  const path = (id: bigint): string => `unreachable:${id.toString(16)}`
  t.equal(inetDetailsExtra(base, path), ' ino:2550606 sk:3d3c <->')
  t.equal(inetDetailsExtra({ ...base, uid: 1000, mark: 0x1234, cgroupId: 1n }, path), ' uid:1000 ino:2550606 sk:3d3c fwmark:0x1234 cgroup:unreachable:1 <->')
  t.equal(inetDetailsExtra({ ...base, family: 10, v6only: true }, path), ' ino:2550606 sk:3d3c v6only:1 <->')
  t.equal(inetDetailsExtra({ ...base, family: 10 }, path), ' ino:2550606 sk:3d3c <->', 'no SKV6ONLY attribute (connected sockets): nothing')
  t.equal(inetDetailsExtra({ ...base, shutdown: undefined }, path), ' ino:2550606 sk:3d3c', 'no shutdown attribute')
  t.equal(inetDetailsExtra({ ...base, cookie: 0xffffffffffffffffn }, path), ' ino:2550606 sk:ffffffffffffffff <->')
})

t.test('shutdownExtra', async (t) => {
  t.equal(shutdownExtra(0), ' <->')
  t.equal(shutdownExtra(1), ' -->')
  t.equal(shutdownExtra(2), ' <--')
  t.equal(shutdownExtra(3), ' ---')
})

t.test('skmemExtra', async (t) => {
  const m = { rmemAlloc: 0, rcvbuf: 131072, wmemAlloc: 0, sndbuf: 16384, fwdAlloc: 0, wmemQueued: 0, optmem: 0 }
  t.equal(skmemExtra({ ...m, backlog: 0, drops: 0 }), ' skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0)')
  t.equal(skmemExtra({ ...m, backlog: 0 }), ' skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0)')
  t.equal(skmemExtra(m), ' skmem:(r0,rb131072,t0,tb16384,f0,w0,o0)')
})

t.test('unixDetailsExtra', async (t) => {
  t.equal(unixDetailsExtra({ shutdown: 0 }), ' <->')
  t.equal(unixDetailsExtra({ shutdown: 0, vfs: { ino: 2164073, dev: (254 << 20) | 0 } }), ' <-> ino:2164073 dev:0/65024', 'glibc major/minor of the kernel dev_t, as ss')
  t.equal(unixDetailsExtra({ shutdown: 0, vfs: { ino: 1, dev: (8 << 20) | 1 } }), ' <-> ino:1 dev:0/2049')
  t.equal(unixDetailsExtra({ shutdown: 2, icons: [] }), ' <-- peers:')
  t.equal(unixDetailsExtra({ icons: [11, 12] }), ' peers: 11 12')
})

t.test('packetDetailsExtra', async (t) => {
  t.equal(packetDetailsExtra({ inode: 5, cookie: 0xbb02n }), ' ino:5 sk:bb02')
  t.equal(packetDetailsExtra({ inode: 5, cookie: 0xbb02n, info: { version: 0, copyThresh: 0, flags: 1 } }), ' ino:5 sk:bb02\n\tver:0 cpy_thresh:0 flags( running )')
  t.equal(packetDetailsExtra({ inode: 5, cookie: 1n, info: { version: 2, copyThresh: 64, flags: 0x13 } }, true), ' ino:5 sk:1 ver:2 cpy_thresh:64 flags( running auxdata loss )')
})

t.test('netlinkDetailsExtra', async (t) => {
  t.equal(netlinkDetailsExtra(undefined), ' sk=0 cb=0 groups=0x00000000')
  t.equal(netlinkDetailsExtra([1, 3, 32]), ' sk=0 cb=0 groups=0x80000005')
})
