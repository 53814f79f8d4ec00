/**
 * The sock_diag runtime: open a NETLINK_SOCK_DIAG socket (optionally in
 * another network namespace), send dump requests described as plain data
 * plus bytecode bytes, and stream decoded socket records.
 *
 * ```ts
 * const sock = openDiag({ netns: 'blue' })
 * try {
 *   for (const rec of dump(sock, { kind: 'inet', family: AF.AF_INET, protocol: 6, states: 1 << 10, ext: 0, bytecode: null })) {
 *     console.log(rec.localPort)
 *   }
 * } finally {
 *   sock.close()
 * }
 * ```
 */
export { openDiag, netnsPath } from './netns.js'
export type { OpenDiagOptions } from './netns.js'
export { DiagSocket, createDiagFd } from './netlink.js'
export type { DiagSocketOptions } from './netlink.js'
export { dump, dumpLegacyTcp, destroySocket, Dump, MessageBatch, ReplyReader } from './dump.js'
export { InetMessageView } from './inet-view.js'
export type { DumpOptions } from './dump.js'
export { encodeRequest, encodeLegacyTcpRequest, encodeDestroyRequest, DUMP_FLAGS } from './requests.js'
export type { DiagKind, SockDiagRequest, LegacyTcpRequest, InetSocketId, EncodeOptions } from './requests.js'
export { decodeRecord } from './record.js'
export type { SocketRecord } from './record.js'
export { decodeInet } from './decode-inet.js'
export type { InetRecord, TcpInfo, MptcpInfo, InetMemInfo, VegasInfo, DctcpInfo, BbrInfo, Md5Sig } from './decode-inet.js'
export { decodeUnix, unixName } from './decode-unix.js'
export type { UnixRecord } from './decode-unix.js'
export { decodePacket } from './decode-packet.js'
export type { PacketRecord, PacketInfo, PacketMcEntry, PacketRing, SockFilterInsn } from './decode-packet.js'
export { decodeNetlink } from './decode-netlink.js'
export type { NetlinkRecord } from './decode-netlink.js'
export { decodeVsock, decodeXdp, decodeTipc } from './decode-vsock.js'
export type { VsockRecord, XdpRecord, TipcRecord } from './decode-vsock.js'
export type { SkMemInfo } from './decode-common.js'
export { NetlinkError, DecodeError, RequestError, errnoInfo } from './errors.js'
export type { ExtAck, NetlinkOperation } from './errors.js'
export { SS_SEQ, splitMessages, encodeMessage, decodeError, decodeDone } from './message.js'
export type { Message, ErrorMessage } from './message.js'
export { AttributeDecoder, encodeAttribute, encodeU32Attribute, align } from './attributes.js'
export type { RawAttribute } from './attributes.js'
export { openDiagEvents, DiagEvents, decodeDestroyEvents, destroyGroups, groupMask, DESTROY_GROUPS, BPF_MAXINSNS, BPF_ACCEPT_ALL, SOCK_FILTER_SIZE } from './events.js'
export type { DestroyEvent, DestroySelection, OpenDiagEventsOptions, DiagEventsStats } from './events.js'
export { Btf, BtfError, vmlinuxBtf, VMLINUX_BTF } from './btf.js'
export type { BtfType, BtfMember, MemberLocation, BtfErrorCode } from './btf.js'
export { loadIter, runIter, readIterLayout, iterSupport, IterLink, BpfError, SYS_BPF } from './bpf-iter.js'
export type { BpfOperation, LoadIterOptions } from './bpf-iter.js'
export { decodeIterTcp, ITER_TCP_RECORD_SIZE } from './decode-iter.js'
