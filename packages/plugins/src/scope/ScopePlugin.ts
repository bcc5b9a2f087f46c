/**
 * One Weave Scope plugin (a Unix socket) as one of our plugins: a collector that calls `GET /report` and
 * translates the answer, the controls its report declares (forwarded to `POST /control`), and a panel per
 * `table_templates` entry. Named `scope/<id>`, where `<id>` is the socket's file name without `.sock`, so
 * its health shows up as `scope/<id>/collector/report`.
 *
 * @since 0.1.0
 */
import type { NodeDetails, Plugin } from "@orchestrator/core"
import { Effect } from "effect"
import { type ScopeControl, type ScopeTable, scopeIdOf, tableRows, type Translated, translate } from "./ScopeReport.js"
import { getReport, postControl, type RequestLimits } from "./ScopeSocket.js"

/**
 * The last translation of a Scope plugin's report, shared by its hooks.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopeState {
  last: Translated | undefined
  /** Called when the controls or tables a report declares differ from those registered. */
  readonly onShapeChange: () => void
}

/**
 * Settings of a bridged plugin.
 *
 * @since 0.1.0
 * @category models
 */
export interface ScopePluginSettings {
  /** The plugin id (the socket's name without `.sock`). */
  readonly id: string
  readonly socket: string
  readonly limits: RequestLimits
  /** Sent as `AppID` with control requests. */
  readonly appId: string
}

/**
 * The signature of what a report declares that is fixed at registration: its controls and tables.
 *
 * @since 0.1.0
 * @category models
 */
export const shapeOf = (translated: Translated | undefined): string =>
  translated === undefined
    ? ""
    : JSON.stringify([translated.controls.map((c) => [c.id, c.topology, c.label]), translated.tables.map((t) => t.id)])

const controlHook = (settings: ScopePluginSettings, state: ScopeState, control: ScopeControl): Plugin.Control => ({
  id: control.id,
  label: control.label,
  topologies: [control.topology],
  permission: `scope:${settings.id}`,
  ...(control.icon !== undefined ? { icon: control.icon } : {}),
  timeoutMs: settings.limits.timeoutMs + 100,
  run: (request, ctx) =>
    postControl(
      settings.socket,
      {
        AppID: settings.appId,
        NodeID:
          state.last?.scopeIds.get(`${request.topology}/${request.nodeId}`) ??
          scopeIdOf(request.topology, request.nodeId),
        Control: control.scopeId
      },
      settings.limits
    ).pipe(Effect.tap(() => Effect.sync(() => ctx.requestReport?.())))
})

const panelHook = (table: ScopeTable): Plugin.PanelProvider => ({
  name: `table.${table.id}`,
  topologies: [table.topology],
  panels: (node): ReadonlyArray<NodeDetails.Panel> => {
    const rows = tableRows(table, node)
    return rows.length === 0 ? [] : [{ type: "table", id: `scope.${table.id}`, title: table.label, rows }]
  }
})

/**
 * The plugin bridging one Scope plugin socket, with the controls and tables of its last report.
 *
 * @since 0.1.0
 * @category constructors
 */
export const scopePlugin = (settings: ScopePluginSettings, state: ScopeState): Plugin.AnyPlugin => {
  const registered = shapeOf(state.last)
  const spec = state.last?.spec
  return {
    name: `scope/${settings.id}`,
    version: "0.0.0",
    apiVersion: 1,
    description:
      spec !== undefined
        ? `${spec.label}: ${spec.description} (Scope plugin on ${settings.socket})`
        : `Scope plugin on ${settings.socket}`,
    collectors: [
      {
        name: "report",
        // The registry's timeout backs up the request's own.
        timeoutMs: settings.limits.timeoutMs + 100,
        collect: (ctx) =>
          Effect.map(getReport(settings.socket, settings.limits), (report) => {
            const translated = translate(report, settings.id, ctx.now)
            state.last = translated
            if (shapeOf(translated) !== registered) state.onShapeChange()
            const health: Array<{ name: string; status: "degraded"; message: string; timestamp: number }> = []
            if (translated.spec === undefined) {
              health.push({
                name: "spec",
                status: "degraded",
                message: "the report has no Plugins entry",
                timestamp: ctx.now
              })
            } else if (translated.spec.apiVersion !== "1") {
              health.push({
                name: "spec",
                status: "degraded",
                message: `api_version "${translated.spec.apiVersion}" (this bridge speaks "1")`,
                timestamp: ctx.now
              })
            }
            if (translated.problems.length > 0) {
              health.push({
                name: "translate",
                status: "degraded",
                message: `skipped ${translated.problems.length}: ${translated.problems.slice(0, 3).join("; ")}`,
                timestamp: ctx.now
              })
            }
            return { topologies: translated.fragment.topologies, health }
          })
      }
    ],
    controls: (state.last?.controls ?? []).map((control) => controlHook(settings, state, control)),
    panels: (state.last?.tables ?? []).map(panelHook)
  }
}
