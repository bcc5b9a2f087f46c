/**
 * The registry's state and hook runner, shared by the `PluginRegistry` service and the `PluginHost` class.
 * Reads are synchronous snapshots; hook runs are Effects that never fail except where the caller asked for
 * an answer (a control).
 */
import { Clock, Effect } from "effect"
import { mergeNodesByTopology, type NodesByTopology } from "../../Merge.js"
import { fromNodes } from "../../MergedReport.js"
import type { ControlRequest } from "../../ControlProtocol.js"
import type { ControlDescription, Panel } from "../../NodeDetails.js"
import {
  type Collector,
  type Control,
  ControlNotFoundError,
  type HookHealth,
  type HookKind,
  type HookOrder,
  type HookSettings,
  hookId,
  type PanelProvider,
  PluginDuplicateError,
  type PluginError,
  PluginHookError,
  type ProbeContext,
  type ReportFragment,
  type Tagger
} from "../../Plugin.js"
import type {
  CollectedFragment,
  ControlRunContext,
  PanelRunContext,
  PluginInfo,
  RegisteredHook
} from "../../PluginRegistry.js"
import type { Node, ProbeHealth } from "../../Report.js"
import type { Rendering, ViewDefinition } from "../../views/View.js"
import {
  type FailurePolicy,
  type HookState,
  initialState,
  isDisabled,
  recordFailure,
  recordSuccess,
  toHealth
} from "./breaker.js"
import { errorMessage, hookLabel, type IsolatedContext, type Outcome, runIsolated } from "./isolate.js"
import { decodeOptions, type NormalizedPlugin, normalize } from "./normalize.js"
import { checkFragment, checkPanels, checkRendering, summarise } from "./validate.js"

/** The probe fields a hook context carries (`requestReport` only when the host has a report loop). */
const probeFields = (probe: ProbeContext): ProbeContext =>
  probe.requestReport === undefined
    ? { hostId: probe.hostId, probeId: probe.probeId }
    : { hostId: probe.hostId, probeId: probe.probeId, requestReport: probe.requestReport }

/** The engine's settings, after defaults. */
export interface EngineConfig {
  readonly defaultTimeoutMs: number
  readonly policy: FailurePolicy
  /** The clock for synchronous reads (view renders, `controlsFor`). */
  readonly now: () => number
}

interface Slot<H> extends RegisteredHook<H> {
  readonly seq: number
  readonly index: number
  readonly options: unknown
  readonly state: HookState
  cache: { readonly at: number; readonly fragment: ReportFragment; readonly health: ProbeHealth } | undefined
}

interface Entry {
  readonly info: PluginInfo
  readonly collectors: ReadonlyArray<Slot<Collector>>
  readonly taggers: ReadonlyArray<Slot<Tagger>>
  readonly panels: ReadonlyArray<Slot<PanelProvider>>
  readonly controls: ReadonlyArray<Slot<Control>>
  readonly views: ReadonlyArray<Slot<ViewDefinition>>
}

interface Sorted {
  readonly collectors: ReadonlyArray<Slot<Collector>>
  readonly taggers: ReadonlyArray<Slot<Tagger>>
  readonly panels: ReadonlyArray<Slot<PanelProvider>>
  readonly controls: ReadonlyArray<Slot<Control>>
  readonly controlsById: ReadonlyMap<string, Slot<Control>>
  readonly views: ReadonlyArray<ViewDefinition>
  readonly all: ReadonlyArray<Slot<unknown>>
}

const orderRank = (order: HookOrder | undefined): number => (order === "pre" ? 0 : order === "post" ? 2 : 1)

const byOrder = <H>(a: Slot<H>, b: Slot<H>): number =>
  orderRank(a.order) - orderRank(b.order) || a.seq - b.seq || a.index - b.index

const emptyRendering: Rendering = { nodes: new Map(), edges: new Map() }

/** The sorted union of one hook list over all plugins. */
const collect = <H>(entries: Iterable<Entry>, pick: (entry: Entry) => ReadonlyArray<Slot<H>>): Array<Slot<H>> => {
  const out: Array<Slot<H>> = []
  for (const entry of entries) out.push(...pick(entry))
  return out.sort(byOrder)
}

