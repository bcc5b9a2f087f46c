/**
 * Turning an app into the `TaskSpec` the agent runs: image (pulled on every launch with `forcePullImage`),
 * `sh -c cmd` (or `args` as the container's command), environment with secrets resolved, secret files, labels
 * naming the app, its version and its secret-backed env names, resources (unreserved, or all in one reserved
 * part naming the role they are reserved for), the container ports published on the chosen host ports with
 * their protocols, bind-mounted volumes, the network mode and the kill grace period.
 *
 * @since 0.1.0
 */
import { randomUUID } from "node:crypto"
import { secretEnvLabel } from "@orchestrator/core/docker"
import type { TaskSpec } from "../../cluster/Task.js"
import { type AppDefinition, type AppPort, appPortsOf, networkModeOf } from "../model/AppDefinition.js"
import type { Reservation } from "./OfferMatcher.js"

/**
 * Labels the scheduler puts on every task (Docker labels of the container).
 *
 * @since 0.1.0
 * @category constants
 */
export const TaskLabel = {
  appId: "orchestrator.app-id",
  appVersion: "orchestrator.app-version"
} as const

/**
 * The names of the app's env variables whose values come from secrets, sorted (names only: the value of the
 * container label {@link secretEnvLabel} that tells the probe which values to hide).
 *
 * @since 0.1.0
 * @category constructors
 */
export const secretEnvNamesOf = (app: AppDefinition): ReadonlyArray<string> =>
  Object.entries(app.env)
    .filter(([, value]) => typeof value !== "string")
    .map(([name]) => name)
    .sort()

/**
 * A new task id: the app id with dots for slashes, then a UUID (`prod.web.1c0e...`), as Marathon does.
 *
 * @since 0.1.0
 * @category constructors
 */
export const newTaskId = (appId: string): string =>
  `${appId
    .split("/")
    .filter((p) => p !== "")
    .join(".")
    .slice(0, 90)}.${randomUUID()}`

/**
 * Secrets as resolved for a launch.
 *
 * @since 0.1.0
 * @category models
 */
export interface LaunchSecrets {
  readonly env: Readonly<Record<string, string>>
  readonly files: ReadonlyArray<{ readonly path: string; readonly content: string }>
}

/**
 * The port variables of a task (Marathon's): `PORT<i>` (the port the task listens on: the container port, or
 * on the host network the host port), `PORT_HOST<i>` (the host port), `PORT_<NAME>` for named ports (upper
 * case, `-` as `_`) and `PORTS` (the `PORT<i>` values, comma-separated).
 *
 * @since 0.1.0
 * @category constructors
 */
export const portEnv = (
  ports: ReadonlyArray<AppPort>,
  hostPorts: ReadonlyArray<number>
): Readonly<Record<string, string>> => {
  const env: Record<string, string> = {}
  const listening: Array<string> = []
  hostPorts.forEach((port, i) => {
    const own = String(ports[i]?.containerPort ?? port)
    const name = ports[i]?.name
    env[`PORT${i}`] = own
    env[`PORT_HOST${i}`] = String(port)
    if (name !== undefined) env[`PORT_${name.toUpperCase().replaceAll("-", "_")}`] = own
    listening.push(own)
  })
  if (listening.length > 0) env.PORTS = listening.join(",")
  return env
}

/** The container ports to publish (bridge network) with their protocols when one is not tcp. */
const containerPortsOf = (ports: ReadonlyArray<AppPort>) => {
  const published = ports.flatMap((p) =>
    p.containerPort === undefined ? [] : [[p.containerPort, p.protocol] as const]
  )
  return {
    ...(published.length > 0 ? { containerPorts: published.map(([port]) => port) } : {}),
    ...(published.some(([, protocol]) => protocol !== "tcp")
      ? { portProtocols: published.map(([, protocol]) => protocol) }
      : {})
  }
}

/**
 * The task spec of one task of `app`; with a `reservation` its resources are that reserved part's (so the
 * master takes them from the role's reservation), else unreserved amounts.
 *
 * @since 0.1.0
 * @category constructors
 */
export const taskSpec = (
  app: AppDefinition,
  input: {
    readonly taskId: string
    readonly version: string
    readonly hostPorts: ReadonlyArray<number>
    readonly secrets: LaunchSecrets
    readonly reservation?: Reservation
  }
): TaskSpec => {
  const ports = appPortsOf(app)
  const host = networkModeOf(app) === "host"
  const secretNames = secretEnvNamesOf(app)
  const volumes = app.container.volumes.flatMap(({ containerPath, hostPath, mode }) =>
    hostPath === undefined ? [] : [{ containerPath, hostPath, mode }]
  )
  const env: Record<string, string> = {
    ...input.secrets.env,
    MARATHON_APP_ID: app.id,
    MARATHON_APP_VERSION: input.version,
    MESOS_TASK_ID: input.taskId
  }
  Object.assign(env, portEnv(ports, input.hostPorts))
  const amounts = {
    cpus: app.cpus,
    mem: app.mem,
    ...(app.disk > 0 ? { disk: app.disk } : {}),
    ...(input.hostPorts.length > 0 ? { ports: input.hostPorts.map((p) => ({ begin: p, end: p })) } : {})
  }
  return {
    taskId: input.taskId,
    name: app.id,
    image: app.container.docker.image,
    ...(app.cmd !== undefined
      ? { command: ["sh", "-c", app.cmd] }
      : app.args !== undefined
        ? { command: [...app.args] }
        : {}),
    env,
    ...(app.container.docker.forcePullImage ? { forcePullImage: true } : {}),
    labels: {
      ...app.labels,
      [TaskLabel.appId]: app.id,
      [TaskLabel.appVersion]: input.version,
      ...(secretNames.length > 0 ? { [secretEnvLabel]: secretNames.join(",") } : {})
    },
    resources: input.reservation === undefined ? amounts : { reserved: [{ ...input.reservation, resources: amounts }] },
    ...(host ? {} : containerPortsOf(ports)),
    killGraceSeconds: Math.ceil(app.taskKillGracePeriodSeconds),
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(host ? { networkMode: "host" as const } : {}),
    ...(input.secrets.files.length > 0 ? { files: input.secrets.files.map((f) => ({ ...f, mode: 0o400 })) } : {})
  }
}
