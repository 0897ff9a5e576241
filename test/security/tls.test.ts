/**
 * TLS on the real server (port 0, certificates made by openssl for this run): gRPC over
 * HTTP/2 and Connect JSON over HTTPS/1.1 on one port, told apart by ALPN; a client that does
 * not trust the CA, or speaks cleartext, gets nothing; with a client CA, only a client with a
 * certificate that CA signed gets in.
 */
import { readFileSync } from "node:fs";
import * as https from "node:https";
import type { TLSSocket } from "node:tls";
import { ConnectError } from "@connectrpc/connect";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskClient, type TlsClientOptions } from "@gobq/sdk";
import { loadConfig, validate, withDefaults } from "../../src/config/config.js";
import type { TlsOptions } from "../../src/server/secure-server.js";
import { type InProcessServer, startInProcessServer } from "../support/in-process-server.js";
import { tempDir } from "../support/gobq-process.js";
import { makeCertificates, type TestCertificates } from "../support/tls-certs.js";

interface Answer {
  status: number;
  httpVersion: string;
  alpn: string | false;
  body: string;
}

/** POSTs Connect JSON over HTTPS/1.1, as curl --http1.1 or a browser's fetch would. */
function postHttp1(baseUrl: string, path: string, body: object, tls: https.RequestOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    // ALPNProtocols is a tls.connect option that https.request passes on but does not type.
    const options = { method: "POST", headers: { "content-type": "application/json" }, ALPNProtocols: ["http/1.1"], agent: false, ...tls };
    const req = https.request(`${baseUrl}/${path}`, options as https.RequestOptions, (res) => {
      const alpn = (res.socket as TLSSocket).alpnProtocol ?? false;
      let text = "";
      res.on("data", (d) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, httpVersion: res.httpVersion, alpn, body: text }));
    });
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

/** How a TaskClient call ends: "ok", or the error's code and message. */
async function statsWith(baseUrl: string, tls: TlsClientOptions | undefined): Promise<string> {
  try {
    await new TaskClient({ baseUrl, ...(tls && { tls }) }).stats();
    return "ok";
  } catch (err) {
    return ConnectError.from(err).message;
  }
}

let tmp: ReturnType<typeof tempDir>;
let certs: TestCertificates;
let serverTls: TlsOptions;
beforeAll(() => {
  tmp = tempDir("gobq-tls-");
  certs = makeCertificates(tmp.dir);
  serverTls = { cert: readFileSync(certs.serverCertPath), key: readFileSync(certs.serverKeyPath) };
});
afterAll(() => tmp?.cleanup());

describe("with --tls-cert and --tls-key", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer({ tls: serverTls });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("serves gRPC over HTTP/2 and Connect JSON over HTTP/1.1 on one port", async () => {
    expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const client = new TaskClient({ baseUrl: server.url, tls: { ca: certs.ca } });
    const task = await client.enqueue("over_tls", { category: "tls" });

    const answer = await postHttp1(server.url, "gobq.v1.TaskService/GetTask", { id: task.id }, { ca: certs.ca });
    expect(answer).toMatchObject({ status: 200, httpVersion: "1.1", alpn: "http/1.1" });
    expect(JSON.parse(answer.body)).toMatchObject({ task: { id: task.id, name: "over_tls" } });
  });

  it("serves the separate HTTP/1.1 listener, when asked for, over TLS too", async () => {
    expect(server.httpUrl).toMatch(/^https:\/\//);
    const answer = await postHttp1(server.httpUrl, "gobq.v1.TaskService/GetStats", {}, { ca: certs.ca });
    expect(answer.status).toBe(200);
  });

  it("refuses a client that does not trust its CA, and a cleartext one", async () => {
    expect(await statsWith(server.url, undefined)).toMatch(/unable to verify the first certificate/);
    await expect(postHttp1(server.url, "gobq.v1.TaskService/GetStats", {}, {})).rejects.toThrow(/certificate/);
    expect(await statsWith(server.url.replace("https:", "http:"), undefined)).not.toBe("ok");
  });

  it("shuts down promptly with an HTTP/1.1 connection kept alive, answering its call first", async () => {
    const agent = new https.Agent({ keepAlive: true, ca: certs.ca });
    try {
      const poll = postHttp1(server.url, "gobq.v1.WorkerService/LeaseTasks", { category: "idle", workerId: "w", wait: "20s" }, { agent } as https.RequestOptions);
      await new Promise((r) => setTimeout(r, 200));
      const started = performance.now();
      await server.stop();
      // The in-process server cuts what is left after 1 s; a connection that had to be cut took that long.
      expect(performance.now() - started).toBeLessThan(1_000);
      expect(await poll).toMatchObject({ status: 200, body: "{}" });
    } finally {
      agent.destroy();
    }
  });
});