const describeControl = (control: Control): ControlDescription => ({
  id: control.id,
  label: control.label,
  permission: control.permission,
  ...(control.icon !== undefined ? { icon: control.icon } : {}),
  ...(control.confirm !== undefined ? { confirm: control.confirm } : {}),
  ...(control.stream !== undefined ? { stream: control.stream } : {})
})

/** The `ProbeHealth` entry for a hook's current state. */
const probeHealth = (slot: Slot<unknown>, timestamp: number): ProbeHealth => {
  const { durationMs, message, status } = slot.state
  return {
    name: slot.id,
    status: status === "idle" ? "ok" : status,
    ...(message !== undefined ? { message } : {}),
    ...(durationMs !== undefined && status !== "disabled" ? { durationMs } : {}),
    timestamp
  }
}

/** Health a plugin reported about itself, named after the plugin. */
const ownHealth = (plugin: string, health: ReadonlyArray<ProbeHealth> | undefined): ReadonlyArray<ProbeHealth> =>
  health === undefined ? [] : health.map((entry) => ({ ...entry, name: `${plugin}/${entry.name}` }))

/** The plugin registry's state and runner. */
export class Engine {
  private readonly entries = new Map<string, Entry>()
  private seq = 0
  private sorted: Sorted | undefined

  constructor(readonly config: EngineConfig) {}

  /** Registers a plugin; succeeds with a function that unregisters it (idempotent). */
  register(raw: unknown, input: unknown): Effect.Effect<() => void, PluginError> {
    const self = this
    return Effect.gen(function* () {
      const plugin = yield* normalize(raw)
      yield* self.checkConflicts(plugin)
      const options = yield* decodeOptions(plugin, input)
      const entry = self.makeEntry(plugin, options)
      self.entries.set(plugin.name, entry)
      self.sorted = undefined
      return () => {
        if (self.entries.get(plugin.name) === entry) {
          self.entries.delete(plugin.name)
          self.sorted = undefined
        }
      }
    })
  }

  /** Unregisters a plugin by name; `false` when none is registered under that name. */
  unregister(name: string): boolean {
    const removed = this.entries.delete(name)
    if (removed) this.sorted = undefined
    return removed
  }

  plugins(): ReadonlyArray<PluginInfo> {
    return [...this.entries.values()].map((entry) => entry.info)
  }

  collectors(): ReadonlyArray<RegisteredHook<Collector>> {
    return this.view().collectors.map(publicHook)
  }

  taggers(): ReadonlyArray<RegisteredHook<Tagger>> {
    return this.view().taggers.map(publicHook)
  }

  views(): ReadonlyArray<ViewDefinition> {
    return this.view().views
  }

  controlsFor(node: Node): ReadonlyArray<ControlDescription> {
    return this.view()
      .controls.filter((slot) => slot.hook.topologies.includes(node.topology) && this.applies(slot, node))
      .map((slot) => describeControl(slot.hook))
  }

  control(id: string): RegisteredHook<Control> | undefined {
    const slot = this.view().controlsById.get(id)
    return slot === undefined ? undefined : publicHook(slot)
  }

  health(): ReadonlyArray<HookHealth> {
    return this.view().all.map((slot) => toHealth(slot.id, slot.plugin, slot.kind, slot.name, slot.state))
  }

