/**
 * The sockets of every network namespace on the host, read once per namespace (deduplicated by the inode of
 * /proc/<pid>/ns/net) through one of its processes, so that connections between containers on a bridge show
 * from both ends. Their holders come from {@link SocketOwners}.
 *
 * Reading /proc/<pid>/net/tcp is the costly part: the kernel walks its whole TCP hash table (shared by every
 * namespace unless `net.ipv4.tcp_child_ehash_entries` is set) for each read, about 3 ms per table on a host
 * with 24 GB, whatever the namespace holds. So a namespace's TCP tables are read again only when
 *
 * - its TCP counters moved (see `tcpSignature`: opens, failures, resets, established and TIME_WAIT counts),
 * - a process that held one of its TCP sockets exited (a server restarted on the same port moves no counter),
 * - or once every `tableMaxAge` runs (staggered by namespace, so they do not all fall on the same run),
 *
 * and not at all for a family the namespace has no socket of. UDP tables are cheap (the UDP hash table is
 * small) and read every run when the namespace has UDP sockets.
 */
import { type CgroupOwner, parseCgroup } from "./cgroup.js"
import { listPids, namespaceInode, readLink, readProcFile } from "./read.js"
import { SocketOwners, type OwnerStats } from "./socketOwners.js"
import { parseSocketTable, parseSockstat, type Socket, tcpSignature } from "./sockets.js"

/** The sockets of one network namespace. */
export interface NamespaceSockets {
  /** The namespace's inode. */
  readonly netns: string
  /** Whether it is the host's namespace (that of pid 1, or the probe's own). */
  readonly host: boolean
  /** The live processes in it. */
  readonly pids: ReadonlyArray<number>
  readonly sockets: ReadonlyArray<Socket>
  /**
   * Why its TCP tables were read this run, or `false` when the previous run's TCP sockets were kept: `new`
   * (first sight), `moved` (its counters moved), `holder-exited`, `refresh` (every `tableMaxAge` runs).
   */
  readonly tcpRead: false | "new" | "moved" | "holder-exited" | "refresh"
  /** The container or pod the namespace belongs to (through one of its processes); empty for the host's. */
  readonly owner: CgroupOwner
}

/** What one scan read, for benchmarks and tests. */
export interface NetworkStats {
  readonly namespaces: number
  /** TCP tables (tcp and tcp6 count apart) read this run. */
  readonly tcpTablesRead: number
  /** Namespaces whose previous TCP sockets were reused because their counters did not move. */
  readonly tcpReused: number
  readonly owners: OwnerStats
}

/** How the scanner reads. */
export interface NetworkSettings {
  readonly procRoot: string
  /** Re-walk every process's fds (spread over this many runs) and retry sockets without a holder as often. */
  readonly recheckEvery: number
  /** Read a namespace's TCP tables at least every this many runs, even when its counters did not move. */
  readonly tableMaxAge: number
}

interface NamespaceState {
  representative: number
  signature: string
  tcp: ReadonlyArray<Socket>
  tcpRun: number
  /** The processes that held its TCP sockets after the last table read. */
  holders: ReadonlyArray<number>
  owner: CgroupOwner | undefined
}

const noOwner: CgroupOwner = {}

/** The network namespaces, their sockets and the holders of those, kept between runs. */
export class NetworkScanner {
  private readonly owners: SocketOwners
  private namespaces = new Map<string, NamespaceState>()
  private cgroups = new Map<number, CgroupOwner>()
  private netnsOfPid: ReadonlyMap<number, string> = new Map()
  private run = 0
  stats: NetworkStats = {
    namespaces: 0,
    tcpTablesRead: 0,
    tcpReused: 0,
    owners: { walked: 0, links: 0, unknown: 0, unresolved: 0 }
  }

  constructor(private readonly settings: NetworkSettings) {
    this.owners = new SocketOwners(settings.procRoot, settings.recheckEvery)
  }

  /** Reads every namespace's sockets and finds their holders. */
  scan(): Array<NamespaceSockets> {
    const { procRoot } = this.settings
    const run = this.run++
    const netnsByPid = new Map<number, string>()
    const groups = new Map<string, Array<number>>()
    const { recheckEvery } = this.settings
    for (const pid of listPids(procRoot)) {
      // A process's namespace is read when it is new, then re-checked with a 1/recheckEvery share each run
      // (a pid reused by a process of another namespace between two runs).
      let netns = (pid + run) % recheckEvery === 0 ? undefined : this.netnsOfPid.get(pid)
      netns ??= namespaceInode(readLink(`${procRoot}/${pid}/ns/net`))
      if (netns === undefined) continue
      netnsByPid.set(pid, netns)
      const group = groups.get(netns)
      if (group === undefined) groups.set(netns, [pid])
      else group.push(pid)
    }
    const hostNetns =
      namespaceInode(readLink(`${procRoot}/1/ns/net`)) ?? namespaceInode(readLink(`${procRoot}/self/ns/net`))
    for (const pid of this.cgroups.keys()) if (!netnsByPid.has(pid)) this.cgroups.delete(pid)
    this.netnsOfPid = netnsByPid
    this.owners.begin(netnsByPid)
    const next = new Map<string, NamespaceState>()
    const out: Array<NamespaceSockets> = []
    let tcpTablesRead = 0
    let tcpReused = 0
    for (const [netns, pids] of groups) {
      const previous = this.namespaces.get(netns)
      const holdersAlive = previous === undefined || previous.holders.every((pid) => netnsByPid.get(pid) === netns)
      const read = this.readNamespace(netns, pids, previous, holdersAlive, run)
      if (read === undefined) continue
      tcpTablesRead += read.tcpTablesRead
      if (read.tcpRead === false) tcpReused++
      next.set(netns, read.state)
      const host = netns === hostNetns
      if (!host && read.state.owner === undefined) read.state.owner = this.ownerOfPid(read.state.representative)
      this.owners.resolve(
        read.sockets.map((socket) => socket.inode),
        pids
      )
      if (read.tcpRead !== false) read.state.holders = this.holdersOf(read.state.tcp)
      out.push({
        netns,
        host,
        pids,
        sockets: read.sockets,
        tcpRead: read.tcpRead,
        owner: host ? noOwner : (read.state.owner ?? noOwner)
      })
    }
    this.owners.finish()
    this.namespaces = next
    this.stats = { namespaces: out.length, tcpTablesRead, tcpReused, owners: this.owners.stats }
    return out
  }

