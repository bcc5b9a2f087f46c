/**
 * App definitions: what a user asks the app scheduler to keep running. The JSON follows Marathon's app
 * format where it is reasonable (`id`, `cmd`, `args`, `container.docker.image`, `container.portMappings`,
 * `networks`, `portDefinitions`, `ports`, `requirePorts`, `instances`, `cpus`, `mem`, `disk`, `env`, `labels`, `constraints`, `healthChecks`, `readinessChecks`,
 * `upgradeStrategy`, `backoffSeconds`, `backoffFactor`, `maxLaunchDelaySeconds`, `dependencies`,
 * `killSelection`, `unreachableStrategy`); fields Marathon does not have are marked "extension". Marathon fields
 * for features this cluster does not have (`gpus`, `fetch`, `uris`, `storeUrls`, `user`, `executor`,
 * `residency`, `ipAddress`, `tty`, `healthChecks[].ipProtocol`) decode only with the value that leaves the
 * feature off and otherwise fail naming the field ("is not supported"). An app without `container`
 * (Marathon's command-only app) fails: every task runs in a Docker container.
 *
 * Decoding fills every default (as Marathon does), so the decoded {@link AppDefinition} is complete; a bad
 * definition fails with a `SchemaError` whose path names the field.
 *
 * @since 0.1.0
 */
import { Effect, Schema, SchemaTransformation } from "effect"
import { invalidMountPath } from "../../cluster/Task.js"

const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  Schema.Int.check(Schema.isGreaterThanOrEqualTo(min), Schema.isLessThanOrEqualTo(max))
const finite = (min: number) => Schema.Finite.check(Schema.isGreaterThanOrEqualTo(min))
const withDefault = <S extends Schema.Top & { readonly DecodingServices: never }>(schema: S, value: S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.succeed(value)))

/**
 * A Marathon field for a feature this cluster does not have: accepted (and ignored) only with the value that
 * leaves the feature off (`off`), any other value fails naming the field and saying it is not supported.
 */
const notSupported = <S extends Schema.Top & { readonly DecodingServices: never }>(
  schema: S,
  off: (value: S["Type"]) => boolean,
  hint: string
) =>
  Schema.optionalKey(schema.check(Schema.makeFilter((value: S["Type"]) => off(value) || `is not supported: ${hint}`)))
const isNull = (value: unknown) => value === null
const isEmpty = (value: ReadonlyArray<unknown>) => value.length === 0

const segment = "[a-z0-9]([a-z0-9-]*[a-z0-9])?"
const pathPattern = new RegExp(`^(/?(${segment}|\\.|\\.\\.)(/(${segment}|\\.|\\.\\.))*|/)$`)

/**
 * A path of an app or group: `/prod/web`. Segments are lower-case letters, digits and `-` (not at either
 * end), as Marathon requires, because they become DNS-style names (`web.prod.orchestrator`). Relative paths
 * (`web`, `../db`) are allowed inside groups and in `dependencies`; {@link resolvePath} makes them absolute.
 *
 * @since 0.1.0
 * @category models
 */
export const PathId = Schema.String.check(
  Schema.makeFilter(
    (id) =>
      (id.length > 0 && id.length <= 200 && pathPattern.test(id)) ||
      "expects a path like /prod/web: segments of a-z, 0-9 and '-' (not at either end), separated by '/'"
  )
)

/**
 * Makes `path` absolute against the group `base` (`web` in `/prod` -> `/prod/web`; `../db` -> `/db`).
 *
 * @since 0.1.0
 * @category paths
 */
export const resolvePath = (path: string, base = "/"): string => {
  const parts = path.startsWith("/") ? [] : base.split("/").filter((p) => p !== "")
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue
    if (part === "..") parts.pop()
    else parts.push(part)
  }
  return `/${parts.join("/")}`
}

/**
 * The DNS-style name of an app path: its segments reversed, then `domain`
 * (`/prod/web` -> `web.prod.orchestrator`).
 *
 * @since 0.1.0
 * @category paths
 */
export const dnsName = (appId: string, domain = "orchestrator"): string =>
  [
    ...appId
      .split("/")
      .filter((p) => p !== "")
      .reverse(),
    domain
  ].join(".")

