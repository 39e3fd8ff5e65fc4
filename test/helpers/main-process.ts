/**
 * The gateway as a process of its own (`tsx src/main.ts`), for what only a process shows: its start-up
 * output, workers, signals, or dying as a process dies. Resolves once it logged "gateway ready".
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface MainProcess {
  child: ChildProcess;
  /** What "gateway ready" names: the GraphQL endpoint's URL. */
  url: string;
  /** Every JSON line it wrote to stdout so far, parsed. */
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export async function startMain(env: Record<string, string>, readyWithinMs = 15_000): Promise<MainProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root,
    env: { PATH: process.env.PATH, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "ignore"],
  });
  const lines: Record<string, unknown>[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start in ${readyWithinMs} ms`)), readyWithinMs);
    let buffer = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      buffer += chunk.toString();
      let nl: number;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          lines.push(parsed);
          if (parsed.msg === "gateway ready") {
            clearTimeout(timer);
            resolve(String(parsed.url));
          }
        } catch {
          /* not a log line */
        }
      }
    });
    void exited.then(() => reject(new Error("gateway exited before it was ready")));
  });
  return { child, url, lines, exited };
}
