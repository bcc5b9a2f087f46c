/**
 * What the collector reads from the Engine API, read defensively: a field of the wrong type is skipped, an
 * entry without an id is dropped, and nothing here throws on odd JSON from an old or unusual engine.
 */

/** A published or exposed port of a container (`GET /containers/json`). */
export interface Port {
  readonly ip: string | undefined
  readonly privatePort: number
  readonly publicPort: number | undefined
  readonly type: string
}

/** A mount of a container. */
export interface Mount {
  readonly type: string
  /** The volume name for volumes, the host path for binds. */
  readonly source: string
  readonly destination: string
  readonly rw: boolean
}

/** One entry of `GET /containers/json?all=1`. */
export interface ContainerSummary {
  readonly id: string
  /** Without the leading `/`. */
  readonly name: string
  /** The image as the container was created with it (`nginx:1.25`, or an id when the tag moved since). */
  readonly image: string
  readonly imageId: string
  readonly command: string | undefined
  /** Seconds since the epoch. */
  readonly created: number | undefined
  /** `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
  readonly state: string
  /** `Up 5 minutes`, `Exited (0) 3 seconds ago`. */
  readonly status: string | undefined
  readonly labels: Readonly<Record<string, string>>
  readonly ports: ReadonlyArray<Port>
  readonly networkMode: string | undefined
  readonly ips: ReadonlyArray<string>
  readonly mounts: ReadonlyArray<Mount>
}

/** What `GET /containers/{id}/json` adds to the summary. */
export interface ContainerDetails {
  readonly id: string
  readonly state: string
  /** The pid of the container's first process on the host, 0 when it does not run. */
  readonly pid: number
  readonly startedAt: string | undefined
  readonly finishedAt: string | undefined
  readonly exitCode: number | undefined
  readonly restartCount: number | undefined
  readonly hostname: string | undefined
  /** `Config.Image`: the image reference the container was created from. */
  readonly image: string | undefined
  readonly env: ReadonlyArray<string>
  readonly tty: boolean
  readonly networkMode: string | undefined
  readonly ips: ReadonlyArray<string>
  readonly tmpfs: ReadonlyArray<string>
  readonly limits: Limits
}

/** Resource limits from `HostConfig`; absent (or 0) means unlimited. */
export interface Limits {
  readonly memory: number | undefined
  readonly memorySwap: number | undefined
  readonly cpuShares: number | undefined
  readonly cpuQuota: number | undefined
  readonly cpuPeriod: number | undefined
  readonly nanoCpus: number | undefined
  readonly pidsLimit: number | undefined
}

/** One entry of `GET /images/json`. */
export interface ImageSummary {
  readonly id: string
  readonly repoTags: ReadonlyArray<string>
  /** Seconds since the epoch. */
  readonly created: number | undefined
  readonly size: number | undefined
  readonly labels: Readonly<Record<string, string>>
}

/** One event of `GET /events`. */
export interface DockerEvent {
  readonly type: string
  /** The action without its detail: `exec_start: sh` -> `exec_start`. */
  readonly action: string
  readonly id: string
  readonly attributes: Readonly<Record<string, string>>
}

type Json = Readonly<Record<string, unknown>>

const isObject = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const str = (u: unknown): string | undefined => (typeof u === "string" ? u : undefined)
const num = (u: unknown): number | undefined => (typeof u === "number" && Number.isFinite(u) ? u : undefined)
const positive = (u: unknown): number | undefined => {
  const n = num(u)
  return n !== undefined && n > 0 ? n : undefined
}
const obj = (u: unknown): Json => (isObject(u) ? u : {})
const arr = (u: unknown): ReadonlyArray<unknown> => (Array.isArray(u) ? u : [])

const stringRecord = (u: unknown): Readonly<Record<string, string>> => {
  if (!isObject(u)) return {}
  const out: Record<string, string> = {}
  for (const key in u) {
    const value = u[key]
    if (typeof value === "string") out[key] = value
  }
  return out
}

const networkIps = (networks: unknown): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const network of Object.values(obj(networks))) {
    const n = obj(network)
    const v4 = str(n.IPAddress)
    const v6 = str(n.GlobalIPv6Address)
    if (v4 !== undefined && v4 !== "") out.push(v4)
    if (v6 !== undefined && v6 !== "") out.push(v6)
  }
  return out
}

const readPort = (u: unknown): Port | undefined => {
  const p = obj(u)
  const privatePort = num(p.PrivatePort)
  if (privatePort === undefined) return undefined
  return { ip: str(p.IP), privatePort, publicPort: positive(p.PublicPort), type: str(p.Type) ?? "tcp" }
}

const readMount = (u: unknown): Mount | undefined => {
  const m = obj(u)
  const destination = str(m.Destination)
  if (destination === undefined) return undefined
  const type = str(m.Type) ?? "bind"
  const source = (type === "volume" ? str(m.Name) : undefined) ?? str(m.Source) ?? ""
  return { type, source, destination, rw: m.RW !== false }
}

