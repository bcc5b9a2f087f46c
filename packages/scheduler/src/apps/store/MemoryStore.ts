/**
 * The in-memory app store: the same semantics as the ZooKeeper one, kept in maps.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AppDefinition } from "../model/AppDefinition.js"
import type { AppStore, AppStoreOptions } from "./AppStore.js"
import type { StoredApp, StoredDeployment, StoredFailures, StoredGroup, TaskBinding } from "./StoredState.js"

/**
 * Builds an in-memory store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const memoryStore = (options: AppStoreOptions = {}): AppStore["Service"] => {
  const maxVersions = options.maxVersions ?? 20
  const apps = new Map<string, StoredApp>()
  /** Newest last. */
  const versions = new Map<string, Array<AppDefinition>>()
  const groups = new Map<string, StoredGroup>()
  const deployments = new Map<string, StoredDeployment>()
  const tasks = new Map<string, TaskBinding>()
  const failures = new Map<string, StoredFailures>()
  let frameworkId: string | undefined
  let eventSeq = 0
  return {
    load: Effect.sync(() => ({
      frameworkId,
      eventSeq,
      apps: [...apps.values()],
      groups: [...groups.values()],
      deployments: [...deployments.values()],
      tasks: [...tasks.values()],
      failures: [...failures.values()]
    })),
    commit: (change) =>
      Effect.sync(() => {
        for (const stored of change.putApps ?? []) {
          apps.set(stored.app.id, stored)
          const history = (versions.get(stored.app.id) ?? []).filter((v) => v.version !== stored.app.version)
          history.push(stored.app)
          versions.set(stored.app.id, history.slice(-maxVersions))
        }
        for (const id of change.removeApps ?? []) {
          apps.delete(id)
          versions.delete(id)
          failures.delete(id)
        }
        for (const g of change.putGroups ?? []) groups.set(g.id, g)
        for (const id of change.removeGroups ?? []) groups.delete(id)
        for (const d of change.putDeployments ?? []) deployments.set(d.id, d)
        for (const id of change.removeDeployments ?? []) deployments.delete(id)
        for (const t of change.bindTasks ?? []) tasks.set(t.taskId, t)
        for (const id of change.unbindTasks ?? []) tasks.delete(id)
        for (const f of change.putFailures ?? []) failures.set(f.appId, f)
        for (const id of change.removeFailures ?? []) failures.delete(id)
        if (change.frameworkId !== undefined) frameworkId = change.frameworkId
        if (change.eventSeq !== undefined) eventSeq = change.eventSeq
      }),
    versions: (appId) => Effect.sync(() => (versions.get(appId) ?? []).map((a) => a.version ?? "").reverse()),
    appVersion: (appId, version) => Effect.sync(() => versions.get(appId)?.find((a) => a.version === version))
  }
}
