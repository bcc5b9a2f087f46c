/**
 * Semantic validation of apps: what the Schema cannot say (fields that contradict each other, references to
 * ports and secrets that do not exist, constraint values that do not fit their operator). Every problem is an
 * {@link InvalidApp} naming the field by its JSON path.
 *
 * Decode with the `AppDefinition` / `Group` Schemas first (types, ranges, defaults), then validate here;
 * groups: see `validateGroup`.
 *
 * @since 0.1.0
 */
import { Effect } from "effect"
import type { AppDefinition } from "../model/AppDefinition.js"
import { InvalidApp } from "./InvalidApp.js"
import { ownProblems } from "./internal/appRules.js"

/**
 * What validation needs from outside the definition: the range service ports are assigned from (default
 * 10000-10100, as marathon-lb), and, for groups, the ids of apps and groups that exist outside the group
 * (`knownIds`): when given, a dependency naming none of them nor anything in the group is an error.
 *
 * @since 0.1.0
 * @category models
 */
export interface ValidationContext {
  readonly servicePorts?: { readonly min: number; readonly max: number }
  readonly knownIds?: ReadonlyArray<string>
  /** The scheduler's role: when given, `acceptedResourceRoles` may name only `*` and the app's role. */
  readonly role?: string
}

/**
 * Every semantic problem of one app (empty when valid). `app.id` should be absolute; relative dependencies
 * resolve against the app's group. Checked: `cmd` with `args`; service ports outside the range and duplicate
 * port names, service ports and host ports; HTTP/TCP health checks whose `portIndex` names no port mapping (or
 * with no port at all), COMMAND checks without `command` and other checks with one, `port` with `portIndex`;
 * readiness checks naming an unknown `portName`, or with no port; env values and secret files naming a secret
 * the app does not declare, two secret files on one path; autoscale `min > max` or `instances` outside
 * `[min, max]`; a dependency on the app itself (or on a group holding it); constraint values that do not fit
 * their operator (UNIQUE takes none, CLUSTER an optional value, GROUP_BY an optional positive integer, LIKE /
 * UNLIKE a valid regular expression, MAX_PER a positive integer); an accepted resource role twice, or (with
 * the scheduler's `role` in the context) one that is neither `*` nor the app's role (its `role`, else the
 * scheduler's), as Marathon refuses it.
 *
 * **Gotchas**: `minimumHealthCapacity` 1 with `maximumOverCapacity` 0 is valid (as in Marathon): deployments
 * then start one extra task at a time (see `capacityBounds`).
 *
 * @since 0.1.0
 * @category validation
 */
export const appProblems = (app: AppDefinition, context: ValidationContext = {}): ReadonlyArray<InvalidApp> =>
  ownProblems(app, context).map(([field, reason]) => new InvalidApp({ field, appId: app.id, reason }))

/**
 * Validates one app: succeeds with it, or fails with its first {@link InvalidApp} (see {@link appProblems}).
 *
 * @since 0.1.0
 * @category validation
 */
export const validateApp = (
  app: AppDefinition,
  context: ValidationContext = {}
): Effect.Effect<AppDefinition, InvalidApp> =>
  Effect.suspend(() => {
    const [first] = appProblems(app, context)
    return first === undefined ? Effect.succeed(app) : Effect.fail(first)
  })
