/** `npm run emulator`: starts from the environment, prints its URL and tokens, stops cleanly on SIGTERM. */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

describe("emulator main", () => {
  it("prints its URL and one token per line, serves them, and exits 0 on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/emulator/main.ts"], {
      cwd: new URL("../..", import.meta.url),
      env: { ...process.env, PORT: "0", HOST: "127.0.0.1", SEED: "3", SESSIONS: "12", LATENCY_MS: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const rl = createInterface({ input: child.stdout! });
      // admin + 3 users + the scope-limited one.
      await new Promise<void>((resolve, reject) => {
        rl.on("line", (line) => {
          lines.push(line);
          if (lines.filter((l) => l.startsWith("at_")).length === 5) resolve();
        });
        child.on("exit", () => reject(new Error(`exited early: ${lines.join("\n")}`)));
      });
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(lines[0])![1];
      const tokens = lines.filter((l) => /^at_[A-Za-z0-9]{10}_s1[1-9A-HJ-NP-Za-km-z]+$/.test(l));
      expect(tokens).toHaveLength(5);
      const res = await fetch(`${url}/v1/sessions?scope_id=global&recursive=true`, { headers: { authorization: `Bearer ${tokens[0]}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: unknown[] }).items.length).toBeGreaterThan(0);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
