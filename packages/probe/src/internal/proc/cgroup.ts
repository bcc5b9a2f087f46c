/**
 * Which container (and Kubernetes pod) a process belongs to, from its /proc/<pid>/cgroup. Works for cgroup v1
 * (one line per hierarchy) and v2 (`0::<path>`), with the cgroupfs and systemd drivers:
 *
 * | runtime                    | path (one segment shown)                                                  |
 * |----------------------------|---------------------------------------------------------------------------|
 * | Docker, cgroupfs driver    | `/docker/<64 hex>`                                                        |
 * | Docker, systemd driver     | `/system.slice/docker-<64 hex>.scope`                                     |
 * | containerd (CRI)           | `…/cri-containerd-<64 hex>.scope`                                         |
 * | CRI-O, Podman              | `…/crio-<64 hex>.scope`, `…/libpod-<64 hex>.scope`                        |
 * | Kubernetes, cgroupfs       | `/kubepods/besteffort/pod<uid>/<64 hex>`                                  |
 * | Kubernetes, systemd        | `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with _>.slice/cri-containerd-<64 hex>.scope` |
 *
 * The outermost container id on the path wins: with Docker in Docker (or kind) the host's runtime knows the
 * outer container, not the ones inside it. Monitor processes that sit beside a container
 * (`crio-conmon-<id>.scope`, `libpod-conmon-<id>.scope`) belong to the host.
 */

/** The container and pod of a process; both absent for host processes. */
export interface CgroupOwner {
  /** The full container id (64 hex digits). */
  readonly containerId?: string
  /** The Kubernetes pod uid (with dashes). */
  readonly podUid?: string
}

const containerSegment = /^(?:(docker|cri-containerd|crio|libpod|containerd)-)?([0-9a-f]{64})(?:\.scope)?$/
const podSegment =
  /(?:^|-)pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12}|[0-9a-f]{32})(?:\.slice)?$/

const none: CgroupOwner = {}

/** Reads the container id and pod uid from the text of /proc/<pid>/cgroup. */
export const parseCgroup = (text: string): CgroupOwner => {
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":", line.indexOf(":") + 1)
    if (colon < 0) continue
    const owner = ownerOfPath(line.slice(colon + 1))
    if (owner !== none) return owner
  }
  return none
}

/** Reads the container id and pod uid from one cgroup path. */
export const ownerOfPath = (path: string): CgroupOwner => {
  let containerId: string | undefined
  let podUid: string | undefined
  let kubernetes = false
  for (const segment of path.split("/")) {
    if (segment.startsWith("kubepods")) kubernetes = true
    const container = containerSegment.exec(segment)
    if (container !== null) {
      containerId = container[2]
      break
    }
    if (kubernetes) {
      const pod = podSegment.exec(segment)
      if (pod !== null) podUid = pod[1]!.replaceAll("_", "-")
    }
  }
  if (containerId === undefined && podUid === undefined) return none
  return containerId === undefined
    ? { podUid: podUid! }
    : podUid === undefined
      ? { containerId }
      : { containerId, podUid }
}
