/** What one `npm run bench` measures and how; parsed from flags and environment by bench/run.ts. */
export interface Settings {
  durationS: number;
  warmupS: number;
  warmupMaxS: number;
  warmupRequests: number;
  connections: number;
  rounds: number;
  sessions: number;
  latencies: number[];
  rate: number;
  rateConnections: number;
  scenarios: Set<number>;
  cpuProfDir: string | undefined;
  gatewayNodeArgs: string[];
  mode: "dist" | "tsx";
  /** `--baseline <ref>`: an earlier build run beside this one in the throughput scenarios. */
  baseline: string | undefined;
  build: boolean;
}
