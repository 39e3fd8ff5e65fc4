import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../src/config.js";
import { startEmulator } from "../src/emulator/index.js";
import type { Emulator } from "../src/emulator/types.js";
import { startGateway } from "../src/server.js";
import { makeTestPki, type TestPki } from "./helpers/certs.js";

let pki: TestPki;
beforeAll(() => {
  pki = makeTestPki();
});
afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

/** Start a gateway with `env` against `emulator` and return the code of one session read (or "OK"). */
async function readThrough(emulator: Emulator, env: Record<string, string>): Promise<string> {
  const gw = await startGateway(
    loadConfig({ PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "silent", UPSTREAM_RETRIES: "0", BOUNDARY_ADDR: emulator.url, ...env }),
  );
  try {
    const id = emulator.store.sessions()[0]!.id;
    const res = await fetch(`${gw.url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${emulator.tokens.admin.token}` },
      body: JSON.stringify({ query: `{ session(id: "${id}") { id } }` }),
    });
    const body = (await res.json()) as { data?: { session: { id: string } | null }; errors?: { extensions: { code: string } }[] };
    if (body.data?.session?.id === id) return "OK";
    return body.errors?.[0]?.extensions.code ?? "?";
  } finally {
    await gw.stop();
  }
}

describe("TLS to the controller", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 3, tls: pki.server });
  });
  afterAll(() => emulator.close());

  it("serves over https", () => {
    expect(emulator.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  });

  it("trusts the controller's certificate through BOUNDARY_CACERT", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath })).toBe("OK");
  });

  it("refuses a controller whose certificate another CA signed", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.otherCaPath })).toBe("UPSTREAM_UNAVAILABLE");
    expect(await readThrough(emulator, {})).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("skips verification with BOUNDARY_TLS_INSECURE", async () => {
    expect(await readThrough(emulator, { BOUNDARY_TLS_INSECURE: "true" })).toBe("OK");
  });
});

describe("BOUNDARY_TLS_SERVER_NAME", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 3, tls: pki.namedServer });
  });
  afterAll(() => emulator.close());

  it("verifies the certificate against the given name instead of the address", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath })).toBe("UPSTREAM_UNAVAILABLE");
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath, BOUNDARY_TLS_SERVER_NAME: "boundary.test" })).toBe("OK");
  });
});

describe("client certificates (mutual TLS)", () => {
  let emulator: Emulator;
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 3, tls: { ...pki.server, ca: pki.ca, requestCert: true } });
  });
  afterAll(() => emulator.close());

  it("presents BOUNDARY_CLIENT_CERT/KEY, and is refused without them", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath, BOUNDARY_CLIENT_CERT: pki.clientCertPath, BOUNDARY_CLIENT_KEY: pki.clientKeyPath })).toBe("OK");
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath })).toBe("UPSTREAM_UNAVAILABLE");
  });
});
