/**
 * Report nodes for containers and their images, built from what the Engine API said (pure: no I/O).
 */
import { Fields, Report, Topology } from "@orchestrator/core"
import { controlsForState } from "./actions.js"
import type { ContainerDetails, ContainerSummary, ImageSummary, Port } from "./model.js"
import { splitImage } from "./model.js"
import { redactEnv, rulesFor, scrubber, secretValues } from "./redact.js"
import type { Rates } from "./stats.js"

/** Latest-value keys of the Docker collector beyond the well-known ones in `Fields.Latest`. */
export const Keys = {
  /** `Up 5 minutes`, `Exited (0) 3 seconds ago`. */
  status: "docker_container_status",
  command: "docker_container_command",
  started: "docker_container_started",
  finished: "docker_container_finished",
  /** The host pid of the container's first process. */
  pid: "docker_container_pid",
  exitCode: "docker_container_exit_code",
  restartCount: "docker_container_restart_count",
  hostname: "docker_container_hostname",
  tty: "docker_container_tty",
  memoryLimit: "docker_memory_limit_bytes",
  memorySwapLimit: "docker_memory_swap_limit_bytes",
  cpuShares: "docker_cpu_shares",
  cpuQuota: "docker_cpu_quota_us",
  cpuPeriod: "docker_cpu_period_us",
  /** `--cpus`: cores the container may use. */
  cpus: "docker_cpus",
  pidsLimit: "docker_pids_limit",
  imageSize: "docker_image_size_bytes",
  imageCreated: "docker_image_created"
} as const

/** Set key of an image node's tags. */
export const imageTagsSet = "docker_image_tags"

const isoSeconds = (seconds: number | undefined): string | undefined =>
  seconds === undefined ? undefined : new Date(seconds * 1000).toISOString()

/** `0.0.0.0:8080->80/tcp`, `[::]:8080->80/tcp`, or `80/tcp` for a port that is exposed but not published. */
export const formatPort = (port: Port): string => {
  const inside = `${port.privatePort}/${port.type}`
  if (port.publicPort === undefined) return inside
  const ip = port.ip === undefined || port.ip === "" ? "" : port.ip.includes(":") ? `[${port.ip}]:` : `${port.ip}:`
  return `${ip}${port.publicPort}->${inside}`
}

const sortedUnique = (values: Iterable<string>): ReadonlyArray<string> => [...new Set(values)].sort()

/** What the collector knows about one container. */
export interface ContainerView {
  readonly summary: ContainerSummary
  readonly details: ContainerDetails | undefined
  readonly rates: Rates | undefined
  /** The image as listed by `GET /images/json`, when known. */
  readonly image: ImageSummary | undefined
}

/** Settings of node building. */
export interface NodeSettings {
  readonly hostId: string
  readonly now: number
  /** Redact env values by the name rule too (values the secret-env label lists are always redacted). */
  readonly redactEnv: boolean
  readonly controls: boolean
}

/** The image reference a container shows: what it was created from, or the image's first tag when that was an id. */
export const imageReference = (view: ContainerView): string => {
  const given = view.details?.image ?? view.summary.image
  if (given !== "" && !given.startsWith("sha256:")) return given
  return view.image?.repoTags[0] ?? given
}

const isPause = (summary: ContainerSummary): boolean =>
  summary.labels["io.kubernetes.container.name"] === "POD" || /(^|\/)pause(:|$)/.test(splitImage(summary.image).name)

/** A copy of `record` with `scrub` applied to its strings (the record itself when there is nothing to scrub). */
const scrubRecord = <A extends string | number | undefined>(
  record: Readonly<Record<string, A>>,
  scrub: ((text: string) => string) | undefined
): Readonly<Record<string, A>> => {
  if (scrub === undefined) return record
  const out: Record<string, A> = {}
  for (const [key, value] of Object.entries(record)) out[key] = (typeof value === "string" ? scrub(value) : value) as A
  return out
}

/**
 * The `containers` node of one container. Env values are redacted (see `redact.ts`), and the values of the
 * variables its secret-env label lists are removed from every other string of the node too.
 */