/**
 * A placement constraint, as Marathon writes it: `[field, operator]` or `[field, operator, value]`.
 * `field` is `hostname` or an agent attribute. Operators: `UNIQUE` (one task per value), `CLUSTER` (all
 * tasks on agents whose field equals `value`, or, without value, the same value as the first task),
 * `GROUP_BY` (spread evenly over the values; `value` = how many distinct values to expect), `LIKE` /
 * `UNLIKE` (the field matches / does not match the regular expression `value`, anchored), `MAX_PER`
 * (at most `value` tasks per distinct field value).
 *
 * @since 0.1.0
 * @category models
 */
export const ConstraintOperator = Schema.Literals(["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER"])

/**
 * @since 0.1.0
 * @category models
 */
export type ConstraintOperator = typeof ConstraintOperator.Type

/**
 * @since 0.1.0
 * @category models
 */
export const Constraint = Schema.Tuple([
  Schema.String.check(Schema.isMinLength(1)),
  ConstraintOperator,
  // one tuple with an optional value (not a union of two), so a wrong value is named as such ("Expected string")
  Schema.optionalKey(Schema.String)
])

/**
 * @since 0.1.0
 * @category models
 */
export type Constraint = typeof Constraint.Type

/**
 * A health check, as Marathon's (`protocol` `HTTP`, `HTTPS`, `TCP` or `COMMAND`; Marathon's `MESOS_HTTP`,
 * `MESOS_HTTPS` and `MESOS_TCP` are accepted as their plain forms). HTTP checks `GET path` and count
 * 200-399 as healthy (1xx too when `ignoreHttp1xx`); TCP checks that a connection opens; COMMAND runs
 * `command.value` with `sh -c` inside the task's container and counts exit code 0 as healthy.
 * The port is the task's host port at `portIndex` (default 0), or `port` when given.
 * Failures during `gracePeriodSeconds` after the task started do not count, unless the task was healthy
 * once; after `maxConsecutiveFailures` failures in a row (0: never) the task is killed and replaced.
 *
 * @since 0.1.0
 * @category models
 */
export const HealthCheck = Schema.Struct({
  protocol: withDefault(
    Schema.Literals(["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"]).pipe(
      Schema.decodeTo(
        Schema.Literals(["HTTP", "HTTPS", "TCP", "COMMAND"]),
        SchemaTransformation.transform({
          decode: (p) => (p.startsWith("MESOS_") ? p.slice(6) : p) as "HTTP" | "HTTPS" | "TCP" | "COMMAND",
          encode: (p) => p
        })
      )
    ),
    "HTTP"
  ),
  path: withDefault(Schema.String, "/"),
  portIndex: Schema.optionalKey(int(0, 1000)),
  port: Schema.optionalKey(int(1, 65_535)),
  command: Schema.optionalKey(Schema.Struct({ value: Schema.String.check(Schema.isMinLength(1)) })),
  gracePeriodSeconds: withDefault(finite(0), 300),
  intervalSeconds: withDefault(finite(0.01), 60),
  timeoutSeconds: withDefault(finite(0.01), 20),
  delaySeconds: withDefault(finite(0), 15),
  maxConsecutiveFailures: withDefault(int(0), 3),
  ignoreHttp1xx: withDefault(Schema.Boolean, false),
  /** Marathon's; only `IPv4` (checks reach the task's host port over IPv4). */
  ipProtocol: notSupported(
    Schema.Literals(["IPv4", "IPv6"]),
    (p) => p === "IPv4",
    "health checks reach tasks over IPv4 only; use IPv4"
  )
})

/**
 * @since 0.1.0
 * @category models
 */
export type HealthCheck = typeof HealthCheck.Type

/**
 * A readiness check (Marathon's): during a deployment a new task counts as ready, and old tasks are only
 * replaced by it, once `GET path` on its port `portName` (or port index 0) answers one of
 * `httpStatusCodesForReady`. Checked every `intervalSeconds` until ready.
 *
 * @since 0.1.0
 * @category models
 */
