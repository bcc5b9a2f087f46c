/**
 * Access control lists: what a znode allows to whom.
 *
 * @since 0.1.0
 */
import { createHash } from "node:crypto"
import { Schema } from "effect"

/**
 * Permission bits, as ZooKeeper numbers them; an entry's `perms` is their sum (`all` is 31).
 *
 * @since 0.1.0
 * @category constants
 */
export const Perms = { read: 1, write: 2, create: 4, delete: 8, admin: 16, all: 31 } as const

/**
 * One ACL entry: permission bits for an identity (`scheme` `world`/`digest`/`ip`/`auth`/`sasl`, and its `id`).
 *
 * @since 0.1.0
 * @category models
 */
export const AclEntry = Schema.Struct({
  perms: Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 31 })),
  scheme: Schema.NonEmptyString,
  id: Schema.String
})

/**
 * @since 0.1.0
 * @category models
 */
export type AclEntry = typeof AclEntry.Type

/**
 * A znode's ACL (never empty on the server).
 *
 * @since 0.1.0
 * @category models
 */
export type Acl = ReadonlyArray<AclEntry>

/**
 * Everyone may do everything (`world:anyone`, all permissions): ZooKeeper's `OPEN_ACL_UNSAFE`.
 *
 * @since 0.1.0
 * @category constants
 */
export const openUnsafe: Acl = [{ perms: Perms.all, scheme: "world", id: "anyone" }]

/**
 * The `digest` id of a user and password (`user:base64(sha1("user:password"))`), as the server stores it.
 *
 * @since 0.1.0
 * @category constructors
 */
export const digestId = (user: string, password: string): string =>
  `${user}:${createHash("sha1").update(`${user}:${password}`).digest("base64")}`

/**
 * An ACL that gives `perms` (default all) to one digest user.
 *
 * @since 0.1.0
 * @category constructors
 */
export const digest = (user: string, password: string, perms: number = Perms.all): Acl => [
  { perms, scheme: "digest", id: digestId(user, password) }
]

/**
 * A stable text form of an ACL (entries sorted), for comparing and hashing ACLs from different servers.
 *
 * @since 0.1.0
 * @category utils
 */
export const canonical = (acl: Acl): string =>
  acl
    .map((entry) => `${entry.scheme}:${entry.id}:${entry.perms}`)
    .sort()
    .join(",")

/**
 * Whether two ACLs grant the same (order does not matter).
 *
 * @since 0.1.0
 * @category utils
 */
export const equals = (a: Acl, b: Acl): boolean => canonical(a) === canonical(b)

/**
 * Credentials a client presents after connecting (`addauth`), e.g. `{ scheme: "digest", auth: "user:pw" }`.
 *
 * @since 0.1.0
 * @category models
 */
export const AuthInfo = Schema.Struct({ scheme: Schema.NonEmptyString, auth: Schema.String })

/**
 * @since 0.1.0
 * @category models
 */
export type AuthInfo = typeof AuthInfo.Type