describe("with --tls-client-ca", () => {
  let server: InProcessServer;
  beforeAll(async () => {
    server = await startInProcessServer({ tls: { ...serverTls, clientCa: readFileSync(certs.clientCaPath) } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("admits a client whose certificate the client CA signed, over HTTP/2 and HTTP/1.1", async () => {
    const tls = { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey };
    expect(await statsWith(server.url, tls)).toBe("ok");
    expect((await postHttp1(server.url, "gobq.v1.TaskService/GetStats", {}, tls)).status).toBe(200);
  });

  it("refuses a client without a certificate, or with one from another CA", async () => {
    expect(await statsWith(server.url, { ca: certs.ca })).toMatch(/certificate required/);
    // TLS 1.3 finishes the client's side of the handshake first: the refusal ends the stream instead.
    expect(await statsWith(server.url, { ca: certs.ca, cert: certs.strangerCert, key: certs.strangerKey })).not.toBe("ok");
    await expect(postHttp1(server.url, "gobq.v1.TaskService/GetStats", {}, { ca: certs.ca })).rejects.toThrow();
  });
});

it("the SDK refuses TLS options with a cleartext URL rather than send the key and token in clear", () => {
  expect(() => new TaskClient({ baseUrl: "http://127.0.0.1:50051", tls: { ca: certs.ca } })).toThrow(
    'option tls: needs an https:// baseUrl, got "http://127.0.0.1:50051"',
  );
});

describe("TLS settings", () => {
  const config = (flags: Record<string, string>) => validate(withDefaults(loadConfig(flags, {})));

  it("turn the separate HTTP/1.1 listener off unless it is asked for", () => {
    const tls = { tlsCert: certs.serverCertPath, tlsKey: certs.serverKeyPath };
    expect(config(tls).httpListen).toBeUndefined();
    expect(config({ ...tls, httpListen: "127.0.0.1:8443" }).httpListen).toEqual({ host: "127.0.0.1", port: 8443 });
    expect(config({}).httpListen).toEqual({ host: "127.0.0.1", port: 50052 });
  });

  it("count client certificates as authentication for a non-loopback address", () => {
    const tls = { tlsCert: certs.serverCertPath, tlsKey: certs.serverKeyPath, listen: "0.0.0.0:8443" };
    expect(() => config(tls)).toThrow(/can be reached from other machines/);
    expect(config({ ...tls, tlsClientCa: certs.clientCaPath }).tls?.clientCa).toBeInstanceOf(Buffer);
  });

  it.each([
    [{ tlsCert: "server.crt" }, "--tls-key (GOBQ_TLS_KEY): is required with --tls-cert"],
    [{ tlsKey: "server.key" }, "--tls-cert (GOBQ_TLS_CERT): is required with --tls-key"],
    [{ tlsCert: "server.crt", tlsKey: "client.key" }, "--tls-key (GOBQ_TLS_KEY): is not the private key of the certificate in --tls-cert"],
    [{ tlsCert: "server.key", tlsKey: "server.key" }, "--tls-cert (GOBQ_TLS_CERT): "],
    [{ tlsClientCa: "client-ca.crt" }, "--tls-client-ca (GOBQ_TLS_CLIENT_CA): needs --tls-cert and --tls-key"],
    [{ tlsCert: "missing.crt", tlsKey: "server.key" }, "--tls-cert (GOBQ_TLS_CERT): cannot read"],
  ])("%o is refused, naming the setting", (files, message) => {
    const flags = Object.fromEntries(Object.entries(files).map(([k, f]) => [k, `${tmp.dir}/${f}`]));
    expect(() => config(flags)).toThrow(message);
  });
});
