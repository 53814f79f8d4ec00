/**
 * Extras of the Process column: timer text (6.1 and upstream), timer,
 * users, -e details and skmem strings (ss-behavior §8.3).
 */
import t from 'tap'
import fc from 'fast-check'
import { execFileSync } from 'node:child_process'
import { bwText, fixed0, fixed1, formatG, inetExtras, ulpExtra, mptcpInfoExtra, netlinkExtras, packetExtras, unixExtras, tcpInfoExtra, inetDetailsExtra, netlinkDetailsExtra, packetDetailsExtra, shutdownExtra, skmemExtra, timerExtra, timerText, unixDetailsExtra, usersExtra } from '../../src/cli/format-extras.js'

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

const U64 = 0xffffffffffffffffn

t.test('formatG is C %g', async (t) => {
  const cases: [number, string][] = [
    [0, '0'], [204, '204'], [0.008, '0.008'], [0.0001, '0.0001'], [0.00001, '1e-05'], [123456, '123456'],
    [1234567, '1.23457e+06'], [1.5, '1.5'], [40, '40'], [1 / 3, '0.333333'], [99999.95, '99999.9'], [999999.5, '1e+06'],
  ]
  for (const [x, want] of cases) t.equal(formatG(x), want, String(x))
  t.equal(formatG(138.2, 3), '138')
  t.equal(formatG(1.5, 3), '1.5')
})

t.test('bwText', async (t) => {
  t.equal(bwText(0, false), '0')
  t.equal(bwText(138.2e9, false), '138G')
  t.equal(bwText(394e9, false), '394G')
  t.equal(bwText(1.5e12, false), '1.5T')
  t.equal(bwText(2500, false), '2.5k')
  t.equal(bwText(999, false), '999')
  t.equal(bwText(327410000000, true), '327410000000')
  t.equal(bwText(154202352941.17648, true), '154202352941')
  // C's %.0f (glibc, checked with printf): a tie goes to the even integer, and every digit is printed.
  t.equal(bwText(7812.5, true), '7812', '32741 * 10 * 8e6 / 1024 style tie: even')
  t.equal(bwText(3.5, true), '4')
  t.equal(bwText(1.5e26, true), '149999999999999998557159424', 'no exponent form from 1e21 on')
})

t.test('fixed0 and fixed1 are C %.0f and %.1f (values from glibc printf)', async (t) => {
  const cases: [x: number, f0: string, f1: string][] = [
    [0, '0', '0.0'], [0.5, '0', '0.5'], [2.5, '2', '2.5'], [3.5, '4', '3.5'], [7812.5, '7812', '7812.5'],
    [0.25, '0', '0.2'], [0.75, '1', '0.8'], [1.25, '1', '1.2'], [99.95, '100', '100.0'], [0.05, '0', '0.1'],
    [1e21, '1000000000000000000000', '1000000000000000000000.0'], [1.5e26, '149999999999999998557159424', '149999999999999998557159424.0'],
  ]
  for (const [x, f0, f1] of cases) {
    t.equal(fixed0(x), f0, `%.0f of ${x}`)
    t.equal(fixed1(x), f1, `%.1f of ${x}`)
  }
})

