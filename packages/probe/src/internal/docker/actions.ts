/**
 * The ids of the Docker controls and which container states offer each, shared by the collector (which lists
 * them on container nodes) and the controls (whose `appliesTo` checks them).
 */

/** Control ids. */
export const ControlIds = {
  start: "docker.start",
  stop: "docker.stop",
  restart: "docker.restart",
  pause: "docker.pause",
  unpause: "docker.unpause",
  remove: "docker.remove",
  logs: "docker.logs",
  exec: "docker.exec",
  attach: "docker.attach",
  inspect: "docker.inspect"
} as const

const { start, stop, restart, pause, unpause, remove, logs, exec, attach, inspect } = ControlIds

const byState: Readonly<Record<string, ReadonlyArray<string>>> = {
  running: [stop, restart, pause, logs, exec, attach, inspect],
  paused: [unpause, stop, logs, inspect],
  restarting: [stop, logs, inspect],
  created: [start, remove, logs, inspect],
  exited: [start, restart, remove, logs, inspect],
  dead: [remove, logs, inspect],
  removing: [inspect]
}

/** The controls a container in `state` offers (an unknown state offers only the read-only ones). */
export const controlsForState = (state: string | undefined): ReadonlyArray<string> =>
  (state === undefined ? undefined : byState[state]) ?? [logs, inspect]
