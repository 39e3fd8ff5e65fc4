import { pino, type DestinationStream, type Logger, type LoggerOptions } from "pino";
import type { LogLevel } from "./config.js";

export type { Logger };

/**
 * JSON logs on stdout. Credentials never reach a log line: Authorization and cookie headers and any
 * `token` field are redacted wherever they appear (the upstream client never logs headers at all).
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  const options: LoggerOptions = {
    level,
    base: { service: "boundary-graphql" },
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
  return destination ? pino(options, destination) : pino(options);
}
