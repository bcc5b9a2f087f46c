/**
 * Operations of a multi-operation transaction (`multi`): all are applied in order, or none.
 *
 * @since 0.1.0
 */
import type { Acl } from "./Acl.js"
import type { CreateMode } from "./ZooKeeperClient.js"
import type { Stat } from "./Stat.js"

/**
 * One operation of a transaction. `version` `-1` matches any version.
 *
 * @since 0.1.0
 * @category models
 */
export type Op =
  | {
      readonly _tag: "create"
      readonly path: string
      readonly data?: Uint8Array | string
      readonly acl?: Acl
      readonly mode?: CreateMode
    }
  | { readonly _tag: "remove"; readonly path: string; readonly version?: number }
  | { readonly _tag: "setData"; readonly path: string; readonly data: Uint8Array | string; readonly version?: number }
  | { readonly _tag: "check"; readonly path: string; readonly version: number }

/**
 * What one operation of a committed transaction returned: the created path, the new stat, or nothing.
 *
 * @since 0.1.0
 * @category models
 */
export type OpResult =
  | { readonly _tag: "create"; readonly path: string }
  | { readonly _tag: "setData"; readonly stat: Stat }
  | { readonly _tag: "remove" }
  | { readonly _tag: "check" }

/**
 * Builds a create operation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const create = (
  path: string,
  data?: Uint8Array | string,
  options: { readonly acl?: Acl; readonly mode?: CreateMode } = {}
): Op => ({ _tag: "create", path, ...(data === undefined ? {} : { data }), ...options })

/**
 * Builds a delete operation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const remove = (path: string, version = -1): Op => ({ _tag: "remove", path, version })

/**
 * Builds a set-data operation.
 *
 * @since 0.1.0
 * @category constructors
 */
export const setData = (path: string, data: Uint8Array | string, version = -1): Op => ({
  _tag: "setData",
  path,
  data,
  version
})

/**
 * Builds a version check: the transaction fails unless the node exists with that data version.
 *
 * @since 0.1.0
 * @category constructors
 */
export const check = (path: string, version: number): Op => ({ _tag: "check", path, version })

/**
 * The serialized size of an operation on the wire, roughly (path, data and ACL bytes plus headers): sum them
 * to keep a transaction under the server's `jute.maxbuffer` (1 MB by default).
 *
 * @since 0.1.0
 * @category utils
 */
export const wireSize = (op: Op): number => {
  const path = Buffer.byteLength(op.path) + 16
  switch (op._tag) {
    case "create":
      return (
        path +
        byteLength(op.data) +
        (op.acl ?? []).reduce((sum, entry) => sum + entry.scheme.length + entry.id.length + 16, 16)
      )
    case "setData":
      return path + byteLength(op.data)
    default:
      return path
  }
}

const byteLength = (data: Uint8Array | string | undefined): number =>
  data === undefined ? 0 : typeof data === "string" ? Buffer.byteLength(data) : data.byteLength
