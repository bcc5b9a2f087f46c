/**
 * The app's built-in topology views, registered through the same plugin contract third parties use: they
 * get the same isolation (a view that throws is reported in the plugin health and backed off) and a plugin
 * may replace one by registering a view with the same id.
 *
 * @since 0.1.0
 */
import { definePlugin } from "./Plugin.js"
import * as BuiltinViews from "./views/BuiltinViews.js"

/**
 * The plugin holding the built-in views (processes, containers, hosts, pods, services, deployments,
 * namespaces and their groupings). The app server registers it at start.
 *
 * @since 0.1.0
 * @category plugins
 */
export const builtinViewsPlugin = definePlugin({
  name: "orchestrator-builtin-views",
  version: "0.1.0",
  apiVersion: 1,
  description: "The built-in topology views",
  views: BuiltinViews.all
})
