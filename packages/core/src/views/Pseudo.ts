/**
 * Pseudo nodes: what a view draws for traffic to and from outside its topology. Public addresses become
 * "The Internet" (one node for inbound and one for outbound traffic), private addresses nobody in the report
 * owns become unknown peers (one per address, or one per subnet when a subnet has many), and endpoints whose
 * owner is not part of the view (a host process in the containers view) go to a per-host "Uncontained" or
 * "Unmanaged" node.
 *
 * | id                                   | label         | when                                              |
 * |--------------------------------------|---------------|---------------------------------------------------|
 * | `in-theinternet`                     | The Internet  | a public address opened the connection            |
 * | `out-theinternet`                    | The Internet  | the connection went out to a public address       |
 * | `pseudo:peer:<address>`              | the address   | a private address that no node in the report owns |
 * | `pseudo:peer:<scope>;<address>`      | the address   | the same for a host-local (loopback) address      |
 * | `pseudo:peer:<subnet>`               | the subnet    | more than {@link peerGroupThreshold} peers share a `/24` (IPv4) or `/64` (IPv6) |
 * | `pseudo:uncontained:<host id>`       | Uncontained   | containers view: a process outside any container  |
 * | `pseudo:unmanaged:<host id>`         | Unmanaged     | Kubernetes views: a process outside any pod       |
 *
 * @since 0.1.0
 */
import { isPublicAddress as isPublic } from "../internal/views/address.js"
import type { RenderedNode } from "./View.js"

/**
 * The id of The Internet as the source of inbound connections.
 *
 * @since 0.1.0
 * @category constants
 */
export const incomingInternetId = "in-theinternet"

/**
 * The id of The Internet as the target of outbound connections.
 *
 * @since 0.1.0
 * @category constants
 */
export const outgoingInternetId = "out-theinternet"

/**
 * The topology name rendered pseudo nodes carry.
 *
 * @since 0.1.0
 * @category constants
 */
export const topology = "pseudo"

/**
 * Unknown peers in one subnet are grouped into one node when there are more than this many of them.
 *
 * @since 0.1.0
 * @category constants
 */
export const peerGroupThreshold = 16

/**
 * The id of the pseudo node for an unknown peer address; `scope` is the host id for host-local addresses.
 *
 * @since 0.1.0
 * @category constructors
 */
export const peerId = (address: string, scope = ""): string =>
  scope === "" ? `pseudo:peer:${address}` : `pseudo:peer:${scope};${address}`

/**
 * The id of the pseudo node grouping the unknown peers of a subnet (`10.0.9.0/24`, `fd00:0:0:1::/64`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const peerSubnetId = (subnet: string): string => `pseudo:peer:${subnet}`

/**
 * The id of the per-host pseudo node for processes outside any container (containers views).
 *
 * @since 0.1.0
 * @category constructors
 */
export const uncontainedId = (hostId: string): string => `pseudo:uncontained:${hostId}`

/**
 * The id of the per-host pseudo node for processes and containers outside any pod (Kubernetes views).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unmanagedId = (hostId: string): string => `pseudo:unmanaged:${hostId}`

/**
 * Whether a rendered node id is a pseudo node id.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isPseudoId = (id: string): boolean =>
  id === incomingInternetId || id === outgoingInternetId || id.startsWith("pseudo:")

/**
 * Whether a node id stands for something outside the report (The Internet, an unknown peer), as opposed to
 * the per-host Uncontained/Unmanaged nodes that stand for real processes the view has no place for.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isOutsideId = (id: string): boolean =>
  id === incomingInternetId || id === outgoingInternetId || id.startsWith("pseudo:peer:")

/**
 * Whether an address is on the public internet (not RFC 1918, loopback, link-local, CGNAT, unspecified or
 * IPv6 unique-local). Traffic with public addresses nobody owns goes to The Internet.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isPublicAddress: (address: string) => boolean = isPublic

const base = (
  id: string,
  label: string,
  labelMinor: string,
  rank: string,
  shape: RenderedNode["shape"],
  parents: RenderedNode["parents"] = {},
  stack = 1
): RenderedNode => ({
  id,
  topology,
  label,
  labelMinor,
  rank,
  shape,
  status: "unknown",
  pseudo: true,
  stack,
  parents,
  labels: {},
  metrics: {},
  members: []
})

/**
 * The Internet node for one direction of traffic.
 *
 * @since 0.1.0
 * @category constructors
 */
export const internetNode = (direction: "inbound" | "outbound"): RenderedNode =>
  direction === "inbound"
    ? base(incomingInternetId, "The Internet", "Inbound connections", "internet", "cloud")
    : base(outgoingInternetId, "The Internet", "Outbound connections", "internet", "cloud")

/**
 * The node of one unknown peer address; `hostLabel` names the host of a host-local address.
 *
 * @since 0.1.0
 * @category constructors
 */
export const peerNode = (address: string, scope = "", hostLabel = scope): RenderedNode =>
  base(
    peerId(address, scope),
    address,
    scope === "" ? "Unknown peer" : `Unknown peer on ${hostLabel}`,
    "peer",
    "square"
  )

/**
 * The node grouping `count` unknown peers of one subnet.
 *
 * @since 0.1.0
 * @category constructors
 */
export const peerSubnetNode = (subnet: string, count: number): RenderedNode =>
  base(peerSubnetId(subnet), subnet, `${count} unknown peers`, "peer", "square", {}, count)

/**
 * The per-host node for processes outside any container.
 *
 * @since 0.1.0
 * @category constructors
 */
export const uncontainedNode = (hostId: string, hostLabel = hostId): RenderedNode =>
  base(uncontainedId(hostId), "Uncontained", hostLabel, "uncontained", "square", { hosts: [hostId] })

/**
 * The per-host node for processes and containers outside any pod.
 *
 * @since 0.1.0
 * @category constructors
 */
export const unmanagedNode = (hostId: string, hostLabel = hostId): RenderedNode =>
  base(unmanagedId(hostId), "Unmanaged", hostLabel, "unmanaged", "square", { hosts: [hostId] })
