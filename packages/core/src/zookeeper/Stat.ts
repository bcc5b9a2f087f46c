/**
 * The metadata ZooKeeper keeps per znode, and a znode's data with it.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A znode's stat. Transaction ids (`czxid`, `mzxid`, `pzxid`) and `ephemeralOwner` are 64-bit, so they are
 * `bigint`s; `ctime`/`mtime` are milliseconds since the Unix epoch.
 *
 * @since 0.1.0
 * @category models
 */
export const Stat = Schema.Struct({
  /** The zxid of the change that created the node. */
  czxid: Schema.BigInt,
  /** The zxid of the change that last modified the node's data. */
  mzxid: Schema.BigInt,
  /** The zxid of the change that last modified the node's children. */
  pzxid: Schema.BigInt,
  ctime: Schema.Finite,
  mtime: Schema.Finite,
  /** Data version: pass it to `setData`/`remove` for a compare-and-set. */
  version: Schema.Int,
  /** Children version. */
  cversion: Schema.Int,
  /** ACL version. */
  aversion: Schema.Int,
  /** The owning session id for an ephemeral node, `0n` for a persistent one. */
  ephemeralOwner: Schema.BigInt,
  dataLength: Schema.Int,
  numChildren: Schema.Int
})

/**
 * @since 0.1.0
 * @category models
 */
export type Stat = typeof Stat.Type

/**
 * A znode's data and stat, as read together by `getData`.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeData {
  readonly data: Uint8Array
  readonly stat: Stat
}
