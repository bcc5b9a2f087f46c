/**
 * @orchestrator/plugins/testing: the testing kit for plugin authors. Run a plugin against a fake host (a real
 * registry, no probe or app) and a recorded report, then assert on what it produced with helpers whose
 * failures say what was there instead.
 *
 * @since 0.1.0
 */
export { expectHealth, expectHealthy, expectLatest, expectMetric, expectNode, expectRendered } from "./assertions.js"
export {
  type Harness,
  type HarnessOptions,
  type Recorded,
  recordedReport,
  type TestPluginArgs,
  testPlugin
} from "./Harness.js"