export const containerNode = (view: ContainerView, settings: NodeSettings): Report.Node => {
  const { summary, details, rates } = view
  const { now } = settings
  const rules = rulesFor(summary.labels, settings.redactEnv)
  const secrets = details === undefined ? [] : secretValues(details.env, rules.listed)
  const scrub = secrets.length === 0 ? undefined : scrubber(secrets)
  const { name: imageName, tag } = splitImage(imageReference(view))
  const limits = details?.limits
  const values: Record<string, string | number | undefined> = {
    [Fields.Latest.containerName]: summary.name,
    [Fields.Latest.containerState]: summary.state,
    [Fields.Latest.image]: imageName,
    [Fields.Latest.imageTag]: tag,
    [Fields.Latest.imageId]: summary.imageId === "" ? undefined : summary.imageId,
    [Fields.Latest.created]: isoSeconds(summary.created),
    [Fields.Latest.networkMode]: details?.networkMode ?? summary.networkMode,
    [Fields.Latest.system]: isPause(summary) ? "true" : undefined,
    [Keys.status]: summary.status,
    [Keys.command]: summary.command,
    [Keys.started]: details !== undefined && details.pid > 0 ? details.startedAt : undefined,
    [Keys.finished]: details !== undefined && details.pid === 0 ? details.finishedAt : undefined,
    [Keys.pid]: details !== undefined && details.pid > 0 ? details.pid : undefined,
    [Keys.exitCode]:
      details !== undefined && details.pid === 0 && details.finishedAt !== undefined ? details.exitCode : undefined,
    [Keys.restartCount]: details?.restartCount,
    [Keys.hostname]: details?.hostname,
    [Keys.tty]: details === undefined ? undefined : String(details.tty),
    [Keys.memoryLimit]: limits?.memory,
    [Keys.memorySwapLimit]: limits?.memorySwap,
    [Keys.cpuShares]: limits?.cpuShares,
    [Keys.cpuQuota]: limits?.cpuQuota,
    [Keys.cpuPeriod]: limits?.cpuPeriod,
    [Keys.cpus]: limits?.nanoCpus === undefined ? undefined : limits.nanoCpus / 1e9,
    [Keys.pidsLimit]: limits?.pidsLimit
  }
  const latest = Report.latestFields(now, scrubRecord(values, scrub))
  const sets: Record<string, ReadonlyArray<string>> = {}
  const ips = sortedUnique([...summary.ips, ...(details?.ips ?? [])])
  if (ips.length > 0) sets[Fields.Sets.ips] = ips
  const ports = sortedUnique(summary.ports.map(formatPort))
  if (ports.length > 0) sets[Fields.Sets.ports] = ports
  const mounts = sortedUnique([
    ...summary.mounts.map((m) => `${m.source}:${m.destination}:${m.rw ? "rw" : "ro"}`),
    ...(details?.tmpfs ?? []).map((destination) => `tmpfs:${destination}:rw`)
  ])
  if (mounts.length > 0) sets[Fields.Sets.mounts] = mounts
  if (details !== undefined && details.env.length > 0) {
    sets[Fields.Sets.env] = redactEnv(details.env, rules)
  }
  if (scrub !== undefined) for (const [key, entries] of Object.entries(sets)) sets[key] = entries.map(scrub)
  const metrics: Record<string, ReadonlyArray<Report.Sample>> = {}
  const sample = (metric: string, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) metrics[metric] = [[now, value]]
  }
  if (rates !== undefined) {
    sample(Fields.Metrics.cpu, rates.cpu)
    sample(Fields.Metrics.memory, rates.memory)
    sample(Fields.Metrics.networkRx, rates.rx)
    sample(Fields.Metrics.networkTx, rates.tx)
    sample(Fields.Metrics.diskRead, rates.read)
    sample(Fields.Metrics.diskWrite, rates.write)
  }
  const parents: Record<string, ReadonlyArray<string>> = { [Topology.Topologies.hosts]: [settings.hostId] }
  if (summary.imageId !== "") parents[Topology.Topologies.containerImages] = [summary.imageId]
  const pod = summary.labels["io.kubernetes.pod.uid"]
  if (pod !== undefined && pod !== "") parents[Topology.Topologies.pods] = [pod]
  return Report.makeNode(Topology.Topologies.containers, summary.id, {
    latest,
    labels: Report.latestFields(now, scrubRecord(summary.labels, scrub)),
    sets,
    metrics,
    parents,
    controls: settings.controls ? controlsForState(summary.state) : []
  })
}

/** The `container_images` node of an image some container uses. */
export const imageNode = (
  imageId: string,
  reference: string,
  image: ImageSummary | undefined,
  settings: NodeSettings
): Report.Node => {
  const shown = reference !== "" && !reference.startsWith("sha256:") ? reference : (image?.repoTags[0] ?? reference)
  const { name, tag } = splitImage(shown)
  const sets: Record<string, ReadonlyArray<string>> = {}
  if (image !== undefined && image.repoTags.length > 0) sets[imageTagsSet] = sortedUnique(image.repoTags)
  return Report.makeNode(Topology.Topologies.containerImages, imageId, {
    latest: Report.latestFields(settings.now, {
      [Fields.Latest.name]: shown,
      [Fields.Latest.image]: name,
      [Fields.Latest.imageTag]: tag,
      [Fields.Latest.imageId]: imageId,
      [Keys.imageSize]: image?.size,
      [Keys.imageCreated]: isoSeconds(image?.created)
    }),
    labels: Report.latestFields(settings.now, image?.labels ?? {}),
    sets,
    parents: { [Topology.Topologies.hosts]: [settings.hostId] }
  })
}
