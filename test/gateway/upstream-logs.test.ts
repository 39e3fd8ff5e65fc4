/** Expected upstream failures leave one structured log line each, at the level their cause deserves, with no stack. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStack, type Stack } from "../helpers/harness.js";
import { captureLogs } from "../helpers/logs.js";

/** Every log line the gateway writes, parsed. */
const logs = captureLogs();
const { lines } = logs;

let stack: Stack;
let admin: string;
beforeAll(async () => {
  stack = await startStack({
    emulator: { sessions: 4, seed: 3 },
    env: { UPSTREAM_RETRIES: "0" },
    gateway: { logger: logs.logger("trace") },
  });
  admin = stack.emulator.tokens.admin.token;
});
afterAll(() => stack?.close());

const READ = `query One($id: ID!) { session(id: $id) { id } }`;
const failures = () => lines.filter((l) => l.msg === "upstream failure");

describe("upstream failure logs", () => {
  it("logs a controller 500 once at warn with code, endpoint and status, without a stack or the token", async () => {
    const id = stack.emulator.store.sessions()[0]!.id;
    stack.emulator.faults.add({ kind: "status", status: 500, match: new RegExp(`/v1/sessions/${id}$`) });
    lines.length = 0;
    const res = await stack.gql(READ, { id }, { token: admin });
    expect(res.body.errors![0]!.extensions!.code).toBe("UPSTREAM_ERROR");
    expect(failures()).toHaveLength(1);
    const [line] = failures();
    expect(line).toMatchObject({ level: 40, code: "UPSTREAM_ERROR", endpoint: "GET /v1/sessions/{id}", status: 500 });
    expect(JSON.stringify(lines)).not.toContain("stack");
    expect(JSON.stringify(lines)).not.toContain(admin);
  });

  it("logs a 404 once at info", async () => {
    lines.length = 0;
    const res = await stack.gql(READ, { id: "s_0000000000" }, { token: admin });
    expect(res.body.errors![0]!.extensions!.code).toBe("NOT_FOUND");
    expect(failures()).toHaveLength(1);
    expect(failures()[0]).toMatchObject({ level: 30, code: "NOT_FOUND", endpoint: "GET /v1/sessions/{id}", status: 404 });
    expect(JSON.stringify(lines)).not.toContain("stack");
  });

  it("logs a refused connection once at warn", async () => {
    const refused = await startStack({
      env: { UPSTREAM_RETRIES: "0" },
      gateway: { logger: logs.logger("trace") },
    });
    const token = refused.emulator.tokens.admin.token;
    await refused.emulator.close();
    lines.length = 0;
    try {
      const res = await refused.gql(READ, { id: "s_1234567890" }, { token });
      expect(res.body.errors![0]!.extensions!.code).toBe("UPSTREAM_UNAVAILABLE");
      expect(failures()).toHaveLength(1);
      expect(failures()[0]).toMatchObject({ level: 40, code: "UPSTREAM_UNAVAILABLE", endpoint: "GET /v1/sessions/{id}" });
      expect(JSON.stringify(lines)).not.toContain("stack");
    } finally {
      await refused.gateway.stop();
    }
  });
});
