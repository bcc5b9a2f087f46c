/**
 * The app scheduler's Prometheus text: apps, instances, tasks by state and health, backoff, deployments
 * and events.
 *
 * @since 0.1.0
 */
import type { TaskRecord } from "./TaskRecord.js"
import type { AppStatus } from "./Views.js"

const escapeLabel = (value: string): string => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")

/**
 * Renders the metrics.
 *
 * @since 0.1.0
 * @category rendering
 */
export const render = (input: {
  readonly leading: boolean
  readonly apps: ReadonlyArray<AppStatus>
  readonly tasks: ReadonlyArray<TaskRecord>
  readonly deployments: number
  readonly eventSeq: number
}): string => {
  const lines: Array<string> = []
  const gauge = (name: string, help: string, samples: ReadonlyArray<readonly [string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`)
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`)
  }
  const app = (id: string) => `{app="${escapeLabel(id)}"}`
  gauge("orchestrator_apps_leading", "1 while this app scheduler leads.", [["", input.leading ? 1 : 0]])
  gauge("orchestrator_apps", "Apps defined.", [["", input.apps.length]])
  const perApp: ReadonlyArray<readonly [string, string, (a: AppStatus) => number]> = [
    ["orchestrator_app_instances", "Instances an app asks for.", (a) => a.app.instances],
    ["orchestrator_app_tasks_running", "Running tasks of an app.", (a) => a.tasksRunning],
    ["orchestrator_app_tasks_staged", "Staging or starting tasks of an app.", (a) => a.tasksStaged],
    ["orchestrator_app_tasks_healthy", "Healthy tasks of an app.", (a) => a.tasksHealthy],
    ["orchestrator_app_tasks_unhealthy", "Unhealthy tasks of an app.", (a) => a.tasksUnhealthy],
    [
      "orchestrator_app_launch_delay_seconds",
      "Seconds until an app that fails to start may launch again (0: not delayed).",
      (a) => (a.backoff === undefined ? 0 : Math.max(0, (Date.parse(a.backoff.delayedUntil) - Date.now()) / 1000))
    ]
  ]
  for (const [name, help, value] of perApp)
    gauge(
      name,
      help,
      input.apps.map((a) => [app(a.app.id), value(a)])
    )
  gauge("orchestrator_app_tasks", "Tasks the app scheduler tracks.", [["", input.tasks.length]])
  gauge("orchestrator_deployments", "Deployments in progress.", [["", input.deployments]])
  lines.push(
    "# HELP orchestrator_app_events_total Events numbered so far.",
    "# TYPE orchestrator_app_events_total counter",
    `orchestrator_app_events_total ${input.eventSeq}`
  )
  return `${lines.join("\n")}\n`
}
