/**
 * The balancing strategies by name.
 *
 * @since 0.1.0
 */
import type { Strategy } from "../Backend.js"
import { leastConnections } from "./leastConnections.js"
import type { Picker } from "./Picker.js"
import { roundRobin } from "./roundRobin.js"

export type { Cursor, Picker, Weighted } from "./Picker.js"
export { leastConnections } from "./leastConnections.js"
export { roundRobin } from "./roundRobin.js"

/**
 * The picker of a strategy name.
 *
 * @since 0.1.0
 * @category strategies
 */
export const pickerOf = (strategy: Strategy): Picker =>
  strategy === "least-connections" ? leastConnections : roundRobin
