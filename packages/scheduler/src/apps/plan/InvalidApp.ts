/**
 * The typed errors of planning: an app or group that is valid JSON but makes no sense (the field says where),
 * and a dependency cycle (the cycle is named).
 *
 * @since 0.1.0
 */
import { Data } from "effect"

/**
 * An app definition (or a group, or the target of a deployment) that breaks a semantic rule. `field` is the
 * JSON path of the offending value, relative to the document that was checked (`healthChecks[0].portIndex`,
 * `groups[1].apps[0].env.DB`); `appId` names the app when one is concerned.
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidApp extends Data.TaggedError("InvalidApp")<{
  readonly field: string
  readonly reason: string
  readonly appId?: string
}> {
  override get message(): string {
    return this.appId === undefined ? `${this.field}: ${this.reason}` : `${this.appId}: ${this.field}: ${this.reason}`
  }
}

/**
 * Apps that depend on each other in a circle, so no order can start them: `cycle` lists the app ids along the
 * circle, first id repeated at the end (`["/a", "/b", "/a"]`).
 *
 * @since 0.1.0
 * @category errors
 */
export class DependencyCycle extends Data.TaggedError("DependencyCycle")<{
  readonly cycle: ReadonlyArray<string>
}> {
  override get message(): string {
    return `dependency cycle: ${this.cycle.join(" -> ")}`
  }
}
