/**
 * Configuration, parsed and validated once from an environment object. No other module reads
 * `process.env`: `main.ts` passes it in, tests pass plain objects.
 */

export interface Config {
  /** `PORT`: port of the GraphQL server. Default 4000; 0 picks a free port. */
  readonly port: number;
  /** `HOST`: interface to bind. Default "0.0.0.0" (all interfaces), as a container expects. */
  readonly host: string;
  /** `BOUNDARY_ADDR`: the controller's base URL. Unset -> the embedded demo emulator. */
  readonly boundaryAddr: string | undefined;
  /** `BOUNDARY_TOKEN`: bearer token used only for GraphQL requests that carry no Authorization header. */
  readonly boundaryToken: string | undefined;
  /** `UPSTREAM_TIMEOUT_MS`: deadline of one upstream call (connect to last body byte). Default 10000. */
  readonly upstreamTimeoutMs: number;
  /** `MAX_LIST_ITEMS`: most sessions one `sessions` field gathers by following list tokens. Default 10000. */
  readonly maxListItems: number;
  /** `UPSTREAM_CONNECTIONS`: size of the keep-alive connection pool to the controller. Default 32. */
  readonly upstreamConnections: number;
  /** `NODE_ENV`: "production" turns the landing page off and introspection off unless enabled. */
  readonly nodeEnv: string;
  /** `INTROSPECTION`: allow schema introspection. Default true, false in production. */
  readonly introspection: boolean;
  /** `LANDING_PAGE`: serve the Apollo Sandbox landing page on GET /graphql from browsers.
   * Default true, false in production. */
  readonly landingPage: boolean;
  /** `MAX_BODY_BYTES`: largest accepted request body; larger -> 413. Default 1 MiB. */
  readonly maxBodyBytes: number;
  /** `LOG_LEVEL`: pino level (fatal, error, warn, info, debug, trace, silent). Default info. */
  readonly logLevel: LogLevel;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Parse `env` into a frozen Config, or throw a ConfigError that names every bad variable (never its
 * value when the variable is a secret). */
export function loadConfig(env: Env): Config {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const int = (name: string, def: number, min: number, max: number): number => {
    const raw = text(name);
    if (raw === undefined) return def;
    const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}=${JSON.stringify(raw)} must be a whole number from ${min} to ${max}`);
      return def;
    }
    return n;
  };
  const bool = (name: string, def: boolean): boolean => {
    const raw = text(name)?.toLowerCase();
    if (raw === undefined) return def;
    if (["1", "true", "yes", "on"].includes(raw)) return true;
    if (["0", "false", "no", "off"].includes(raw)) return false;
    problems.push(`${name}=${JSON.stringify(env[name])} must be true or false`);
    return def;
  };

  const nodeEnv = text("NODE_ENV") ?? "development";
  const production = nodeEnv === "production";

  let boundaryAddr = text("BOUNDARY_ADDR");
  if (boundaryAddr !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(boundaryAddr);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== "http:" && url.protocol !== "https:") || url.search || url.hash) {
      problems.push(`BOUNDARY_ADDR=${JSON.stringify(boundaryAddr)} must be an http(s) URL such as https://boundary.example.com:9200`);
      boundaryAddr = undefined;
    } else if (url.username || url.password) {
      // Never echo it: credentials in a URL are a secret.
      problems.push("BOUNDARY_ADDR must not carry credentials; use BOUNDARY_TOKEN");
      boundaryAddr = undefined;
    } else {
      // Like Boundary's Go client: a trailing "/v1" (or slash) on the address is dropped.
      boundaryAddr = url.origin + url.pathname.replace(/\/+$/, "").replace(/\/v1$/, "");
    }
  }

  const boundaryToken = text("BOUNDARY_TOKEN");
  if (boundaryToken !== undefined && /[\s\r\n]/.test(boundaryToken)) {
    problems.push("BOUNDARY_TOKEN must be a single token without spaces (value not shown)");
  }

  const rawLevel = text("LOG_LEVEL")?.toLowerCase() ?? "info";
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel) ? (rawLevel as LogLevel) : "info";
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL=${JSON.stringify(env.LOG_LEVEL)} must be one of ${LOG_LEVELS.join(", ")}`);

  const config: Config = {
    port: int("PORT", 4000, 0, 65535),
    host: text("HOST") ?? "0.0.0.0",
    boundaryAddr,
    boundaryToken,
    upstreamTimeoutMs: int("UPSTREAM_TIMEOUT_MS", 10_000, 1, 600_000),
    maxListItems: int("MAX_LIST_ITEMS", 10_000, 1, 1_000_000),
    upstreamConnections: int("UPSTREAM_CONNECTIONS", 32, 1, 1024),
    nodeEnv,
    introspection: bool("INTROSPECTION", !production),
    landingPage: bool("LANDING_PAGE", !production),
    maxBodyBytes: int("MAX_BODY_BYTES", 1024 * 1024, 1024, 64 * 1024 * 1024),
    logLevel,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(config);
}
