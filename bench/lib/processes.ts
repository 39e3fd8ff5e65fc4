/**
 * Process control for the bench: every child process is tracked and stopped on the way out, whatever
 * the way out is, and every HTTP call goes to 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createServer } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type autocannon from "autocannon";
import { request } from "undici";
import type { RequestSpec } from "./load.js";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const HOST = "127.0.0.1";

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  tail: string[];
  exited: Promise<number | null>;
  alive: boolean;
  onLine: Set<(line: string) => void>;
}

export const children = new Set<Child>();

/** The load generator running now (stopped on abort), and whether a signal is tearing everything down. */
export const run: { cannon: autocannon.Instance | undefined; aborting: boolean } = { cannon: undefined, aborting: false };

export function spawnChild(name: string, args: string[], env: Record<string, string>): Child {
  const proc = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  if (proc.pid === undefined) throw new Error(`could not start ${name}`);
  const child: Child = { name, proc, pid: proc.pid, tail: [], alive: true, onLine: new Set(), exited: Promise.resolve(null) };
  child.exited = new Promise((res) => {
    proc.once("exit", (code, signal) => {
      child.alive = false;
      if (!run.aborting && !stoppingChildren.has(child))
        console.error(`! ${name} exited unexpectedly (code ${code}, signal ${signal})\n  ${child.tail.slice(-15).join("\n  ")}`);
      res(code);
    });
  });
  const feed = (stream: NodeJS.ReadableStream | null) => {
    let buf = "";
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        child.tail.push(line);
        if (child.tail.length > 60) child.tail.shift();
        for (const f of child.onLine) f(line);
      }
    });
  };
  feed(proc.stdout);
  feed(proc.stderr);
  children.add(child);
  return child;
}

export function waitForLine(child: Child, re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  for (const line of child.tail) {
    const m = re.exec(line);
    if (m) return Promise.resolve(m);
  }
  return new Promise((res, rej) => {
    const done = (err: Error | undefined, m?: RegExpMatchArray) => {
      clearTimeout(timer);
      child.onLine.delete(onLine);
      if (err) rej(err);
      else res(m!);
    };
    const onLine = (line: string) => {
      const m = re.exec(line);
      if (m) done(undefined, m);
    };
    const timer = setTimeout(
      () => done(new Error(`${child.name} did not print ${re} within ${timeoutMs} ms:\n  ${child.tail.join("\n  ")}`)),
      timeoutMs,
    );
    child.onLine.add(onLine);
    void child.exited.then(() => done(new Error(`${child.name} exited before printing ${re}:\n  ${child.tail.join("\n  ")}`)));
  });
}

export const stoppingChildren = new Set<Child>();

export async function stopChild(child: Child): Promise<void> {
  stoppingChildren.add(child);
  if (child.alive) {
    child.proc.kill("SIGTERM");
    const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000).unref());
    if ((await Promise.race([child.exited, timeout])) === "timeout" && child.alive) {
      console.error(`! ${child.name} did not stop within 10 s of SIGTERM; killing it`);
      child.proc.kill("SIGKILL");
      await Promise.race([child.exited, new Promise((r) => setTimeout(r, 2_000).unref())]);
    }
  }
  children.delete(child);
}

export async function stopAll(): Promise<void> {
  run.cannon?.stop();
  // Reverse start order: the gateway and proxy before the controller they call.
  for (const c of [...children].reverse()) await stopChild(c);
}

export function assertAlive(): void {
  for (const c of children) if (!c.alive) throw new Error(`${c.name} died during the run:\n  ${c.tail.slice(-20).join("\n  ")}`);
}

process.on("exit", () => {
  for (const c of children) if (c.alive) c.proc.kill("SIGKILL");
});
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.on(sig, () => {
    if (run.aborting) return;
    run.aborting = true;
    console.error(`\n${sig}: stopping everything the benchmark started`);
    stopAll().finally(() => process.exit(130));
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, HOST, () => {
      const addr = s.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      s.close(() => res(port));
    });
  });
}

export function loopbackOnly(url: string): string {
  if (new URL(url).hostname !== HOST) throw new Error(`refusing to talk to ${url}: the benchmark only talks to ${HOST}`);
  return url;
}

export async function httpGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const res = await request(loopbackOnly(url), { method: "GET", headers, headersTimeout: 60_000, bodyTimeout: 60_000 });
  return { status: res.statusCode, text: await res.body.text() };
}

export async function httpSend(t: Pick<RequestSpec, "url" | "method" | "headers" | "body">): Promise<{ status: number; text: string }> {
  const res = await request(loopbackOnly(t.url), {
    method: t.method,
    headers: t.headers,
    body: t.body,
    headersTimeout: 120_000,
    bodyTimeout: 120_000,
  });
  return { status: res.statusCode, text: await res.body.text() };
}

export async function waitHealthy(child: Child, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!child.alive) throw new Error(`${child.name} exited while starting:\n  ${child.tail.join("\n  ")}`);
    try {
      if ((await httpGet(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`${child.name} not healthy at ${url} within ${timeoutMs} ms:\n  ${child.tail.join("\n  ")}`);
}