export const ReadinessCheck = Schema.Struct({
  name: withDefault(Schema.String, "readinessCheck"),
  protocol: withDefault(Schema.Literals(["HTTP", "HTTPS"]), "HTTP"),
  path: withDefault(Schema.String, "/"),
  portName: Schema.optionalKey(Schema.String),
  intervalSeconds: withDefault(finite(0.01), 30),
  timeoutSeconds: withDefault(finite(0.01), 10),
  httpStatusCodesForReady: withDefault(Schema.Array(int(100, 599)), [200]),
  preserveLastResponse: withDefault(Schema.Boolean, false)
})

/**
 * @since 0.1.0
 * @category models
 */
export type ReadinessCheck = typeof ReadinessCheck.Type

/**
 * How a deployment replaces tasks: at least `ceil(instances * minimumHealthCapacity)` healthy tasks at every
 * moment and never more than `floor(instances * (1 + maximumOverCapacity))` tasks (Marathon's semantics and
 * defaults 1.0 / 1.0). Extensions: `deadlineSeconds` (a deployment still running after this fails; default
 * 600), `rollbackOnFailure` (a deployment that fails at its deadline rolls back to the previous version; default
 * false: as in Marathon, a failed deployment leaves the apps where it stopped unless asked).
 *
 * @since 0.1.0
 * @category models
 */
export const UpgradeStrategy = Schema.Struct({
  minimumHealthCapacity: withDefault(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })), 1),
  maximumOverCapacity: withDefault(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })), 1),
  deadlineSeconds: withDefault(finite(1), 600),
  rollbackOnFailure: withDefault(Schema.Boolean, false)
})

/**
 * @since 0.1.0
 * @category models
 */
export type UpgradeStrategy = typeof UpgradeStrategy.Type

/**
 * A container port and how it is published: `hostPort` 0 (default) takes any port from the agent's offer;
 * `servicePort` is the load balancer's port for it (0 or absent: one is assigned from the service port
 * range, 10000-10100 by default). `name` lets readiness checks and discovery refer to the port.
 *
 * @since 0.1.0
 * @category models
 */
export const PortMapping = Schema.Struct({
  containerPort: int(1, 65_535),
  hostPort: withDefault(int(0, 65_535), 0),
  servicePort: withDefault(int(0, 65_535), 0),
  protocol: withDefault(Schema.Literals(["tcp", "udp"]), "tcp"),
  name: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[a-z0-9-]{1,63}$/))),
  labels: withDefault(Schema.Record(Schema.String, Schema.String), {})
})

/**
 * @since 0.1.0
 * @category models
 */
export type PortMapping = typeof PortMapping.Type

/** A bind mount's path: the rules of the task spec the agent gets (so what is accepted here also launches). */
const absolutePath = Schema.String.check(Schema.makeFilter((path) => invalidMountPath(path) ?? true))

/**
 * A host path bind-mounted into the task's container (Marathon's docker volume): `mode` `RO` (read-only) or
 * `RW`. Marathon's persistent and external volumes are refused (the cluster has no volume manager).
 *
 * @since 0.1.0
 * @category models
 */
export const Volume = Schema.Struct({
  containerPath: absolutePath,
  hostPath: Schema.optionalKey(absolutePath),
  mode: Schema.Literals(["RO", "RW"]),
  persistent: Schema.optionalKey(Schema.Unknown),
  external: Schema.optionalKey(Schema.Unknown)
}).check(
  Schema.makeFilter((volume) =>
    volume.persistent !== undefined
      ? "is not supported: persistent volumes need a volume manager; bind-mount a hostPath instead"
      : volume.external !== undefined
        ? "is not supported: external volumes need a volume driver; bind-mount a hostPath instead"
        : volume.hostPath !== undefined || "expects a hostPath (the host folder or file to bind-mount)"
  )
)

/**
 * @since 0.1.0
 * @category models
 */
export type Volume = typeof Volume.Type

/**
 * A port of a host-network app (Marathon's `portDefinitions[]`): the task listens on one host port per
 * definition, taken from the agent's offer. `port` is the load balancer's service port for it (0: assigned from
 * the service port range and written back); with the app's `requirePorts` it is instead the host port every
 * task must get (then it has no service port). `name` lets readiness checks, env (`PORT_<NAME>`) and discovery
 * refer to the port; `labels` `mode` / `strategy` configure its load balancing, as for port mappings.
 *
 * @since 0.1.0
 * @category models
 */
