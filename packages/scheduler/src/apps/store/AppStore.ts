/**
 * The app scheduler's store: in ZooKeeper for a scheduler that must survive restarts and failovers, in
 * memory for tests and single-process setups. Changes are atomic ({@link StoreChange}: one ZooKeeper
 * `multi`), so a deployment, its apps, their versions and its group records are stored together or not at all.
 *
 * @since 0.1.0
 */
import { ZooKeeperClient } from "@orchestrator/core/zookeeper"
import { Context, type Effect, Layer } from "effect"
import type { StoreError } from "../scheduler/AppsError.js"
import type { AppDefinition } from "../model/AppDefinition.js"
import { memoryStore } from "./MemoryStore.js"
import type { StoreChange, StoredState } from "./StoredState.js"
import { zooKeeperStore } from "./ZooKeeperStore.js"

/**
 * Options of the stores.
 *
 * @since 0.1.0
 * @category models
 */
export interface AppStoreOptions {
  /** Versions kept per app (older ones are dropped); default 20. */
  readonly maxVersions?: number
}

/**
 * The app store.
 *
 * @since 0.1.0
 * @category services
 */
export class AppStore extends Context.Service<
  AppStore,
  {
    readonly load: Effect.Effect<StoredState, StoreError>
    /** Applies a change atomically. */
    readonly commit: (change: StoreChange) => Effect.Effect<void, StoreError>
    /** Stored versions of an app, newest first (empty for an unknown app). */
    readonly versions: (appId: string) => Effect.Effect<ReadonlyArray<string>, StoreError>
    /** One stored version of an app, `undefined` when unknown. */
    readonly appVersion: (appId: string, version: string) => Effect.Effect<AppDefinition | undefined, StoreError>
  }
>()("@orchestrator/scheduler/apps/AppStore") {
  /**
   * A store in memory (lost with the process).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerMemory = (options: AppStoreOptions = {}): Layer.Layer<AppStore> =>
    Layer.sync(AppStore, () => AppStore.of(memoryStore(options)))

  /**
   * A store in ZooKeeper under `root` (`apps/`, `versions/`, `groups/`, `deployments/`, `tasks/`,
   * `framework-id`, `event-seq`; JSON nodes).
   *
   * @since 0.1.0
   * @category layers
   */
  static readonly layerZooKeeper = (
    options: AppStoreOptions & { readonly root: string }
  ): Layer.Layer<AppStore, never, ZooKeeperClient> =>
    Layer.effect(
      AppStore,
      ZooKeeperClient.useSync((zk) => AppStore.of(zooKeeperStore(zk, options)))
    )
}
