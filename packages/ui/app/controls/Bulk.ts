/**
 * The pure side of controls: which actions a set of selected nodes offers, when to ask before running one, and
 * how a probe's answer reads on screen. Tested directly.
 */
import type { NodeRef } from "../HashState.js"
import type { ControlDescription, ControlResult, NodeDetails, PanelOf } from "../Protocol.js"

/** A node that can be acted on: its label and the controls its details panel offers, run by `probeId`. */
export interface Actionable {
  readonly ref: NodeRef
  readonly label: string
  readonly probeId: string
  readonly controls: ReadonlyArray<ControlDescription>
}

/** One action of the bulk bar: the control and the selected nodes that offer it. */
export interface BulkAction {
  readonly control: ControlDescription
  readonly targets: ReadonlyArray<Actionable>
  /** Whether every selected node offers it. */
  readonly all: boolean
}

/** A node's controls, from the first `controls` panel of its details; `undefined` when it offers none. */
export const actionableOf = (details: NodeDetails): Actionable | undefined => {
  const panel = details.panels.find((p): p is PanelOf<"controls"> => p.type === "controls")
  if (panel === undefined || panel.controls.length === 0) return undefined
  return {
    ref: { topology: details.topology, id: details.id },
    label: details.label,
    probeId: panel.probeId,
    controls: panel.controls
  }
}

/**
 * The actions the selected nodes offer, for running on many at once: every control that at least one of them
 * offers, except streams (logs and terminals open per node). Actions every node offers come first; otherwise
 * the order is the order the nodes list them. A control that any node describes with `confirm` keeps it.
 */
export const bulkActions = (nodes: ReadonlyArray<Actionable>): ReadonlyArray<BulkAction> => {
  const byId = new Map<string, { control: ControlDescription; targets: Array<Actionable> }>()
  for (const node of nodes) {
    for (const control of node.controls) {
      if (control.stream !== undefined) continue
      const entry = byId.get(control.id)
      if (entry === undefined) byId.set(control.id, { control, targets: [node] })
      else if (!entry.targets.includes(node)) {
        entry.targets.push(node)
        if (control.confirm === true && entry.control.confirm !== true)
          entry.control = { ...entry.control, confirm: true }
      }
    }
  }
  const actions = [...byId.values()].map(({ control, targets }) => ({
    control,
    targets,
    all: targets.length === nodes.length
  }))
  return [...actions.filter((a) => a.all), ...actions.filter((a) => !a.all)]
}

/**
 * Whether to ask before running `control` on `count` nodes: always when the control says so (`confirm`, e.g.
 * remove), and for a change to more than one node (any control whose permission is not a `…:read` one).
 */
export const needsConfirmation = (control: ControlDescription, count: number): boolean =>
  control.confirm === true || (count > 1 && control.permission?.endsWith(":read") !== true)

/** The longest answer shown inline; longer ones are cut with an ellipsis. */
const maxAnswerChars = 160

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/**
 * A probe's answer as one line: `Failed: <error>`, `Done: now exited` (a state change), `Done: already
 * running` (nothing to do), `Done: removed`, else `Done` with the answer as JSON (cut at 160 characters).
 */
export const describeResult = (result: ControlResult): { readonly ok: boolean; readonly text: string } => {
  if (!result.ok) return { ok: false, text: `Failed: ${result.error ?? "no reason given"}` }
  if (result.pipeId !== undefined) return { ok: true, text: `Opened stream ${result.pipeId}` }
  const answer = result.result
  if (answer === undefined || answer === null) return { ok: true, text: "Done" }
  if (isRecord(answer)) {
    if (answer.removed === true) return { ok: true, text: "Done: removed" }
    if (typeof answer.state === "string" && typeof answer.container === "string") {
      return { ok: true, text: `Done: ${answer.changed === false ? "already" : "now"} ${answer.state}` }
    }
  }
  const json = JSON.stringify(answer)
  return { ok: true, text: `Done: ${json.length > maxAnswerChars ? `${json.slice(0, maxAnswerChars - 1)}…` : json}` }
}

/** `Stop 2 containers?` style question for the confirmation dialog. */
export const confirmQuestion = (control: ControlDescription, labels: ReadonlyArray<string>): string =>
  labels.length === 1 ? `${control.label} ${labels[0]}?` : `${control.label} ${labels.length} nodes?`
