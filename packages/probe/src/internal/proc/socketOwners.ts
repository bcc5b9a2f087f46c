/**
 * Which process holds each socket, found through socket inodes (a socket's file descriptors link to
 * `socket:[<inode>]`), without reading every process's /proc/<pid>/fd on every run, which is what made
 * Weave Scope's probe expensive.
 *
 * The table `inode -> pid` is kept between runs. A socket whose inode is not in it (or whose holder exited)
 * is "unknown"; only then are file descriptors read, and only those of processes in the socket's network
 * namespace, most likely holders first:
 *
 * 1. processes never walked (new ones), newest first: all of them;
 * 2. processes that held sockets when last walked, the ones that most recently gained a socket first (a busy
 *    server accepts, a client reconnects);
 * 3. the others, least recently walked first.
 *
 * The search stops as soon as every unknown socket of the namespace has its holder, and walks at most
 * `max(16, processes / recheckEvery)` processes of groups 2 and 3 per namespace per run: a socket closed
 * between the table read and the walk, or held by no process, must not turn every run into a full walk.
 * What the budget left unsearched is searched on the next runs (least recently walked first); a socket
 * that no process of its namespace holds after all were walked (a kernel socket, a holder that moved to
 * another namespace) is set aside and retried after `recheckEvery` runs.
 *
 * To correct holders that changed without the table noticing (a socket passed to another process, a parent
 * that closed its copy), a rolling re-walk visits `1 / recheckEvery` of the processes each run, so every
 * process is re-read once per `recheckEvery` runs: the naive walk's cost, spread thin.
 */
import { listDir, readLink } from "./read.js"

/** What one run read, for benchmarks and tests. */
export interface OwnerStats {
  /** Processes whose fd directory was listed. */
  readonly walked: number
  /** fd links read. */
  readonly links: number
  /** Sockets whose holder was looked for. */
  readonly unknown: number
  /** Unknown sockets left without a holder this run. */
  readonly unresolved: number
}

interface PidState {
  readonly netns: string
  /** The run in which the pid was first seen. */
  readonly firstRun: number
  /** The last run its fds were read, -1 never. */
  walkedRun: number
  /** The last run a walk found it holding a socket it did not hold before, -1 never. */
  gainedRun: number
  /** Socket inodes it held at the last walk. */
  inodes: ReadonlyArray<number>
}

const minimumBudget = 16

/** 0: never walked, 1: held sockets, 2: the others. */
const rank = (state: PidState): number => (state.walkedRun < 0 ? 0 : state.inodes.length > 0 ? 1 : 2)

/** The `inode -> pid` table and the walks that keep it. */
export class SocketOwners {
  private readonly owners = new Map<number, number>()
  private readonly pids = new Map<number, PidState>()
  /** Inodes no process was found to hold, with the run they were given up in. */
  private readonly orphans = new Map<number, number>()
  private run = 0
  private cursor = 0
  private walked = 0
  private links = 0
  private unknown = 0
  private unresolved = 0
  stats: OwnerStats = { walked: 0, links: 0, unknown: 0, unresolved: 0 }

  constructor(
    private readonly procRoot: string,
    private readonly recheckEvery: number
  ) {}

  /**
   * Starts a run with the live processes and their network namespaces: forgets the exited ones (and the
   * sockets they held) and registers new ones.
   */
  begin(netnsByPid: ReadonlyMap<number, string>): void {
    this.run++
    this.walked = 0
    this.links = 0
    this.unknown = 0
    this.unresolved = 0
    for (const [pid, state] of this.pids) {
      if (netnsByPid.get(pid) !== state.netns) {
        this.forget(pid, state)
        this.pids.delete(pid)
      }
    }
    for (const [pid, netns] of netnsByPid) {
      if (!this.pids.has(pid)) {
        this.pids.set(pid, { netns, firstRun: this.run, walkedRun: -1, gainedRun: -1, inodes: [] })
      }
    }
    for (const [inode, run] of this.orphans) if (this.run - run >= this.recheckEvery) this.orphans.delete(inode)
  }

