/**
 * The hooks' `after` runs once the answer has been written out, not when it is known: what a hook holds
 * (an admission slot) must cover the answer's bytes while a slow client reads them.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { OperationRequest } from "../../src/execution/index.js";
import { startStack, type Stack } from "../helpers/harness.js";

// Every session with its certificate: about 6 MiB for 10,000 sessions, more than the socket buffers hold.
const LISTING = "{ sessions(includeTerminated: true) { items { id status userId scopeId targetId certificate createdTime } } }";
const afters: string[] = [];

/** Sends one raw HTTP request and reads its first bytes, then stops reading until `resume` is called. */
function slowRequest(
  url: string,
  head: string,
  body = "",
): Promise<{ socket: Socket; resume: () => Promise<{ bytes: number; contentLength: number }> }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    socket.on("error", reject);
    socket.write(`${head}\r\nhost: ${hostname}:${port}\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    const chunks: Buffer[] = [];
    socket.once("data", (first: Buffer) => {
      socket.pause();
      chunks.push(first);
      resolve({
        socket,
        resume: () =>
          new Promise((done) => {
            socket.on("data", (c: Buffer) => chunks.push(c));
            socket.on("end", () => {
              const all = Buffer.concat(chunks);
              const split = all.indexOf("\r\n\r\n");
              const length = /content-length: (\d+)/i.exec(all.subarray(0, split).toString("latin1"));
              done({ bytes: all.length - split - 4, contentLength: Number(length?.[1] ?? -1) });
            });
            socket.resume();
          }),
      });
    });
  });
}

describe("hooks' after", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      emulator: { sessions: 10_000 },
      fallbackToAdmin: true,
      gateway: { hooks: [{ name: "recorder", after: (r: OperationRequest) => void afters.push(r.transport) }] },
    });
  }, 60_000);
  afterAll(() => stack.close());

  for (const [lane, head, body] of [
    ["the fast path (POST)", "POST /graphql HTTP/1.1\r\ncontent-type: application/json", JSON.stringify({ query: LISTING })],
    ["Apollo (GET)", `GET /graphql?query=${encodeURIComponent(LISTING)} HTTP/1.1\r\napollo-require-preflight: 1`, ""],
  ] as const) {
    it(`runs on ${lane} only once the client has read the whole answer`, async () => {
      afters.length = 0;
      const slow = await slowRequest(stack.gateway.url, head, body);
      // The answer has started to arrive: it is known and being written, and the client is not reading.
      expect(afters).toEqual([]);
      await new Promise((r) => setTimeout(r, 300));
      expect(afters).toEqual([]);
      const read = await slow.resume();
      expect(read.bytes).toBe(read.contentLength);
      expect(read.bytes).toBeGreaterThan(5 * 1024 * 1024);
      await expect.poll(() => afters).toEqual(["http"]);
    }, 60_000);
  }
});