t.test('tcpInfoExtra reproduces the ss-behavior §8.5 examples', async (t) => {
  const est = {
    congestion: 'bbr',
    info: {
      options: 7, sndWscale: 10, rcvWscale: 10, rto: 204000, rtt: 8, rttvar: 4, sndMss: 32741, pmtu: 65535, rcvMss: 536, advmss: 65483,
      sndCwnd: 10, sndSsthresh: 0x7fffffff, bytesAcked: 1n, bytesReceived: 0n, segsOut: 2, segsIn: 1, lastDataSent: 5428, lastDataRecv: 5428,
      lastAckRecv: 5428, pacingRate: 116961147509n, maxPacingRate: U64, delivered: 1, deliveryRateAppLimited: true, rcvSpace: 65495,
      rcvSsthresh: 65495, minRtt: 8, sndWnd: 65483, reordering: 3, ato: 0,
    },
    bbr: { bw: 0n, minRtt: 8, pacingGain: 256, cwndGain: 256 },
  }
  t.equal(tcpInfoExtra(est, true, true), ' ts sack bbr wscale:10,10 rto:204 rtt:0.008/0.004 mss:32741 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_acked:1 segs_out:2 segs_in:1 bbr:(bw:0bps,mrtt:0.008,pacing_gain:1,cwnd_gain:1) send 327410000000bps lastsnd:5428 lastrcv:5428 lastack:5428 pacing_rate 935689180072bps delivered:1 app_limited rcv_space:65495 rcv_ssthresh:65495 minrtt:0.008 snd_wnd:65483')
  const est2 = {
    congestion: 'bbr',
    info: {
      options: 7, sndWscale: 10, rcvWscale: 10, rto: 204000, rtt: 17, rttvar: 8, ato: 40000, sndMss: 32768, pmtu: 65535, rcvMss: 536, advmss: 65483,
      sndCwnd: 10, bytesReceived: 5n, segsOut: 1, segsIn: 3, dataSegsIn: 1, lastDataSent: 5440, lastDataRecv: 5440, lastAckRecv: 5440,
      pacingRate: 55085926128n, delivered: 1, deliveryRateAppLimited: true, rcvSpace: 65483, rcvSsthresh: 65483, minRtt: 17, sndWnd: 65536, reordering: 3,
    },
    bbr: { bw: 0n, minRtt: 17, pacingGain: 0, cwndGain: 0 },
  }
  t.equal(tcpInfoExtra(est2, false, true), ' bbr wscale:10,10 rto:204 rtt:0.017/0.008 ato:40 mss:32768 pmtu:65535 rcvmss:536 advmss:65483 cwnd:10 bytes_received:5 segs_out:1 segs_in:3 data_segs_in:1 bbr:(bw:0bps,mrtt:0.017) send 154202352941bps lastsnd:5440 lastrcv:5440 lastack:5440 pacing_rate 440687409024bps delivered:1 app_limited rcv_space:65483 rcv_ssthresh:65483 minrtt:0.017 snd_wnd:65536')
  t.equal(tcpInfoExtra({ congestion: 'bbr', info: { state: 10, sndCwnd: 10, reordering: 3, unacked: 2, sacked: 5 } }, false, false), ' bbr cwnd:10 unacked:2', 'a listener; sacked not shown for LISTEN')
  t.equal(tcpInfoExtra({ info: { rto: 3000000, reordering: 3 } }, false, false), '', 'rto 3000 ms is not printed')
  t.equal(tcpInfoExtra({ info: { rtt: 1000, sndCwnd: 10, sndMss: 1448, reordering: 3, busyTime: 10000n, rwndLimited: 2500n, retrans: 0, totalRetrans: 4 } }, false, false),
    ' rtt:1/0 mss:1448 cwnd:10 send 116Mbps busy:10ms rwnd_limited:2ms(25.0%) retrans:0/4')
  t.equal(tcpInfoExtra({ dctcp: { enabled: 1, ceState: 0, alpha: 0, abEcn: 0, abTot: 0 } }, false, false), ' dctcp:(ce_state:0,alpha:0,ab_ecn:0,ab_tot:0)')
  t.equal(tcpInfoExtra({ dctcp: { enabled: 0, ceState: 0, alpha: 0, abEcn: 0, abTot: 0 } }, false, false), ' dctcp:fallback_mode')
})

t.test('formatG equals printf %g and %.3g (python\'s %-formatting, which is C\'s) on 2000 generated values', async (t) => {
  const values = fc.sample(fc.oneof(
    fc.double({ min: 0, max: 1e15, noNaN: true }),
    fc.integer({ min: 0, max: 10_000_000 }).map((v) => v / 1000),
    fc.integer({ min: 0, max: 2 ** 32 }).map((v) => v * 8),
  ), { numRuns: 2000, seed: 7 })
  const py = 'import sys\nfor l in sys.stdin.read().split():\n x=float(l); print("%g %.3g" % (x, x))'
  const want = execFileSync('python3', ['-c', py], { input: values.map((v) => v.toPrecision(17)).join('\n'), encoding: 'latin1' }).trim().split('\n')
  let bad = 0
  values.forEach((v, k) => {
    const got = `${formatG(v)} ${formatG(v, 3)}`
    if (got !== want[k] && bad++ < 5) t.equal(got, want[k], v.toPrecision(17))
  })
  t.equal(bad, 0, 'all agree (seed 7)')
})

