import { defineConfig } from "tsup"
import { exampleHostBuild } from "../../tsup.config.js"

/** The master host: the ZooKeeper driver and the libraries only agents use stay external (the driver is loaded only with `--zk`). */
export default defineConfig(
  exampleHostBuild(["node-zookeeper-client", "dockerode", "systeminformation", "ws", "typed-emitter"])
)
