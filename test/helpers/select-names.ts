/**
 * Names for the masks of compiler/select in test tables: families as ss's
 * `-f` spells them (`link` for AF_PACKET), in ascending AF order.
 */
import { AF } from '../../uapi/inet-diag.js'

const FAMILIES: readonly (readonly [string, number])[] = [
  ['unix', AF.AF_UNIX], ['inet', AF.AF_INET], ['inet6', AF.AF_INET6], ['netlink', AF.AF_NETLINK],
  ['link', AF.AF_PACKET], ['tipc', AF.AF_TIPC], ['vsock', AF.AF_VSOCK], ['xdp', AF.AF_XDP],
]

/** The family names in a `1 << af` mask. */
export function familyNames(mask: number): string[] {
  return FAMILIES.filter(([, af]) => (mask & (1 << af)) !== 0).map(([name]) => name)
}

/** `preferred_family` as a name (`unspec` for AF_UNSPEC). */
export function preferredName(af: number): string {
  return FAMILIES.find(([, f]) => f === af)?.[0] ?? (af === AF.AF_UNSPEC ? 'unspec' : `af${af}`)
}
