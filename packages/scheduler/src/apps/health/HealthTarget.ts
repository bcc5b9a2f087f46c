/**
 * What a health or readiness check looks at (a running task: its host, host ports and agent) and what one
 * check answers.
 *
 * @since 0.1.0
 */

/**
 * A running task as the checks see it.
 *
 * @since 0.1.0
 * @category models
 */
export interface HealthTarget {
  readonly taskId: string
  /** The host the task's ports are published on (the agent's hostname or address). */
  readonly host: string
  /** Host ports by port index (the task status' `hostPorts`). */
  readonly ports: ReadonlyArray<number>
  /**
   * The name of each port index (`appPortsOf(app)[i].name`: a port mapping's or, on the host network, a port
   * definition's), for readiness checks' `portName`.
   */
  readonly portNames?: ReadonlyArray<string | undefined>
  /** The agent's URL; command checks run through its exec API. */
  readonly agentUrl: string
  /** When the task started running, in ms since the Unix epoch; the grace period counts from here. */
  readonly startedAt: number
}

/**
 * The outcome of one health check.
 *
 * @since 0.1.0
 * @category models
 */
export interface CheckResult {
  readonly healthy: boolean
  /** What happened, for people: `HTTP 200`, `connection refused`, `exit code 1: <output>`... */
  readonly message: string
  readonly durationMs: number
  /** When the check ended, in ms since the Unix epoch. */
  readonly at: number
}

/**
 * The outcome of one readiness check. `lastResponse` (its body cut to 1 KB) is kept only when the check asks
 * for `preserveLastResponse`.
 *
 * @since 0.1.0
 * @category models
 */
export interface ReadinessResult {
  readonly ready: boolean
  /** The HTTP status, when the task answered. */
  readonly status?: number
  readonly message: string
  readonly lastResponse?: { readonly status: number; readonly body: string }
}

/**
 * The host port a check targets: `port` when given, else the task's host port at `portIndex` (default 0; the
 * index counts the app's port mappings, or on the host network its port definitions); a string says why there
 * is none.
 *
 * @since 0.1.0
 * @category constructors
 */
export const portOf = (
  target: HealthTarget,
  check: { readonly port?: number; readonly portIndex?: number }
): number | string => {
  if (check.port !== undefined) return check.port
  const index = check.portIndex ?? 0
  const port = target.ports[index]
  return port === undefined
    ? `task ${target.taskId} has no host port at index ${index} (it has ${target.ports.length})`
    : port
}

/**
 * The host port of a readiness check: the port named `portName`, else port index 0.
 *
 * @since 0.1.0
 * @category constructors
 */
export const readinessPortOf = (target: HealthTarget, portName: string | undefined): number | string => {
  if (portName === undefined) return portOf(target, {})
  const index = (target.portNames ?? []).indexOf(portName)
  if (index < 0) {
    const names = (target.portNames ?? []).filter((name) => name !== undefined)
    return `task ${target.taskId} has no port named ${JSON.stringify(portName)} (named ports: ${names.length === 0 ? "none" : names.join(", ")})`
  }
  return portOf(target, { portIndex: index })
}