export const PortDefinition = Schema.Struct({
  port: int(0, 65_535),
  protocol: withDefault(Schema.Literals(["tcp", "udp"]), "tcp"),
  name: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[a-z0-9-]{1,63}$/))),
  labels: withDefault(Schema.Record(Schema.String, Schema.String), {})
})

/**
 * @since 0.1.0
 * @category models
 */
export type PortDefinition = typeof PortDefinition.Type

/**
 * Marathon's network of a task (`networks[0]`): `container/bridge` (Docker's bridge, ports published from
 * `container.portMappings`; the default) or `host` (the agent's network). User-defined `container` networks are
 * refused.
 *
 * @since 0.1.0
 * @category models
 */
export const Network = Schema.Struct({
  mode: Schema.Literals(["container/bridge", "host", "container"]).check(
    Schema.makeFilter(
      (mode) =>
        mode !== "container" || "is not supported: there are no user-defined networks; use container/bridge or host"
    )
  ),
  name: Schema.optionalKey(Schema.String),
  labels: Schema.optionalKey(Schema.Record(Schema.String, Schema.String))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Network = typeof Network.Type

/**
 * The container: a Docker image (this cluster runs every task in a Docker container), its port mappings,
 * whether to pull the image on every launch, its bind-mounted `volumes`, and Marathon's legacy
 * `docker.network` (`BRIDGE`, the default, or `HOST`; `USER` is refused).
 *
 * @since 0.1.0
 * @category models
 */
export const Container = Schema.Struct({
  type: withDefault(Schema.Literals(["DOCKER"]), "DOCKER"),
  docker: Schema.Struct({
    image: Schema.String.check(Schema.isMinLength(1)),
    forcePullImage: withDefault(Schema.Boolean, false),
    privileged: notSupported(Schema.Boolean, (p) => !p, "tasks never run privileged; use false"),
    parameters: notSupported(
      Schema.Array(Schema.Unknown),
      isEmpty,
      "raw docker run parameters are not passed on; use []"
    ),
    network: Schema.optionalKey(
      Schema.Literals(["BRIDGE", "HOST", "USER"]).check(
        Schema.makeFilter(
          (mode) => mode !== "USER" || "is not supported: there are no user-defined networks; use BRIDGE or HOST"
        )
      )
    )
  }),
  portMappings: withDefault(Schema.Array(PortMapping), []),
  volumes: withDefault(Schema.Array(Volume), [])
})

/**
 * @since 0.1.0
 * @category models
 */
export type Container = typeof Container.Type

/**
 * Where a secret's value comes from: a file (`{ file: "/run/secrets/db" }`), an environment variable of the
 * scheduler process (`{ env: "DB_PASSWORD" }`), or a key of a Kubernetes `Secret` object stored as JSON
 * (`{ kubernetesSecret: "/etc/secrets/db.json", key: "password" }`; values base64 as Kubernetes stores them).
 * Extension (Marathon's `secrets` hold only a store path).
 *
 * @since 0.1.0
 * @category models
 */
export const SecretSource = Schema.Union([
  Schema.Struct({ file: Schema.String.check(Schema.isMinLength(1)) }),
  Schema.Struct({ env: Schema.String.check(Schema.isMinLength(1)) }),
  Schema.Struct({
    kubernetesSecret: Schema.String.check(Schema.isMinLength(1)),
    key: Schema.String.check(Schema.isMinLength(1))
  })
])

/**
 * @since 0.1.0
 * @category models
 */
export type SecretSource = typeof SecretSource.Type

/**
 * An environment value: a literal, or a reference to one of the app's `secrets` (`{ "secret": "db" }`, as in
 * Marathon), resolved only when a task is launched and never shown in the API, events or logs.
 *
 * @since 0.1.0
 * @category models
 */
export const EnvValue = Schema.Union([
  Schema.String,
  Schema.Struct({ secret: Schema.String.check(Schema.isMinLength(1)) })
])

/**
 * @since 0.1.0
 * @category models
 */
export type EnvValue = typeof EnvValue.Type

/**
 * A secret written into the container as a file (extension): `containerPath` receives the secret's value.
 *
 * @since 0.1.0
 * @category models
 */
export const SecretFile = Schema.Struct({
  secret: Schema.String.check(Schema.isMinLength(1)),
  containerPath: Schema.String.check(Schema.isPattern(/^\/[^\0]*$/))
})

/**
 * @since 0.1.0
 * @category models
 */
export type SecretFile = typeof SecretFile.Type

/**
 * Scaling on metrics (extension): keeps `metric` (per task: `cpu` in % of the task's cpus, `mem` in % of
 * its mem, or any name a metric source provides) near `target` by changing `instances` within
 * `[min, max]`; at most one change per `cooldownSeconds`; the metric is averaged over `windowSeconds`.
 *
 * @since 0.1.0
 * @category models
 */
export const Autoscale = Schema.Struct({
  metric: Schema.String.check(Schema.isMinLength(1)),
  target: Schema.Finite.check(Schema.isGreaterThan(0)),
  min: int(0),
  max: int(0),
  cooldownSeconds: withDefault(finite(0), 60),
  windowSeconds: withDefault(finite(1), 30),
  /** The metric must be off the target by more than this fraction before anything changes. */
  tolerance: withDefault(Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 1 })), 0.1)
})