  /** Runs every collector concurrently and merges their fragments; see `PluginRegistry.runCollectors`. */
  runCollectors(probe: ProbeContext, budgetMs = Number.POSITIVE_INFINITY): Effect.Effect<CollectedFragment> {
    const self = this
    return Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const results = yield* Effect.forEach(
        self.view().collectors,
        (slot) => self.runCollector(slot, probe, now, budgetMs),
        {
          concurrency: "unbounded"
        }
      )
      let topologies: NodesByTopology = {}
      const health: Array<ProbeHealth> = []
      const reported: Array<ProbeHealth> = []
      for (const result of results) {
        health.push(result.health)
        if (result.fragment === undefined) continue
        topologies = mergeNodesByTopology(topologies, result.fragment.topologies)
        reported.push(...ownHealth(result.plugin, result.fragment.health))
      }
      return { topologies, health: [...health, ...reported] }
    })
  }

  private runCollector(
    slot: Slot<Collector>,
    probe: ProbeContext,
    now: number,
    budgetMs: number
  ): Effect.Effect<{ readonly plugin: string; readonly fragment?: ReportFragment; readonly health: ProbeHealth }> {
    const self = this
    return Effect.gen(function* () {
      const plugin = slot.plugin
      if (isDisabled(slot.state, now)) return { plugin, health: probeHealth(slot, now) }
      const interval = slot.hook.intervalMs
      if (interval !== undefined && slot.cache !== undefined && now - slot.cache.at < interval) {
        return { plugin, fragment: slot.cache.fragment, health: slot.cache.health }
      }
      const outcome = yield* self.run(slot, Math.min(slot.timeoutMs, budgetMs), (ctx) =>
        slot.hook.collect({ ...ctx, ...probeFields(probe), options: slot.options })
      )
      const checked = self.settle(slot, now, outcome, (value) => checkFragment(value), "fragment", "node")
      const health = probeHealth(slot, now)
      if (checked === undefined) return { plugin, health }
      if (interval !== undefined) slot.cache = { at: now, fragment: checked.fragment, health }
      return { plugin, fragment: checked.fragment, health }
    })
  }

  /** Runs every tagger in order on a fragment; see `PluginRegistry.runTaggers`. */
  runTaggers(
    fragment: ReportFragment,
    probe: ProbeContext,
    budgetMs = Number.POSITIVE_INFINITY
  ): Effect.Effect<CollectedFragment> {
    const self = this
    return Effect.gen(function* () {
      const start = yield* Clock.currentTimeMillis
      let topologies = fragment.topologies
      const health: Array<ProbeHealth> = [...(fragment.health ?? [])]
      const taggers = self.view().taggers
      /** A tagger that did not run to the end: the topologies it must not let through untagged are dropped. */
      const failClosed = (slot: (typeof taggers)[number]) => {
        const drop = slot.hook.failClosed
        if (drop === undefined || drop.length === 0) return
        const kept: Record<string, ReportFragment["topologies"][string]> = {}
        for (const [topology, nodes] of Object.entries(topologies)) if (!drop.includes(topology)) kept[topology] = nodes
        topologies = kept
      }
      for (const slot of taggers) {
        const now = yield* Clock.currentTimeMillis
        const remaining = budgetMs - (now - start)
        if (isDisabled(slot.state, now)) {
          health.push(probeHealth(slot, now))
          failClosed(slot)
          continue
        }
        if (remaining <= 0) {
          health.push({
            name: slot.id,
            status: "degraded",
            message: "skipped: the report budget is used up",
            timestamp: now
          })
          failClosed(slot)
          continue
        }
        const input = topologies
        const outcome = yield* self.run(slot, Math.min(slot.timeoutMs, remaining), (ctx) =>
          slot.hook.tag({ topologies: input }, { ...ctx, ...probeFields(probe), options: slot.options })
        )
        const checked = self.settle(slot, now, outcome, (value) => checkFragment(value, input), "fragment", "node")
        health.push(probeHealth(slot, now))
        if (checked === undefined) {
          failClosed(slot)
          continue
        }
        topologies = checked.fragment.topologies
        health.push(...ownHealth(slot.plugin, checked.fragment.health))
      }
      return { topologies, health }
    })
  }

  /** Runs the panel hooks that apply to a node, concurrently; see `PluginRegistry.panelsFor`. */
  panelsFor(node: Node, context: PanelRunContext = {}): Effect.Effect<ReadonlyArray<Panel>> {
    const self = this
    return Effect.gen(function* () {
      const now = yield* Clock.currentTimeMillis
      const report = context.report ?? fromNodes([node])
      const budgetMs = context.budgetMs ?? Number.POSITIVE_INFINITY
      const slots = self
        .view()
        .panels.filter((slot) => slot.hook.topologies === undefined || slot.hook.topologies.includes(node.topology))
      const lists = yield* Effect.forEach(
        slots,
        (slot) =>
          Effect.gen(function* () {
            if (isDisabled(slot.state, now)) return []
            const outcome = yield* self.run(slot, Math.min(slot.timeoutMs, budgetMs), (ctx) =>
              slot.hook.panels(node, { ...ctx, report, options: slot.options })
            )
            return self.settle(slot, now, outcome, checkPanels, "panel list", "panel")?.panels ?? []
          }),
        { concurrency: "unbounded" }
      )
      return lists.flat()
    })
  }

  /** Runs a control; see `PluginRegistry.runControl`. */
  runControl(
    request: ControlRequest,
    context: ControlRunContext
  ): Effect.Effect<unknown, ControlNotFoundError | PluginHookError> {
    const self = this
    return Effect.gen(function* () {
      const slot = self.view().controlsById.get(request.action)
      const notFound = (message: string) =>
        new ControlNotFoundError({ action: request.action, topology: request.topology, message })
      if (slot === undefined) {
        const known = [...self.view().controlsById.keys()]
        return yield* notFound(
          `unknown control "${request.action}"; registered controls: ${known.length === 0 ? "none" : known.join(", ")}`
        )
      }
      if (!slot.hook.topologies.includes(request.topology)) {
        return yield* notFound(
          `control "${request.action}" does not apply to topology "${request.topology}" (only to ${slot.hook.topologies.join(", ")})`
        )
      }
      const node = context.node
      if (node !== undefined && !self.applies(slot, node)) {
        return yield* notFound(`control "${request.action}" does not apply to node "${node.id}"`)
      }
      const now = yield* Clock.currentTimeMillis
      const outcome = yield* self.run(slot, slot.timeoutMs, (ctx) =>
        slot.hook.run(request, {
          ...ctx,
          hostId: context.hostId,
          probeId: context.probeId,
          node,
          options: slot.options
        })
      )
      if (outcome._tag === "Success") {
        recordSuccess(slot.state, now, outcome.durationMs)
        return outcome.value
      }
      recordFailure(slot.state, self.config.policy, now, outcome.durationMs, outcome.message, false)
      return yield* new PluginHookError({
        plugin: slot.plugin,
        kind: "control",
        hook: slot.name,
        reason: outcome.reason,
        message: outcome.message,
        ...(outcome.cause !== undefined ? { cause: outcome.cause } : {})
      })
    })
  }

  private run<H>(slot: Slot<H>, timeoutMs: number, call: (ctx: IsolatedContext) => unknown): Effect.Effect<Outcome> {
    return runIsolated({ plugin: slot.plugin, kind: slot.kind, name: slot.name, id: slot.id, timeoutMs, call })
  }

  /**
   * Records an outcome in the hook's state after checking the value; returns the checked value, or
   * `undefined` when the run failed or returned something unusable.
   */
  private settle<H, A extends { readonly problems: ReadonlyArray<string> }>(
    slot: Slot<H>,
    now: number,
    outcome: Outcome,
    check: (value: unknown) => A | string,
    what: string,
    part: string
  ): A | undefined {
    const { policy } = this.config
    if (outcome._tag === "Failure") {
      recordFailure(slot.state, policy, now, outcome.durationMs, outcome.message, true)
      return undefined
    }
    const checked = check(outcome.value)
    if (typeof checked === "string") {
      const message = `${hookLabel(slot.kind, slot.name, slot.plugin)} returned an invalid ${what}: ${checked}`
      recordFailure(slot.state, policy, now, outcome.durationMs, message, true)
      return undefined
    }
    const problems = checked.problems.length === 0 ? undefined : summarise(part, checked.problems)
    recordSuccess(slot.state, now, outcome.durationMs, problems)
    return checked
  }

  /** Whether a control applies to a node; a throwing `appliesTo` counts as "no" and is recorded. */
  private applies(slot: Slot<Control>, node: Node): boolean {
    const appliesTo = slot.hook.appliesTo
    if (appliesTo === undefined) return true
    try {
      return appliesTo.call(slot.hook, node) === true
    } catch (error) {
      const message = `${hookLabel("control", slot.name, slot.plugin)} appliesTo failed: ${errorMessage(error)}`
      recordFailure(slot.state, this.config.policy, this.config.now(), 0, message, false)
      return false
    }
  }

  private checkConflicts(plugin: NormalizedPlugin): Effect.Effect<void, PluginDuplicateError> {
    const duplicate = (kind: "plugin" | "view" | "control", id: string, registeredBy: string) =>
      Effect.fail(
        new PluginDuplicateError({
          plugin: plugin.name,
          kind,
          id,
          registeredBy,
          message:
            kind === "plugin"
              ? `a plugin named "${id}" is already registered`
              : `plugin "${plugin.name}" declares ${kind} "${id}", already registered by plugin "${registeredBy}"`
        })
      )
    if (this.entries.has(plugin.name)) return duplicate("plugin", plugin.name, plugin.name)
    for (const entry of this.entries.values()) {
      for (const view of plugin.views) {
        if (entry.views.some((slot) => slot.name === view.id)) return duplicate("view", view.id, entry.info.name)
      }
      for (const control of plugin.controls) {
        if (entry.controls.some((slot) => slot.name === control.id)) {
          return duplicate("control", control.id, entry.info.name)
        }
      }
    }
    return Effect.void
  }

  private makeEntry(plugin: NormalizedPlugin, options: unknown): Entry {
    const seq = this.seq++
    const slot = <H>(kind: HookKind, name: string, hook: H, index: number, settings: HookSettings): Slot<H> => ({
      id: hookId(plugin.name, kind, name),
      plugin: plugin.name,
      kind,
      name,
      order: settings.order,
      timeoutMs: settings.timeoutMs ?? this.config.defaultTimeoutMs,
      hook,
      seq,
      index,
      options,
      state: initialState(),
      cache: undefined
    })
    return {
      info: {
        name: plugin.name,
        version: plugin.version,
        apiVersion: plugin.apiVersion,
        ...(plugin.description !== undefined ? { description: plugin.description } : {})
      },
      collectors: plugin.collectors.map((hook, i) => slot("collector", hook.name, hook, i, hook)),
      taggers: plugin.taggers.map((hook, i) => slot("tagger", hook.name, hook, i, hook)),
      panels: plugin.panels.map((hook, i) => slot("panel", hook.name, hook, i, hook)),
      controls: plugin.controls.map((hook, i) => slot("control", hook.id, hook, i, hook)),
      views: plugin.views.map((view, i) => slot("view", view.id, view, i, {}))
    }
  }

  /** Wraps a view so that a throwing or garbage-returning render is recorded and renders nothing. */
  private wrapView(slot: Slot<ViewDefinition>): ViewDefinition {
    const view = slot.hook
    const { now, policy } = this.config
    const fail = (start: number, message: string): Rendering => {
      recordFailure(slot.state, policy, start, now() - start, message, true)
      return emptyRendering
    }
    return {
      ...view,
      render: (report) => {
        const start = now()
        if (isDisabled(slot.state, start)) return emptyRendering
        let rendering: Rendering
        try {
          rendering = view.render(report)
        } catch (error) {
          return fail(start, `${hookLabel("view", slot.name, slot.plugin)} failed: ${errorMessage(error)}`)
        }
        const problem = checkRendering(rendering)
        if (problem !== undefined) {
          return fail(start, `${hookLabel("view", slot.name, slot.plugin)} returned an invalid rendering: ${problem}`)
        }
        recordSuccess(slot.state, start, now() - start)
        return rendering
      }
    }
  }

  private view(): Sorted {
    if (this.sorted !== undefined) return this.sorted
    const entries = [...this.entries.values()]
    const collectors = collect(entries, (entry) => entry.collectors)
    const taggers = collect(entries, (entry) => entry.taggers)
    const panels = collect(entries, (entry) => entry.panels)
    const controls = collect(entries, (entry) => entry.controls)
    const views = collect(entries, (entry) => entry.views)
    this.sorted = {
      collectors,
      taggers,
      panels,
      controls,
      controlsById: new Map(controls.map((slot) => [slot.name, slot])),
      views: views.map((slot) => this.wrapView(slot)),
      all: [...collectors, ...taggers, ...views, ...panels, ...controls] as ReadonlyArray<Slot<unknown>>
    }
    return this.sorted
  }
}

const publicHook = <H>(slot: Slot<H>): RegisteredHook<H> => ({
  id: slot.id,
  plugin: slot.plugin,
  kind: slot.kind,
  name: slot.name,
  order: slot.order,
  timeoutMs: slot.timeoutMs,
  hook: slot.hook
})
