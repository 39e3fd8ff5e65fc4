/**
 * The test harness: the emulator on port 0, the gateway on another port 0, and a GraphQL client over
 * real HTTP. Nothing is mocked; tests read the emulator's call log to see what reached the controller.
 */
import { loadConfig } from "../../src/config.js";
import { startEmulator } from "../../src/emulator/index.js";
import type { Emulator, EmulatorOptions } from "../../src/emulator/types.js";
import { startGateway, type Gateway, type GatewayOptions } from "../../src/server.js";

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: {
    data?: T | null;
    errors?: {
      message: string;
      path?: (string | number)[];
      extensions?: Record<string, unknown> & { code?: string };
    }[];
  };
}

export interface Stack {
  emulator: Emulator;
  gateway: Gateway;
  /** POST a GraphQL operation. `token` becomes `Authorization: Bearer <token>`. */
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    opts?: { token?: string; headers?: Record<string, string> },
  ): Promise<GqlResult<T>>;
  close(): Promise<void>;
}

export async function startStack(
  opts: {
    emulator?: EmulatorOptions;
    env?: Record<string, string>;
    gateway?: GatewayOptions;
    /** As in demo mode: requests without a token act with the emulator admin's (the fallback token). */
    fallbackToAdmin?: boolean;
  } = {},
): Promise<Stack> {
  const emulator = await startEmulator({ port: 0, sessions: 60, ...opts.emulator });
  const config = loadConfig({
    PORT: "0",
    HOST: "127.0.0.1",
    LOG_LEVEL: "silent",
    NODE_ENV: "test",
    BOUNDARY_ADDR: emulator.url,
    ...opts.env,
  });
  const gateway = await startGateway(
    config,
    opts.fallbackToAdmin ? { fallbackToken: emulator.tokens.admin.token, ...opts.gateway } : opts.gateway,
  );
  return {
    emulator,
    gateway,
    async gql(query, variables, o = {}) {
      const headers: Record<string, string> = { "content-type": "application/json", ...o.headers };
      if (o.token !== undefined) headers.authorization = `Bearer ${o.token}`;
      const res = await fetch(`${gateway.url}/graphql`, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
      const text = await res.text();
      let body: GqlResult["body"];
      try {
        body = JSON.parse(text);
      } catch {
        throw new Error(`gateway answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
      }
      return { status: res.status, headers: res.headers, body } as GqlResult<any>;
    },
    async close() {
      await gateway.stop();
      await emulator.close();
    },
  };
}

/** The calls the emulator saw whose `METHOD path` matches. */
export function callsTo(emulator: Emulator, method: string, path: RegExp) {
  return emulator.calls.filter((c) => c.method === method && path.test(c.path));
}
