/**
 * @orchestrator/zk-migrate: zero-downtime ZooKeeper-to-ZooKeeper migration. Endpoints (both sides) ->
 * TreeReader (pipelined reads) -> Copier (transactions, ACLs, counters) -> SyncEngine (watches,
 * reconciliation, one-way and bidirectional) -> Verifier (Merkle digests) -> Migration (phases, state file)
 * -> CLI; ZkMigrate is the Promise facade.
 *
 * @since 0.1.0
 */
export * as Conflict from "./Conflict.js"
export * as ConnectString from "./ConnectString.js"
export * as Copier from "./Copier.js"
export * as Diff from "./Diff.js"
export * as Endpoints from "./Endpoints.js"
export * as Errors from "./Errors.js"
export * as Merkle from "./Merkle.js"
export * as Metrics from "./Metrics.js"
export * as MetricsServer from "./MetricsServer.js"
export * as Migration from "./Migration.js"
export * as MigrationState from "./MigrationState.js"
export * as Policy from "./Policy.js"
export * as Resume from "./Resume.js"
export * as SyncEngine from "./SyncEngine.js"
export * as TreeReader from "./TreeReader.js"
export * as Verifier from "./Verifier.js"
export * as ZkMigrate from "./ZkMigrate.js"
export * as ZNode from "./ZNode.js"
/** The Promise facade's entry point, re-exported at the top level. */
export { createMigration } from "./ZkMigrate.js"