t.test('inetExtras: order, line break, per-protocol block', async (t) => {
  const base = { family: 2, state: 1, uid: 0, inode: 7, cookie: 0xan, mark: 0, cgroupId: 0n, shutdown: 0, timer: 1, expires: 1432, retrans: 0 }
  const none = { showOptions: false, showDetails: false, showMem: false, showTcpInfo: false, oneline: false, numeric: true, cgroupPath: () => '/' }
  t.equal(inetExtras(base, 6, none), '', 'nothing asked')
  t.equal(inetExtras(base, 6, { ...none, users: [{ comm: 'a', pid: 1, fd: 3 }], showOptions: true, showDetails: true }),
    ' users:(("a",pid=1,fd=3)) timer:(on,1.432ms,0) ino:7 sk:a <->', 'users, timer, details')
  t.equal(inetExtras(base, 6, { ...none, showOptions: true, timerStyle: 'upstream' }), ' timer:(on,1.432sec,0)')
  const skMemInfo = { rmemAlloc: 0, rcvbuf: 131072, wmemAlloc: 0, sndbuf: 16384, fwdAlloc: 0, wmemQueued: 0, optmem: 0, backlog: 0, drops: 0 }
  const listener = { ...base, state: 10, timer: 0, skMemInfo, congestion: 'bbr', tcpInfo: { sndCwnd: 10, reordering: 3 } }
  t.equal(inetExtras(listener, 6, { ...none, showMem: true, showTcpInfo: true }), '\n\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10', 'ss-behavior §8.5 -tanmi listener')
  t.equal(inetExtras(listener, 6, { ...none, showMem: true, showTcpInfo: true, oneline: true }), ' skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0) bbr cwnd:10', '-O')
  t.equal(inetExtras({ ...base, state: 6, timer: 0 }, 6, { ...none, showTcpInfo: true }), '\n\t', 'TIME-WAIT: a lone tab line')
  t.equal(inetExtras(listener, 17, { ...none, showTcpInfo: true }), '', 'UDP: no -i block')
  t.equal(inetExtras(listener, 17, { ...none, showMem: true }), '\n\t skmem:(r0,rb131072,t0,tb16384,f0,w0,o0,bl0,d0)', 'UDP -m')
  t.equal(inetExtras({ ...base, memInfo: { rmem: 1, wmem: 2, fmem: 3, tmem: 4 } }, 6, { ...none, showMem: true }), '\n\t mem:(r1,w2,f3,t4)', 'old MEMINFO')
  t.equal(inetExtras({ ...base, tos: 0, tclass: 0x10, classId: 0 }, 6, { ...none, showTos: true }), ' tos:0 tclass:0x10 class_id:0')
  t.equal(inetExtras({ ...base, sockopt: 0b10011 }, 6, { ...none, showInetSockopt: true }), '\n\tinet-sockopt: ( recverr is_icsk mc_loop)')
  t.equal(inetExtras({ ...base, cgroupId: 5n }, 6, { ...none, showCgroup: true, cgroupPath: (id) => `/x/${id}` }), ' cgroup:/x/5')
})

