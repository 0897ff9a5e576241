/**
 * Bytes no typed client would send, on the real server's sockets: garbage protobuf in gRPC,
 * gRPC-Web and Connect framing, strings that are not UTF-8, garbage JSON over HTTP/1.1, and
 * bodies declaring — or inflating to — more than the message size limit. Each gets a clean
 * error (INVALID_ARGUMENT, or RESOURCE_EXHAUSTED for the size) — never INTERNAL, never a
 * crash — and the server keeps serving, its store unchanged.
 */
import * as http from "node:http";
import { gzipSync } from "node:zlib";
import { type DescMethod, fromBinary } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { TaskService } from "@gobq/sdk/gen/task_service_pb.js";
import { WorkerService } from "@gobq/sdk/gen/worker_service_pb.js";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";
import { type Clients, clientsOf, observe } from "./fixture.js";
import { type Protocol, frame, rawGrpc, sendRaw } from "./raw-protocols.js";

const METHODS = [...Object.values(TaskService.method), ...Object.values(WorkerService.method)];
const UNARY = METHODS.filter((m) => m.methodKind === "unary");
const MAX_MESSAGE_BYTES = 4 << 20; // what startInProcessServer configures
const RUNS = Number(process.env.GOBQ_FUZZ_RUNS ?? 50);

let server: InProcessServer;
let clients: Clients;
beforeAll(async () => {
  server = await startInProcessServer();
  clients = clientsOf(createGrpcTransport({ baseUrl: server.url }));
  await clients.tasks.enqueueTask({ name: "bystander" }); // something the store must still hold
});
afterAll(() => server.stop());

/** Fails unless the store is as `before`, nothing was logged as unexpected, and the server still answers. */
async function expectUnharmed(before: unknown): Promise<void> {
  expect(await observe(clients)).toEqual(before);
  expect(server.logged).toEqual([]);
}

describe("raw bytes on the real server", () => {
  it("answers garbage protobuf with INVALID_ARGUMENT for the request, on every RPC, in gRPC, gRPC-Web and Connect", async () => {
    const before = await observe(clients);
    const protocols: Protocol[] = ["grpc", "grpc-web", "connect"];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...protocols), fc.constantFrom(...METHODS), fc.uint8Array({ minLength: 1, maxLength: 64 }), async (protocol, method, bytes) => {
        fc.pre(!decodes(method, bytes)); // bytes that happen to be a valid request are the typed properties' business
        const r = await sendRaw(protocol, server, method, bytes);
        expect({ protocol, method: method.name, ...r }).toEqual({ protocol, method: method.name, code: Code.InvalidArgument, field: "request" });
      }),
      { numRuns: RUNS },
    );
    await expectUnharmed(before);
  });

  it("refuses strings that are not UTF-8, in names and free text alike, before anything is stored", async () => {
    const before = await observe(clients);
    // Protobuf strings are UTF-8: the decoder refuses the message, so no field can be named.
    const name = [0x0a, 1, 0x61]; // name "a", then the bad field
    const targets = [
      { method: TaskService.method.enqueueTask, prefix: [], number: 1 }, // name
      { method: TaskService.method.enqueueTask, prefix: name, number: 2 }, // category
      { method: TaskService.method.enqueueTask, prefix: name, number: 9 }, // idempotency_key
      { method: TaskService.method.listTasks, prefix: [], number: 3 }, // name
      { method: WorkerService.method.leaseTasks, prefix: [0x0a, 1, 0x63], number: 2 }, // worker_id
      { method: WorkerService.method.heartbeatTask, prefix: [], number: 4 }, // progress_message
    ];
    const notUtf8 = fc.uint8Array({ minLength: 1, maxLength: 20 }).filter((b) => !isUtf8(b));
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...targets), notUtf8, async (t, bytes) => {
        const payload = Buffer.from([...t.prefix, (t.number << 3) | 2, bytes.length, ...bytes]);
        const r = await rawGrpc(server.url, `/${t.method.parent.typeName}/${t.method.name}`, frame(payload));
        expect({ method: t.method.name, fieldNumber: t.number, ...r }).toEqual({
          method: t.method.name,
          fieldNumber: t.number,
          code: Code.InvalidArgument,
          field: "request",
        });
      }),
      { numRuns: RUNS },
    );
    await expectUnharmed(before);
  });

  it("answers a frame declaring more than the size limit at once, without waiting for the body", async () => {
    const before = await observe(clients);
    // Declares 64 MiB, sends 1 KiB and never ends the request: only an answer that does not
    // wait for the rest can arrive.
    const head = frame(Buffer.alloc(1024, 1), 16 * MAX_MESSAGE_BYTES);
    for (const method of [TaskService.method.enqueueTasks, WorkerService.method.completeTasks, TaskService.method.watchTask]) {
      const r = await rawGrpc(server.url, `/${method.parent.typeName}/${method.name}`, head, false);
      expect(r.code).toBe(Code.ResourceExhausted);
    }
    await expectUnharmed(before);
  });

  it("answers a compressed frame that inflates past the size limit with RESOURCE_EXHAUSTED", async () => {
    const before = await observe(clients);
    const bomb = gzipSync(Buffer.alloc(4 * MAX_MESSAGE_BYTES)); // ≈ 16 KiB that inflate to 16 MiB
    const r = await rawGrpc(server.url, `/${TaskService.typeName}/${TaskService.method.enqueueTask.name}`, frame(bomb, bomb.byteLength, 1), true, {
      "grpc-encoding": "gzip",
    });
    expect(r.code).toBe(Code.ResourceExhausted);
    await expectUnharmed(before);
  });

  it("answers garbage Connect JSON over HTTP/1.1 with invalid_argument for the request, on every unary RPC", async () => {
    const before = await observe(clients);
    const garbage = fc.oneof(
      fc.string({ unit: "binary", maxLength: 40 }).filter((s) => !isJson(s)),
      fc.json().map((j) => j.slice(0, -1)).filter((s) => !isJson(s)),
      fc.constantFrom('{"maxRetires": 3}', '{"name": 5}', '{"id": {"nested": true}}', "[]", "null", '"text"'),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...UNARY), garbage, async (method, body) => {
        const res = await fetch(`${server.httpUrl}/${method.parent.typeName}/${method.name}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body,
        });
        const json = (await res.json()) as { code?: string };
        const seen = { method: method.name, body, status: res.status, code: json.code };
        expect(seen).toEqual({ ...seen, status: 400, code: "invalid_argument" });
        expect(res.headers.get("gobq-field")).toBe("request");
      }),
      { numRuns: RUNS },
    );
    await expectUnharmed(before);
  });

  it("answers a Connect request declaring more than the size limit at once, without waiting for the body", async () => {
    const before = await observe(clients);
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${server.httpUrl}/${TaskService.typeName}/${TaskService.method.enqueueTasks.name}`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(16 * MAX_MESSAGE_BYTES) },
      });
      req.on("response", (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      req.write("{".repeat(1024)); // and never the rest
    });
    expect(status).toBe(429); // resource_exhausted in the Connect protocol
    await expectUnharmed(before);
  });
});

function decodes(method: DescMethod, bytes: Uint8Array): boolean {
  try {
    fromBinary(method.input, bytes);
    return true;
  } catch {
    return false;
  }
}

function isUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}
