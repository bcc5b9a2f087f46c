import { defineConfig } from "tsup"
import { exampleHostBuild } from "../../tsup.config.js"

/** The agent host: dockerode, systeminformation and the ZooKeeper driver stay external (loaded when used). */
export default defineConfig(
  exampleHostBuild(["node-zookeeper-client", "dockerode", "systeminformation", "ws", "typed-emitter"])
)