/**
 * @since 0.1.0
 * @category models
 */
export type Autoscale = typeof Autoscale.Type

/**
 * What happens to a task whose agent became unreachable (Marathon 1.4+): after `inactiveAfterSeconds` the
 * task counts as inactive and a replacement is launched; after `expungeAfterSeconds` it is forgotten.
 * Marathon's defaults 0 / 0; `expungeAfterSeconds` may not be below `inactiveAfterSeconds` and defaults to it.
 * `"disabled"`: the task is never replaced while its agent is unreachable.
 *
 * @since 0.1.0
 * @category models
 */
export const UnreachableStrategy = Schema.Union([
  Schema.Literal("disabled"),
  Schema.Struct({
    inactiveAfterSeconds: withDefault(finite(0), 0),
    expungeAfterSeconds: Schema.optionalKey(finite(0))
  }).pipe(
    Schema.decodeTo(
      Schema.Struct({ inactiveAfterSeconds: finite(0), expungeAfterSeconds: finite(0) }),
      SchemaTransformation.transform({
        // absent: as inactiveAfterSeconds (the least it may be), so that `{ inactiveAfterSeconds: 60 }` is valid
        decode: (s) => ({ ...s, expungeAfterSeconds: s.expungeAfterSeconds ?? s.inactiveAfterSeconds }),
        encode: (s) => s
      })
    )
  )
])

/**
 * @since 0.1.0
 * @category models
 */
export type UnreachableStrategy = typeof UnreachableStrategy.Type

/**
 * A canary (extension, as marathon-lb's weighted backends): the app's serving tasks join the load balancer of
 * app `of`'s service ports (port index i to `of`'s port index i, where protocol and load balancer mode agree)
 * and get `weight`% (0-100) of each joined port's new connections or requests in total; `of`'s tasks share
 * the rest. The canary app gets no service ports of its own. Changing `weight` (or removing `canary`) never
 * restarts a task. `of` may be relative to the app's group, like `dependencies`.
 *
 * @since 0.1.0
 * @category models
 */
export const Canary = Schema.Struct({
  of: PathId,
  weight: Schema.Finite.check(Schema.isBetween({ minimum: 0, maximum: 100 }))
})

/**
 * @since 0.1.0
 * @category models
 */
export type Canary = typeof Canary.Type

/**
 * The most instances an app may have.
 *
 * @since 0.1.0
 * @category models
 */
export const maxInstances = 10_000

/**
 * An app definition, decoded with every default filled in. `cmd` runs with `sh -c` in the image; `args`
 * replaces the image's command instead (give one or neither). `version` is set by the scheduler.
 *
 * @since 0.1.0
 * @category models
 */
