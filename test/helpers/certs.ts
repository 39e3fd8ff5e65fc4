/**
 * A throwaway PKI for TLS tests, made with the openssl command line in a temporary folder: a CA, a
 * server certificate for `boundary.test` (optionally also 127.0.0.1), a client certificate, and an
 * unrelated second CA.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPki {
  dir: string;
  caPath: string;
  otherCaPath: string;
  /** Server certificate valid for DNS:boundary.test and IP:127.0.0.1. */
  server: { key: string; cert: string };
  /** Server certificate valid for DNS:boundary.test only. */
  namedServer: { key: string; cert: string };
  clientCertPath: string;
  clientKeyPath: string;
  ca: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: "pipe" });
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "bg-pki-"));
  const ca = (name: string) =>
    openssl(
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-subj",
        `/CN=${name}`,
      ],
      dir,
    );
  const leaf = (name: string, san: string, usage: string) => {
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`], dir);
    openssl(
      [
        "x509",
        "-req",
        "-in",
        `${name}.csr`,
        "-CA",
        "ca.crt",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        `${name}.crt`,
        "-days",
        "2",
        "-extfile",
        `${name}.ext`,
      ],
      dir,
    );
  };
  ca("ca");
  ca("other-ca");
  leaf("server", "DNS:boundary.test,IP:127.0.0.1", "serverAuth");
  leaf("named", "DNS:boundary.test", "serverAuth");
  leaf("client", "DNS:gateway.test", "clientAuth");
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  return {
    dir,
    caPath: join(dir, "ca.crt"),
    otherCaPath: join(dir, "other-ca.crt"),
    server: { key: read("server.key"), cert: read("server.crt") },
    namedServer: { key: read("named.key"), cert: read("named.crt") },
    clientCertPath: join(dir, "client.crt"),
    clientKeyPath: join(dir, "client.key"),
    ca: read("ca.crt"),
  };
}
