/**
 * Example plugins for Orchestrator, each a complete plugin to copy from (see docs/plugins.md):
 *
 * - `zookeeper`: a collector (ZooKeeper servers from the `mntr` four-letter word) with a details panel;
 * - `groupByLabel`: a view grouped by a chosen label (a plugin factory with validated options);
 * - `signal`: a control that sends a signal to a process, with its own permission name.
 *
 * @since 0.1.0
 */
export * as GroupByLabel from "./groupByLabel.js"
export * as Signal from "./signalControl.js"
export * as ZooKeeper from "./zookeeper.js"
