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
import { type AppDefinition, networkModeOf } from "../model/AppDefinition.js"
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
  const mappings = app.container.portMappings
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
  input.hostPorts.forEach((port, i) => {
    env[`PORT${i}`] = String(mappings[i]?.containerPort ?? port)
    env[`PORT_HOST${i}`] = String(port)
  })
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
    ...(mappings.length > 0 ? { containerPorts: mappings.map((m) => m.containerPort) } : {}),
    ...(mappings.some((m) => m.protocol !== "tcp") ? { portProtocols: mappings.map((m) => m.protocol) } : {}),
    killGraceSeconds: Math.ceil(app.taskKillGracePeriodSeconds),
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(networkModeOf(app) === "host" ? { networkMode: "host" as const } : {}),
    ...(input.secrets.files.length > 0 ? { files: input.secrets.files.map((f) => ({ ...f, mode: 0o400 })) } : {})
  }
}
