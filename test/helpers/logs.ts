/** A sink for the gateway's JSON log lines (pass `logger` to startStack/startGateway) and the lines it got. */
import { Writable } from "node:stream";
import { createLogger } from "../../src/logger.js";

export interface CapturedLogs {
  /** Every line written so far, parsed. */
  readonly lines: Record<string, any>[];
  /** Every chunk as written, for assertions on the raw text (what must never appear in it). */
  readonly raw: string[];
  readonly sink: Writable;
  /** A logger at `level` writing to the sink. */
  logger(level?: Parameters<typeof createLogger>[0]): ReturnType<typeof createLogger>;
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, any>[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      const text = chunk.toString();
      raw.push(text);
      for (const l of text.split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, any>);
      done();
    },
  });
  return { lines, raw, sink, logger: (level = "trace") => createLogger(level, sink) };
}
