/**
 * Request bodies within MAX_BODY_BYTES, for every route that reads one (`/graphql`, `/graphql/stream`):
 * an oversized body is answered 413 `PAYLOAD_TOO_LARGE` and never held whole in memory.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { GatewayErrorCode } from "../graphql/errors.js";

/** The body's chunks and size, or null when it was over `limit` and the 413 has been sent. */
export async function readBodyWithin(
  req: IncomingMessage,
  res: ServerResponse,
  limit: number,
): Promise<{ chunks: Buffer[]; size: number } | null> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > limit) {
    tooLarge(req, res, limit);
    return null;
  }
  // Plain listeners rather than `for await`: the async iterator costs a promise per chunk.
  const chunks: Buffer[] = [];
  const size = await new Promise<number>((resolve, reject) => {
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > limit) {
        req.off("data", onData);
        resolve(total);
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("end", () => resolve(total));
    req.once("error", reject);
  });
  if (size > limit) {
    tooLarge(req, res, limit);
    return null;
  }
  return { chunks, size };
}

function tooLarge(req: IncomingMessage, res: ServerResponse, limit: number): void {
  const text = JSON.stringify({
    errors: [{ message: `The request body is larger than ${limit} bytes.`, extensions: { code: GatewayErrorCode.PAYLOAD_TOO_LARGE } }],
  });
  res.writeHead(413, {
    connection: "close",
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
  // Stop reading the rest of an oversized body; the connection is closed after the answer.
  req.unpipe();
  req.resume();
}
