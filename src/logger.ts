import { createRequire } from "node:module";
import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * JSON logs on stdout. Credentials never reach a log line: Authorization and cookie headers and any
 * `token` field are redacted wherever they appear (the upstream client never logs headers at all).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream, opts: { pretty?: boolean } = {}): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: "boundary-graphql", pid: process.pid },
    redact: {
      paths: [
        "authorization",
        "*.authorization",
        "*.*.authorization",
        "headers.cookie",
        "*.headers.cookie",
        "token",
        "*.token",
        "*.*.token",
      ],
      censor: "[redacted]",
    },
  };
  if (destination) return pino(options, destination);
  // Pretty lines for a developer's terminal, when pino-pretty (a dev dependency) is installed.
  if (opts.pretty && canResolve("pino-pretty"))
    return pino({ ...options, transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l" } } });
  return pino(options);
}

function canResolve(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(name);
    return true;
  } catch {
    return false;
  }
}