export const AppDefinition = Schema.Struct({
  id: PathId,
  cmd: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  args: Schema.optionalKey(Schema.Array(Schema.String)),
  container: Container.pipe(
    Schema.annotateKey({
      messageMissingKey:
        "is required: every task runs in a Docker container, so container.docker.image is required (Marathon's command-only apps are not supported)"
    })
  ),
  instances: withDefault(int(0, maxInstances), 1),
  cpus: withDefault(Schema.Finite.check(Schema.isGreaterThan(0)), 1),
  mem: withDefault(Schema.Finite.check(Schema.isGreaterThan(0)), 128),
  disk: withDefault(finite(0), 0),
  env: withDefault(Schema.Record(Schema.String, EnvValue), {}),
  secrets: withDefault(Schema.Record(Schema.String, SecretSource), {}),
  secretFiles: withDefault(Schema.Array(SecretFile), []),
  labels: withDefault(Schema.Record(Schema.String, Schema.String), {}),
  constraints: withDefault(Schema.Array(Constraint), []),
  healthChecks: withDefault(Schema.Array(HealthCheck), []),
  readinessChecks: withDefault(Schema.Array(ReadinessCheck), []),
  upgradeStrategy: withDefault(UpgradeStrategy, {}),
  backoffSeconds: withDefault(finite(0), 1),
  backoffFactor: withDefault(finite(1), 1.15),
  maxLaunchDelaySeconds: withDefault(finite(0), 300),
  dependencies: withDefault(Schema.Array(PathId), []),
  /** Seconds between the kill signal (SIGTERM) and SIGKILL. */
  taskKillGracePeriodSeconds: withDefault(finite(0), 10),
  /** When a task on an unreachable agent is replaced (Marathon's; default `{ 0, 0 }`). */
  unreachableStrategy: withDefault(UnreachableStrategy, { inactiveAfterSeconds: 0, expungeAfterSeconds: 0 }),
  /** Which tasks go first when the app scales down (Marathon's): the youngest (default) or the oldest. */
  killSelection: withDefault(Schema.Literals(["YOUNGEST_FIRST", "OLDEST_FIRST"]), "YOUNGEST_FIRST"),
  /** Marathon's GPU count: only 0 (agents offer no GPUs). */
  gpus: notSupported(finite(0), (n) => n === 0, "agents offer no GPUs; use 0 or leave gpus out"),
  /** Marathon's URIs to fetch into the sandbox: only empty (tasks run Docker images; put files in the image). */
  fetch: notSupported(Schema.Array(Schema.Unknown), isEmpty, "tasks fetch no URIs; put the files in the image"),
  /** Marathon's legacy form of `fetch`: only empty. */
  uris: notSupported(Schema.Array(Schema.Unknown), isEmpty, "tasks fetch no URIs; put the files in the image"),
  /** Marathon's URIs of an artifact store: only empty. */
  storeUrls: notSupported(Schema.Array(Schema.Unknown), isEmpty, "there is no artifact store; use []"),
  /** Marathon's user to run the task as: only absent or null (the container runs as its image's user). */
  user: notSupported(
    Schema.NullOr(Schema.String),
    isNull,
    "the container runs as the user its image names; set USER in the image"
  ),
  /** Marathon's custom executor: only `""` (every task runs with the Docker containerizer). */
  executor: notSupported(Schema.String, (e) => e === "", 'every task runs with the Docker containerizer; use ""'),
  /** Marathon's resident (persistent volume) tasks: only null. */
  residency: notSupported(Schema.Unknown, isNull, "resident tasks with persistent volumes are not supported; use null"),
  /** Marathon's IP-per-task networking: only null (use `container.portMappings`). */
  ipAddress: notSupported(Schema.Unknown, isNull, "there is no IP-per-task networking; use container.portMappings"),
  /** Marathon's networks (at most one): `container/bridge` (default) or `host`. */
  networks: Schema.optionalKey(
    Schema.Array(Network).check(
      Schema.makeFilter(
        (networks) => networks.length <= 1 || "is not supported: a task joins one network; give at most one"
      )
    )
  ),
  /** Marathon's ports of a host-network app (see {@link PortDefinition}); absent or empty: none. */
  portDefinitions: Schema.optionalKey(Schema.Array(PortDefinition)),
  /** Marathon's legacy form of `portDefinitions`: the `port` of each definition (service ports, 0 = assigned). */
  ports: Schema.optionalKey(Schema.Array(int(0, 65_535))),
  /**
   * Marathon's: each task of a host-network app gets exactly the `port` of each port definition as its host
   * port (no service port then); default false (any offered port).
   */
  requirePorts: Schema.optionalKey(Schema.Boolean),
  /** Marathon's terminal for the task: only false. */
  tty: notSupported(Schema.Boolean, (t) => !t, "tasks get no terminal; use false"),
  autoscale: Schema.optionalKey(Autoscale),
  /** Takes a weighted share of another app's service ports (extension; see {@link Canary}). */
  canary: Schema.optionalKey(Canary),
  /** The role the app's tasks take offers in (extension; default: the scheduler's role). */
  role: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /**
   * Whose resources the app's tasks may use (Marathon): `"*"` unreserved ones, the app's role (its `role`, or
   * the scheduler's) those reserved for it. Default `["*"]`.
   */
  acceptedResourceRoles: withDefault(
    Schema.Array(Schema.String.check(Schema.isMinLength(1))).check(Schema.isMinLength(1)),
    ["*"]
  ),
  version: Schema.optionalKey(Schema.String)
})