t.test('unix, netlink and packet Process columns', async (t) => {
  const mem = { rmemAlloc: 0, rcvbuf: 212992, wmemAlloc: 0, sndbuf: 212992, fwdAlloc: 0, wmemQueued: 0, optmem: 0, backlog: 0, drops: 0 }
  t.equal(unixExtras({ shutdown: 0, vfs: { ino: 2164073, dev: 254 << 20 }, icons: [], memInfo: mem }, { showDetails: true, showMem: true, oneline: false }),
    ' skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0) <-> ino:2164073 dev:0/65024 peers:', 'ss-behavior §8.5 -xanem')
  t.equal(unixExtras({ shutdown: 0 }, { showDetails: false, showMem: false, oneline: false, users: [{ comm: 'x', pid: 2, fd: 5 }] }), ' users:(("x",pid=2,fd=5))')
  t.equal(netlinkExtras({ groups: [1], memInfo: mem }, { showDetails: true, showMem: true, oneline: false }), ' sk=0 cb=0 groups=0x00000001\t skmem:(r0,rb212992,t0,tb212992,f0,w0,o0,bl0,d0)')
  t.equal(packetExtras({ inode: 1, cookie: 2n, info: { version: 0, copyThresh: 0, flags: 1 } }, { showDetails: true, showMem: false, oneline: true }), ' ino:1 sk:2 ver:0 cpy_thresh:0 flags( running )')
  // Captured from ss 6.1 -0abmeO and -0abm on a raw packet socket with a 2-instruction filter.
  const pkt = { inode: 2406609, cookie: 0x12d432n, info: { version: 0, copyThresh: 0, flags: 1 }, filter: [{ code: 0x28, jt: 0, jf: 0, k: 12 }, { code: 6, jt: 0, jf: 0, k: 65535 }], memInfo: { ...mem, optmem: 280 } }
  t.equal(packetExtras(pkt, { showDetails: true, showMem: true, showBpf: true, oneline: true }),
    ' ino:2406609 sk:12d432 ver:0 cpy_thresh:0 flags( running ) bpf filter (2):  0x28 0 0 12, 0x06 0 0 65535, skmem:(r0,rb212992,t0,tb212992,f0,w0,o280,bl0,d0)')
  t.equal(packetExtras(pkt, { showDetails: false, showMem: true, showBpf: true, oneline: false }),
    '\n\tbpf filter (2):  0x28 0 0 12, 0x06 0 0 65535, skmem:(r0,rb212992,t0,tb212992,f0,w0,o280,bl0,d0)')
  t.equal(packetExtras({ ...pkt, filter: [] }, { showDetails: false, showMem: false, showBpf: true, oneline: false }), '', 'no filter, nothing')
  t.equal(packetExtras(pkt, { showDetails: false, showMem: false, showBpf: true, bpfListing: true, oneline: false }),
    '\n\tbpf filter (2):  0x28 0 0 12, 0x06 0 0 65535,\n\t(000) ldh      [12]\n\t(001) ret      #65535', '-b --verbose: tcpdump -d lines')
  t.equal(packetExtras(pkt, { showDetails: false, showMem: false, showBpf: true, bpfListing: true, oneline: true }),
    ' bpf filter (2):  0x28 0 0 12, 0x06 0 0 65535, (000) ldh      [12]; (001) ret      #65535', '-b --verbose -O')
})

t.test('ulpExtra: tcp-ulp-NAME with MPTCP subflow and TLS details', async (t) => {
  // Captured from ss 6.1 -tani on an MPTCP connection over loopback.
  t.equal(ulpExtra({ name: 'mptcp', mptcp: { flags: 0xc3, tokenRem: 0, idRem: 0, tokenLoc: 0xd4b4dc2f, idLoc: 0, mapSeq: 0x89e7c437b9db2142n, mapSfseq: 1, ssnOffset: 0xb69e7d10, mapDatalen: 0 } }),
    ' tcp-ulp-mptcp flags:Mmec token:0000(id:0)/d4b4dc2f(id:0) seq:89e7c437b9db2142 sfseq:1 ssnoff:b69e7d10 maplen:0')
  t.equal(ulpExtra({ name: 'mptcp' }), ' tcp-ulp-mptcp', 'a listener has no subflow attributes')
  t.equal(ulpExtra({ name: 'mptcp', mptcp: { flags: 0, tokenLoc: 1 } }), ' tcp-ulp-mptcp', 'no flags, incomplete token: nothing')
  t.equal(ulpExtra({ name: 'tls', tls: { version: 0x0304, cipher: 52, rxConf: 2, txConf: 1, zcRoTx: true } }),
    ' tcp-ulp-tls version: 1.3 cipher: aes-gcm-256 rxconf: sw txconf: none zc_ro_tx')
  t.equal(ulpExtra({ name: 'tls', tls: { version: 7, cipher: 53, rxConf: 9, zcRoTx: false } }),
    ' tcp-ulp-tls version: unknown(7) rxconf: unknown(9)', 'unknown codes; 6.1 names only two ciphers')
})

t.test('mptcpInfoExtra', async (t) => {
  // Captured from ss 6.1 -Mani on an MPTCP connection over loopback.
  t.equal(mptcpInfoExtra({ subflows: 0, subflowsMax: 2, flags: 2, token: 0x469c5541, writeSeq: 0xf1c791f7fd3613e3n, sndUna: 0xf1c791f7fd3613e3n, rcvNxt: 0x2b5a0cf8423fd46fn, localAddrUsed: 0 }),
    ' subflows_max:2 remote_key token:469c5541 write_seq:f1c791f7fd3613e3 snd_una:f1c791f7fd3613e3 rcv_nxt:2b5a0cf8423fd46f')
  t.equal(mptcpInfoExtra({ subflows: 1, flags: 1, csumEnabled: 1 }), ' subflows:1 fallback csum_enabled:1')
  t.equal(mptcpInfoExtra({}), '')
})
