/**
 * @orchestrator/core: the report model, merging, the aggregator, topology views, time series, the plugin
 * contract and the app server.
 *
 * @since 0.1.0
 */
export * as AgentConfig from "./AgentConfig.js"
export * as ControlProtocol from "./ControlProtocol.js"
export * as Fields from "./Fields.js"
export * as Merge from "./Merge.js"
export * as MergedReport from "./MergedReport.js"
export * as NodeDetails from "./NodeDetails.js"
export * as NodeId from "./NodeId.js"
export * as Report from "./Report.js"
export * as Topology from "./Topology.js"
export * as View from "./views/View.js"
