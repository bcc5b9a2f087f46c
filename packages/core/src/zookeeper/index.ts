/**
 * `@orchestrator/core/zookeeper`: the shared ZooKeeper client layer (node-zookeeper-client, loaded lazily)
 * used by the scheduler's leader election and discovery and by zk-migrate.
 *
 * @since 0.1.0
 */
export * as Acl from "./Acl.js"
export * as Op from "./Op.js"
export { Session, SessionState } from "./Session.js"
export type { ReadManyOptions, ReadNode } from "./internal/pipeline.js"
export { type NodeData, Stat } from "./Stat.js"
export { CreateMode, make, type Watched, ZooKeeperClient, type ZooKeeperClientOptions } from "./ZooKeeperClient.js"
export { ErrorCode, ZooKeeperError, ZooKeeperUnavailable } from "./ZooKeeperError.js"