  /** The pid holding a socket, if known. */
  holderOf(inode: number): number | undefined {
    return inode === 0 ? undefined : this.owners.ownerOf(inode)
  }

  /** The container and pod of a process (its cgroup, read once per process). */
  ownerOfPid(pid: number): CgroupOwner {
    let owner = this.cgroups.get(pid)
    if (owner === undefined) {
      const text = readProcFile(`${this.settings.procRoot}/${pid}/cgroup`)
      owner = text === undefined ? noOwner : parseCgroup(text)
      this.cgroups.set(pid, owner)
    }
    return owner
  }

  private holdersOf(sockets: ReadonlyArray<Socket>): Array<number> {
    const holders = new Set<number>()
    for (const socket of sockets) {
      const pid = this.holderOf(socket.inode)
      if (pid !== undefined) holders.add(pid)
    }
    return [...holders]
  }

  /** Reads one namespace through one of its processes, reusing what `previous` read when nothing moved. */
  private readNamespace(
    netns: string,
    pids: ReadonlyArray<number>,
    previous: NamespaceState | undefined,
    holdersAlive: boolean,
    run: number
  ):
    | {
        readonly state: NamespaceState
        readonly sockets: ReadonlyArray<Socket>
        readonly tcpTablesRead: number
        readonly tcpRead: NamespaceSockets["tcpRead"]
      }
    | undefined {
    const { procRoot, tableMaxAge } = this.settings
    // Read through the same process as last time while it lives (its cgroup is known), else any other.
    const order =
      previous !== undefined && pids.includes(previous.representative)
        ? [previous.representative, ...pids.filter((pid) => pid !== previous.representative)]
        : pids
    for (const pid of order) {
      const base = `${procRoot}/${pid}/net`
      // Counters first: a change between them and the tables makes the next run read again.
      const snmp = readProcFile(`${base}/snmp`)
      const sockstat = readProcFile(`${base}/sockstat`)
      if (snmp === undefined || sockstat === undefined) continue
      const sockstat6 = readProcFile(`${base}/sockstat6`)
      const counts = parseSockstat(sockstat, sockstat6)
      const signature = tcpSignature(snmp, sockstat, sockstat6)
      const sameProcess = previous?.representative === pid
      let tcp: ReadonlyArray<Socket>
      let tcpTablesRead = 0
      // Refreshed once every tableMaxAge runs, on a run that depends on the namespace: staggered.
      const due = (run + (Number(netns) % tableMaxAge)) % tableMaxAge === 0 && previous?.tcpRun !== run
      const tcpRead: NamespaceSockets["tcpRead"] =
        previous === undefined
          ? "new"
          : previous.signature !== signature
            ? "moved"
            : !holdersAlive
              ? "holder-exited"
              : due
                ? "refresh"
                : false
      const reused = tcpRead === false && previous !== undefined
      if (reused) tcp = previous.tcp
      else {
        const sockets: Array<Socket> = []
        if (counts.tcp > 0 || counts.timeWait > 0) {
          const text = readProcFile(`${base}/tcp`)
          if (text === undefined) continue
          sockets.push(...parseSocketTable(text, "tcp"))
          tcpTablesRead++
        }
        if (counts.tcp6 > 0 || (counts.timeWait > 0 && sockstat6 !== undefined)) {
          const text = readProcFile(`${base}/tcp6`)
          if (text !== undefined) sockets.push(...parseSocketTable(text, "tcp"))
          tcpTablesRead++
        }
        tcp = sockets
      }
      const sockets = [...tcp]
      if (counts.udp > 0) {
        const text = readProcFile(`${base}/udp`)
        if (text !== undefined) sockets.push(...parseSocketTable(text, "udp"))
      }
      if (counts.udp6 > 0) {
        const text = readProcFile(`${base}/udp6`)
        if (text !== undefined) sockets.push(...parseSocketTable(text, "udp"))
      }
      const state: NamespaceState = {
        representative: pid,
        signature,
        tcp,
        tcpRun: reused ? previous.tcpRun : run,
        holders: reused ? previous.holders : [],
        owner: sameProcess ? previous?.owner : undefined
      }
      return { state, sockets, tcpTablesRead, tcpRead }
    }
    return undefined
  }
}
