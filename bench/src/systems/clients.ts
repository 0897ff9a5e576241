/**
 * Loads a queue's client face in a child process. Kept apart from the harness faces so the
 * children's bundle holds no harness code, and a child loads only its own queue's library.
 */
import type { ClientSide, SystemName } from "./system.js";

/** The client face of `name`, for a child process. */
export async function loadClient(name: SystemName): Promise<ClientSide> {
  switch (name) {
    case "gobq":
    case "gobq-pg":
    case "gobq-pg3":
      return (await import("./gobq-client.js")).gobqClient;
    case "bullmq":
      return (await import("./bullmq-client.js")).bullmqClient;
    case "pg-boss":
      return (await import("./pg-boss-client.js")).pgBossClient;
    case "graphile-worker":
      return (await import("./graphile-worker-client.js")).graphileWorkerClient;
  }
}
