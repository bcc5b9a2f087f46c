/**
 * @orchestrator/core: the report model, merging, the aggregator, topology views, time series, the plugin
 * contract and the app server.
 *
 * @since 0.1.0
 */
export * as AgentConfig from "./AgentConfig.js"
export * as AgentRegistry from "./AgentRegistry.js"
export * as Aggregator from "./Aggregator.js"
export * as App from "./App.js"
export * as AppServer from "./AppServer.js"
export * as AppServerConfig from "./AppServerConfig.js"
export * as Flags from "./Flags.js"
export * as BuiltinPlugin from "./BuiltinPlugin.js"
export * as BuiltinViews from "./views/BuiltinViews.js"
export * as ClientProtocol from "./ClientProtocol.js"
export * as ControlProtocol from "./ControlProtocol.js"
export * as Fields from "./Fields.js"
export * as Merge from "./Merge.js"
export * as MergedReport from "./MergedReport.js"
export * as NodeDetails from "./NodeDetails.js"
export * as NodeId from "./NodeId.js"
export * as Plugin from "./Plugin.js"
export * as PluginRegistry from "./PluginRegistry.js"
export * as ProbeState from "./ProbeState.js"
export * as Pseudo from "./views/Pseudo.js"
export * as Report from "./Report.js"
export * as Search from "./Search.js"
export * as TimeSeriesStore from "./TimeSeriesStore.js"
export * as Topology from "./Topology.js"
export * as Panels from "./views/Panels.js"
export * as View from "./views/View.js"
export * as ViewDiff from "./views/Diff.js"
export * as ViewFilters from "./views/Filters.js"
export * as ViewRegistry from "./views/ViewRegistry.js"
/** The plugin contract's entry point, re-exported at the top level for plugin authors. */
export { definePlugin } from "./Plugin.js"
/** The Promise facade's entry point, re-exported at the top level. */
export { createApp } from "./App.js"
