/**
 * Errors of the allocator. Every failing call leaves the allocator's state unchanged.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * A resource text or JSON value could not be read, or names a negative, non-finite or malformed amount.
 * `input` is the offending text (or JSON path), `reason` says what was wrong with it.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidResources extends Schema.TaggedError<InvalidResources>()("InvalidResources", {
  input: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid resources ${JSON.stringify(this.input)}: ${this.reason}`
  }
}

/**
 * A role name breaks the naming rules (empty, `.`/`..` components, whitespace, a leading `-`, `*` inside a
 * path...).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRole extends Schema.TaggedError<InvalidRole>()("InvalidRole", {
  role: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid role ${JSON.stringify(this.role)}: ${this.reason}`
  }
}

/**
 * A role weight is not a finite number greater than zero.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidWeight extends Schema.TaggedError<InvalidWeight>()("InvalidWeight", {
  role: Schema.String,
  weight: Schema.Number
}) {
  override get message(): string {
    return `invalid weight ${this.weight} for role ${JSON.stringify(this.role)}: a weight must be a finite number > 0`
  }
}

/**
 * A quota was rejected: a non-scalar or reserved resource, a guarantee above its limit, an unknown resource
 * name, guarantees above the cluster's capacity, or children guaranteed more than their parent.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidQuota extends Schema.TaggedError<InvalidQuota>()("InvalidQuota", {
  role: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid quota for role ${JSON.stringify(this.role)}: ${this.reason}`
  }
}

/**
 * An option of {@link DrfAllocator.make} is out of range.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidOption extends Schema.TaggedError<InvalidOption>()("InvalidOption", {
  option: Schema.String,
  reason: Schema.String
}) {
  override get message(): string {
    return `invalid allocator option ${this.option}: ${this.reason}`
  }
}

/**
 * An agent or framework id that the allocator does not know.
 *
 * @since 0.1.0
 * @category errors
 */
export class UnknownId extends Schema.TaggedError<UnknownId>()("UnknownId", {
  kind: Schema.Literals(["agent", "framework"]),
  id: Schema.String
}) {
  override get message(): string {
    return `unknown ${this.kind} ${JSON.stringify(this.id)}`
  }
}

/**
 * An agent or framework id that is already registered.
 *
 * @since 0.1.0
 * @category errors
 */
export class DuplicateId extends Schema.TaggedError<DuplicateId>()("DuplicateId", {
  kind: Schema.Literals(["agent", "framework"]),
  id: Schema.String
}) {
  override get message(): string {
    return `${this.kind} ${JSON.stringify(this.id)} is already registered`
  }
}

/**
 * An operation needs resources that are not there: recovering more than was allocated, reserving more than
 * is unreserved and free, shrinking an agent below what is allocated on it, or subscribing a framework to a
 * role it holds resources in. `needed` and `available` are Mesos resource texts.
 *
 * @since 0.1.0
 * @category errors
 */
export class InsufficientResources extends Schema.TaggedError<InsufficientResources>()("InsufficientResources", {
  operation: Schema.String,
  agentId: Schema.String,
  needed: Schema.String,
  available: Schema.String
}) {
  override get message(): string {
    return `${this.operation} on agent ${JSON.stringify(this.agentId)} needs ${this.needed} but only ${this.available || "nothing"} is available`
  }
}

/**
 * Any error of the allocator.
 *
 * @since 0.1.0
 * @category errors
 */
export type AllocatorError =
  | InvalidResources
  | InvalidRole
  | InvalidWeight
  | InvalidQuota
  | InvalidOption
  | UnknownId
  | DuplicateId
  | InsufficientResources
