/**
 * Throwaway certificates made with the `openssl` command for TLS tests: a CA and a server
 * certificate it signs (for 127.0.0.1 and localhost), a client CA and a client certificate,
 * and a stranger CA whose client certificate the server must refuse. EC P-256 keys, so that
 * making them all takes well under a second.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Paths of the PEM files, and the contents of those a client needs. */
export interface TestCertificates {
  dir: string;
  /** CA that signed the server certificate: what clients trust. */
  caPath: string;
  ca: Buffer;
  serverCertPath: string;
  serverKeyPath: string;
  /** CA that signed `clientCert`: what the server trusts with --tls-client-ca. */
  clientCaPath: string;
  clientCert: Buffer;
  clientKey: Buffer;
  /** A certificate signed by a CA the server does not know. */
  strangerCert: Buffer;
  strangerKey: Buffer;
}

function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** Makes a self-signed CA `name` in `dir`. */
function makeCa(dir: string, name: string): void {
  openssl(dir, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-keyout", `${name}.key`, "-out", `${name}.crt`, "-subj", `/CN=gobq test ${name}`]);
}

/** Makes a key and a certificate `name` signed by CA `ca`, with the given subjectAltName. */
function makeLeaf(dir: string, name: string, ca: string, san: string): void {
  openssl(dir, ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`]);
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\n`);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial",
    "-days", "2", "-out", `${name}.crt`, "-extfile", `${name}.ext`]);
}

/** Writes every certificate into `dir` (which the caller removes). */
export function makeCertificates(dir: string): TestCertificates {
  makeCa(dir, "ca");
  makeLeaf(dir, "server", "ca", "IP:127.0.0.1,DNS:localhost");
  makeCa(dir, "client-ca");
  makeLeaf(dir, "client", "client-ca", "DNS:client");
  makeCa(dir, "stranger-ca");
  makeLeaf(dir, "stranger", "stranger-ca", "DNS:stranger");
  const read = (file: string) => readFileSync(join(dir, file));
  return {
    dir,
    caPath: join(dir, "ca.crt"),
    ca: read("ca.crt"),
    serverCertPath: join(dir, "server.crt"),
    serverKeyPath: join(dir, "server.key"),
    clientCaPath: join(dir, "client-ca.crt"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
    strangerCert: read("stranger.crt"),
    strangerKey: read("stranger.key"),
  };
}