/**
 * @since 0.1.0
 * @category models
 */
export type AppDefinition = typeof AppDefinition.Type

/**
 * The Docker network an app's tasks run on: `host` when `networks[0].mode` is `host` or the legacy
 * `container.docker.network` is `HOST`, else `bridge`.
 *
 * @since 0.1.0
 * @category models
 */
export const networkModeOf = (app: Pick<AppDefinition, "networks" | "container">): "bridge" | "host" =>
  app.networks?.[0]?.mode === "host" || app.container.docker.network === "HOST" ? "host" : "bridge"

/**
 * One port of an app, whichever way the app declares it (bridge: `container.portMappings[index]`; host network:
 * `portDefinitions[index]` or the legacy `ports[index]`). `servicePort`: the load balancer's port (0: not
 * assigned yet; `undefined`: the port has none, as with `requirePorts` or on a `canary`). `containerPort`: the
 * port inside the container (`undefined` on the host network: the task listens on its host port). `hostPort`: the host port
 * every task must get (`undefined`: any offered port). `field`: the JSON path of the declaration.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppPort {
  readonly index: number
  readonly field: string
  readonly servicePort: number | undefined
  readonly protocol: "tcp" | "udp"
  readonly name: string | undefined
  readonly labels: Readonly<Record<string, string>>
  readonly containerPort: number | undefined
  readonly hostPort: number | undefined
}

/**
 * What a host-network app that declares no ports at all (neither `portDefinitions` nor `ports`) gets, as in
 * Marathon: one port, any host port, with a service port assigned. `portDefinitions: []` declares none.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaultPortDefinitions: ReadonlyArray<PortDefinition> = [{ port: 0, protocol: "tcp", labels: {} }]

/**
 * The port definitions a host-network app's ports come from: its own, or Marathon's default when it has none
 * (not with `requirePorts`: a required host port must be named, and 0 names none).
 */
const hostPortDefinitionsOf = (
  app: Pick<AppDefinition, "portDefinitions" | "ports" | "requirePorts">
): ReadonlyArray<PortDefinition> | undefined =>
  app.portDefinitions !== undefined && app.portDefinitions.length > 0
    ? app.portDefinitions
    : app.portDefinitions === undefined && app.ports === undefined && app.requirePorts !== true
      ? defaultPortDefinitions
      : undefined

/**
 * The ports of an app, in port index order (host ports, env `PORT<i>`, health checks' `portIndex`, discovery
 * and load balancing all count by this index). A host-network app has the ports of `portDefinitions`, else of
 * `ports`, else (neither given) Marathon's one default port ({@link defaultPortDefinitions}); a bridge app those
 * of `container.portMappings`.
 *
 * @since 0.1.0
 * @category models
 */