/** Reads `GET /containers/json?all=1`; `undefined` when the answer is not a list. */
export const readContainerList = (json: unknown): ReadonlyArray<ContainerSummary> | undefined => {
  if (!Array.isArray(json)) return undefined
  const out: Array<ContainerSummary> = []
  for (const entry of json) {
    if (!isObject(entry)) continue
    const id = str(entry.Id)
    if (id === undefined || id === "") continue
    const names = arr(entry.Names)
    const name = str(names[0]) ?? ""
    const ports: Array<Port> = []
    for (const p of arr(entry.Ports)) {
      const port = readPort(p)
      if (port !== undefined) ports.push(port)
    }
    const mounts: Array<Mount> = []
    for (const m of arr(entry.Mounts)) {
      const mount = readMount(m)
      if (mount !== undefined) mounts.push(mount)
    }
    out.push({
      id,
      name: name.startsWith("/") ? name.slice(1) : name,
      image: str(entry.Image) ?? "",
      imageId: str(entry.ImageID) ?? "",
      command: str(entry.Command),
      created: num(entry.Created),
      state: str(entry.State) ?? "unknown",
      status: str(entry.Status),
      labels: stringRecord(entry.Labels),
      ports,
      networkMode: str(obj(entry.HostConfig).NetworkMode),
      ips: networkIps(obj(entry.NetworkSettings).Networks),
      mounts
    })
  }
  return out
}

/** Reads `GET /containers/{id}/json`; `undefined` when the answer has no id. */
export const readContainerDetails = (json: unknown): ContainerDetails | undefined => {
  if (!isObject(json)) return undefined
  const id = str(json.Id)
  if (id === undefined) return undefined
  const state = obj(json.State)
  const config = obj(json.Config)
  const host = obj(json.HostConfig)
  const env: Array<string> = []
  for (const entry of arr(config.Env)) if (typeof entry === "string") env.push(entry)
  const finishedAt = str(state.FinishedAt)
  return {
    id,
    state: str(state.Status) ?? "unknown",
    pid: num(state.Pid) ?? 0,
    startedAt: str(state.StartedAt),
    finishedAt: finishedAt === undefined || finishedAt.startsWith("0001-") ? undefined : finishedAt,
    exitCode: num(state.ExitCode),
    restartCount: num(json.RestartCount),
    hostname: str(config.Hostname),
    image: str(config.Image),
    env,
    tty: config.Tty === true,
    networkMode: str(host.NetworkMode),
    ips: networkIps(obj(json.NetworkSettings).Networks),
    tmpfs: Object.keys(obj(host.Tmpfs)),
    limits: {
      memory: positive(host.Memory),
      memorySwap: positive(host.MemorySwap),
      cpuShares: positive(host.CpuShares),
      cpuQuota: positive(host.CpuQuota),
      cpuPeriod: positive(host.CpuPeriod),
      nanoCpus: positive(host.NanoCpus),
      pidsLimit: positive(host.PidsLimit)
    }
  }
}

/** Reads `GET /images/json`; `undefined` when the answer is not a list. */
export const readImageList = (json: unknown): ReadonlyArray<ImageSummary> | undefined => {
  if (!Array.isArray(json)) return undefined
  const out: Array<ImageSummary> = []
  for (const entry of json) {
    if (!isObject(entry)) continue
    const id = str(entry.Id)
    if (id === undefined) continue
    const repoTags: Array<string> = []
    for (const tag of arr(entry.RepoTags)) if (typeof tag === "string" && tag !== "<none>:<none>") repoTags.push(tag)
    out.push({ id, repoTags, created: num(entry.Created), size: num(entry.Size), labels: stringRecord(entry.Labels) })
  }
  return out
}

/** Reads one line of `GET /events`; `undefined` for anything that is not an event with an actor id. */
export const readEvent = (line: string): DockerEvent | undefined => {
  let json: unknown
  try {
    json = JSON.parse(line)
  } catch {
    return undefined
  }
  if (!isObject(json)) return undefined
  const actor = obj(json.Actor)
  const id = str(actor.ID) ?? str(json.id)
  const action = str(json.Action) ?? str(json.status)
  if (id === undefined || action === undefined) return undefined
  const colon = action.indexOf(":")
  return {
    type: str(json.Type) ?? "container",
    action: colon >= 0 ? action.slice(0, colon) : action,
    id,
    attributes: stringRecord(actor.Attributes)
  }
}

/**
 * Splits an image reference into name and tag: `reg:5000/app:1.2` -> `reg:5000/app` and `1.2`;
 * `app@sha256:…` -> `app` and no tag; an untagged name gets no tag (not `latest`: the engine resolved it).
 */
export const splitImage = (reference: string): { readonly name: string; readonly tag: string | undefined } => {
  const at = reference.indexOf("@")
  const ref = at >= 0 ? reference.slice(0, at) : reference
  const colon = ref.lastIndexOf(":")
  if (colon > ref.lastIndexOf("/") && !ref.startsWith("sha256:")) {
    return { name: ref.slice(0, colon), tag: ref.slice(colon + 1) }
  }
  return { name: ref, tag: undefined }
}