  /** The pid holding a socket, if known. */
  ownerOf(inode: number): number | undefined {
    return this.owners.get(inode)
  }

  /**
   * Finds the holders of the sockets of one namespace that have none (`inodes`: the socket inodes of its
   * tables; 0 is skipped), walking its processes `pids` in order of likelihood until all are found or the
   * budget is spent.
   */
  resolve(inodes: Iterable<number>, pids: ReadonlyArray<number>): void {
    const missing = new Set<number>()
    for (const inode of inodes) {
      if (inode === 0 || this.orphans.has(inode)) continue
      const pid = this.owners.get(inode)
      if (pid === undefined || !this.pids.has(pid)) missing.add(inode)
    }
    if (missing.size === 0) return
    this.unknown += missing.size
    let budget = Math.max(minimumBudget, Math.ceil(pids.length / this.recheckEvery))
    let searchedAll = true
    for (const pid of this.candidates(pids)) {
      const state = this.pids.get(pid)!
      if (state.walkedRun === this.run) continue
      if (rank(state) > 0 && budget-- <= 0) {
        searchedAll = false
        break
      }
      for (const inode of this.walk(pid, state)) missing.delete(inode)
      if (missing.size === 0) return
    }
    this.unresolved += missing.size
    if (searchedAll) for (const inode of missing) this.orphans.set(inode, this.run)
  }

  /** Re-walks the next share of processes (the rolling re-check) and ends the run. */
  finish(): void {
    const all = [...this.pids.keys()].sort((a, b) => a - b)
    const share = Math.ceil(all.length / this.recheckEvery)
    if (this.cursor >= all.length) this.cursor = 0
    for (let i = 0; i < share && all.length > 0; i++) {
      const pid = all[(this.cursor + i) % all.length]!
      const state = this.pids.get(pid)!
      if (state.walkedRun !== this.run) this.walk(pid, state)
    }
    this.cursor += share
    this.stats = { walked: this.walked, links: this.links, unknown: this.unknown, unresolved: this.unresolved }
  }

  /** Pids of one namespace in the order to walk them. */
  private candidates(pids: ReadonlyArray<number>): Array<number> {
    const states = this.pids
    const order = (a: number, b: number): number => {
      const x = states.get(a)!
      const y = states.get(b)!
      const r = rank(x)
      if (r !== rank(y)) return r - rank(y)
      if (r === 0) return y.firstRun - x.firstRun || b - a
      if (r === 1) return y.gainedRun - x.gainedRun || y.inodes.length - x.inodes.length || b - a
      return x.walkedRun - y.walkedRun || b - a
    }
    return pids.filter((pid) => states.has(pid)).sort(order)
  }

  /** Reads one process's fds: records the sockets it holds and returns their inodes. */
  private walk(pid: number, state: PidState): Array<number> {
    const dir = `${this.procRoot}/${pid}/fd`
    const fds = listDir(dir)
    this.walked++
    state.walkedRun = this.run
    const held: Array<number> = []
    if (fds !== undefined) {
      for (const fd of fds) {
        const link = readLink(`${dir}/${fd}`)
        this.links++
        // socket:[12345]
        if (link === undefined || !link.startsWith("socket:[")) continue
        const inode = Number(link.slice(8, -1))
        if (Number.isInteger(inode)) held.push(inode)
      }
    }
    const before = new Set(state.inodes)
    const now = new Set(held)
    for (const inode of state.inodes) if (!now.has(inode) && this.owners.get(inode) === pid) this.owners.delete(inode)
    for (const inode of held) {
      if (!before.has(inode)) state.gainedRun = this.run
      const current = this.owners.get(inode)
      // A socket shared by several processes (a listener inherited by workers) keeps its first live holder.
      if (current === undefined || current === pid || !this.pids.has(current)) this.owners.set(inode, pid)
      this.orphans.delete(inode)
    }
    state.inodes = held
    return held
  }

  private forget(pid: number, state: PidState): void {
    for (const inode of state.inodes) if (this.owners.get(inode) === pid) this.owners.delete(inode)
  }
}
