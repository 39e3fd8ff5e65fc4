import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator } from "../../src/emulator/types.js";
import { startGateway } from "../../src/server.js";
import { makeTestPki, type TestPki } from "../helpers/certs.js";

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
    expect(
      await readThrough(emulator, {
        BOUNDARY_CACERT: pki.caPath,
        BOUNDARY_CLIENT_CERT: pki.clientCertPath,
        BOUNDARY_CLIENT_KEY: pki.clientKeyPath,
      }),
    ).toBe("OK");
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath })).toBe("UPSTREAM_UNAVAILABLE");
  });
});

describe("BOUNDARY_CAPATH (a directory of CA files, as Boundary's CLI reads it)", () => {
  let emulator: Emulator;
  let dirs: { both: string; nested: string; otherOnly: string; withJunk: string };
  beforeAll(async () => {
    emulator = await startEmulator({ port: 0, sessions: 3, tls: pki.server });
    const dir = (name: string, files: Record<string, string>) => {
      const root = join(pki.dir, name);
      for (const [file, text] of Object.entries(files)) {
        mkdirSync(dirname(join(root, file)), { recursive: true });
        writeFileSync(join(root, file), text);
      }
      return root;
    };
    const other = readFileSync(pki.otherCaPath, "utf8");
    dirs = {
      both: dir("capath-both", { "a-other.pem": other, "b-ours.pem": pki.ca }),
      nested: dir("capath-nested", { "other.pem": other, "sub/ours.crt": pki.ca }),
      otherOnly: dir("capath-other", { "other.pem": other }),
      withJunk: dir("capath-junk", { "ours.pem": pki.ca, README: "not a certificate\n" }),
    };
  });
  afterAll(() => emulator.close());

  it("trusts every CA file in the directory, subdirectories included", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CAPATH: dirs.both })).toBe("OK");
    expect(await readThrough(emulator, { BOUNDARY_CAPATH: dirs.nested })).toBe("OK");
  });

  it("refuses the controller when no file in it holds the signing CA", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CAPATH: dirs.otherOnly })).toBe("UPSTREAM_UNAVAILABLE");
  });

  it("gives way to BOUNDARY_CACERT when both are set, as go-rootcerts does", async () => {
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.otherCaPath, BOUNDARY_CAPATH: dirs.both })).toBe("UPSTREAM_UNAVAILABLE");
    expect(await readThrough(emulator, { BOUNDARY_CACERT: pki.caPath, BOUNDARY_CAPATH: dirs.otherOnly })).toBe("OK");
  });

  it("fails to start on a file that holds no certificate, naming it", async () => {
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      BOUNDARY_ADDR: emulator.url,
      BOUNDARY_CAPATH: dirs.withJunk,
    });
    await expect(startGateway(config)).rejects.toThrow(`BOUNDARY_CAPATH: no PEM certificate in ${join(dirs.withJunk, "README")}`);
  });

  it("fails to start on a directory that does not exist", async () => {
    const config = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "silent",
      BOUNDARY_ADDR: emulator.url,
      BOUNDARY_CAPATH: join(pki.dir, "nope"),
    });
    await expect(startGateway(config)).rejects.toThrow(/ENOENT/);
  });
});