export const appPortsOf = (
  app: Pick<AppDefinition, "networks" | "container" | "portDefinitions" | "ports" | "requirePorts" | "canary">
): ReadonlyArray<AppPort> => {
  if (networkModeOf(app) === "bridge")
    return app.container.portMappings.map((m, index) => ({
      index,
      field: `container.portMappings[${index}]`,
      servicePort: app.canary === undefined ? m.servicePort : undefined,
      protocol: m.protocol,
      name: m.name,
      labels: m.labels,
      containerPort: m.containerPort,
      hostPort: m.hostPort === 0 ? undefined : m.hostPort
    }))
  const required = app.requirePorts === true
  const own = hostPortDefinitionsOf(app)
  const definitions: ReadonlyArray<PortDefinition & { readonly field: string }> =
    own !== undefined
      ? own.map((d, i) => ({ ...d, field: `portDefinitions[${i}]` }))
      : (app.ports ?? []).map((port, i) => ({ port, protocol: "tcp", labels: {}, field: `ports[${i}]` }))
  return definitions.map((d, index) => ({
    index,
    field: d.field,
    servicePort: required || app.canary !== undefined ? undefined : d.port,
    protocol: d.protocol,
    name: d.name,
    labels: d.labels,
    containerPort: undefined,
    hostPort: required ? d.port : undefined
  }))
}

/**
 * The JSON path of a port's service port: a port mapping's `servicePort`, a port definition's `port`, a legacy
 * `ports[i]` itself.
 *
 * @since 0.1.0
 * @category models
 */
export const servicePortFieldOf = (port: Pick<AppPort, "field">): string =>
  port.field.startsWith("container.")
    ? `${port.field}.servicePort`
    : port.field.startsWith("ports[")
      ? port.field
      : `${port.field}.port`

/**
 * The app with `servicePorts[i]` written into the declaration of port `i` (see {@link appPortsOf}): a port
 * mapping's `servicePort`, a port definition's `port` or the legacy `ports[i]`. Ports without a service port
 * (`undefined`) keep their declaration.
 *
 * @since 0.1.0
 * @category models
 */
export const withServicePortsOf = (
  app: AppDefinition,
  servicePorts: ReadonlyArray<number | undefined>
): AppDefinition => {
  const at = <A>(items: ReadonlyArray<A>, set: (item: A, port: number) => A) =>
    items.map((item, i) => {
      const port = servicePorts[i]
      return port === undefined ? item : set(item, port)
    })
  if (networkModeOf(app) === "bridge")
    return {
      ...app,
      container: {
        ...app.container,
        portMappings: at(app.container.portMappings, (m, servicePort) => ({ ...m, servicePort }))
      }
    }
  const own = hostPortDefinitionsOf(app)
  if (own === defaultPortDefinitions && servicePorts[0] === undefined) return app
  if (own !== undefined) return { ...app, portDefinitions: at(own, (d, port) => ({ ...d, port })) }
  if (app.ports !== undefined && app.ports.length > 0) return { ...app, ports: at(app.ports, (_, port) => port) }
  return app
}

/**
 * A group: apps and groups under one path, deployed in dependency order (an app starts once the apps it
 * depends on, directly or through its groups' `dependencies`, are deployed and healthy).
 *
 * @since 0.1.0
 * @category models
 */
export interface Group {
  readonly id: string
  readonly apps: ReadonlyArray<AppDefinition>
  readonly groups: ReadonlyArray<Group>
  readonly dependencies: ReadonlyArray<string>
}

/**
 * The JSON form of a {@link Group}.
 *
 * @since 0.1.0
 * @category models
 */
export interface GroupEncoded {
  readonly id: string
  readonly apps?: ReadonlyArray<typeof AppDefinition.Encoded>
  readonly groups?: ReadonlyArray<GroupEncoded>
  readonly dependencies?: ReadonlyArray<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export const Group: Schema.Codec<Group, GroupEncoded> = Schema.Struct({
  id: PathId,
  apps: withDefault(Schema.Array(AppDefinition), []),
  groups: withDefault(Schema.Array(Schema.suspend((): Schema.Codec<Group, GroupEncoded> => Group)), []),
  dependencies: withDefault(Schema.Array(PathId), [])
})
