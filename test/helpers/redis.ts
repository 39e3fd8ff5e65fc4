/**
 * A real redis-server on a free port for one test file: started fresh (no persistence), stopped after.
 * A machine without redis-server fails the test: CI installs it (.ci/run).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { createConnection } from "node:net";

export interface RedisServer {
  port: number;
  url: string;
  /** Kill it (SIGKILL, as a crash) and wait for the exit. */
  kill(): Promise<void>;
  /** Start it again on the same port (empty). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true on +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: "127.0.0.1" });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once("error", () => done(false));
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.once("data", (data) => done(data.toString().startsWith("+PONG")));
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    const failed = new Promise<never>((_, reject) => {
      proc.once("error", (err) => reject(new Error(`could not start ${REDIS_SERVER} (install redis-server): ${err.message}`)));
      proc.once("exit", (code) => reject(new Error(`${REDIS_SERVER} exited with ${code} at start`)));
    });
    failed.catch(() => undefined);
    const deadline = Date.now() + 10_000;
    while (!(await Promise.race([ping(port), failed]))) {
      if (Date.now() > deadline) throw new Error(`${REDIS_SERVER} did not answer PING on port ${port}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    proc.removeAllListeners("exit");
    child = proc;
  };
  const kill = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once("exit", () => resolve());
      proc.kill("SIGKILL");
    });
  };
  await launch();
  return { port, url: `redis://127.0.0.1:${port}`, kill, restart: launch, close: kill };
}
