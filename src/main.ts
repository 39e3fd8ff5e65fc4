/**
 * The only module that touches the process: reads the environment, starts the embedded demo
 * controller when BOUNDARY_ADDR is unset, starts the gateway (or WORKERS of them under node:cluster),
 * and drains on SIGINT/SIGTERM.
 */
import cluster from "node:cluster";
import { ConfigError, loadConfig, type Config } from "./config.js";
import { createLogger, type Logger } from "./logger.js";
import { startGateway } from "./server.js";

type Emulator = Awaited<ReturnType<typeof import("./emulator/index.js").startEmulator>>;

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, undefined, { pretty: process.stdout.isTTY === true && config.nodeEnv !== "production" });
  // A promise rejected with nobody listening is a bug, but one request's bug must not take every
  // other caller's request down with the process: log it and go on.
  process.on("unhandledRejection", (reason) => {
    logger.error(
      { err: reason instanceof Error ? { name: reason.name, message: reason.message, stack: reason.stack } : String(reason) },
      "unhandled rejection",
    );
  });

  // Cluster workers get the controller's address (and in demo mode its admin token) from the primary.
  let emulator: Emulator | undefined;
  if (config.boundaryAddr === undefined && !cluster.isWorker) {
    // Loaded only in demo mode (which loadConfig allows in production only with DEMO=true), so a
    // gateway in front of a real controller never holds the emulator's code or its admin token.
    const { startEmulator } = await import("./emulator/index.js");
    emulator = await startEmulator({ port: 0, host: "127.0.0.1" });
    logger.warn(
      { boundaryAddr: emulator.url },
      "BOUNDARY_ADDR is unset: serving DEMO DATA from the embedded Boundary emulator; requests without a token act as its admin",
    );
  }

  if (config.workers > 1 && cluster.isPrimary) {
    runPrimary(config, logger, emulator);
    return;
  }

  const gateway = await startGateway(config, {
    logger,
    boundaryAddr: emulator?.url,
    fallbackToken: config.boundaryToken ?? emulator?.tokens.admin.token,
  });
  logger.info({ url: `${gateway.url}/graphql`, boundaryAddr: emulator?.url ?? config.boundaryAddr }, "gateway ready");

  onSignals(logger, config.shutdownTimeoutMs, async () => {
    await gateway.stop();
    await emulator?.close();
  });
}

/** WORKERS > 1: fork that many gateways sharing the port; the gateway holds no state between requests,
 * so any worker may serve any request. */
function runPrimary(config: Config, logger: Logger, emulator: Emulator | undefined): void {
  const env: Record<string, string> = {};
  if (emulator) {
    env.BOUNDARY_ADDR = emulator.url;
    if (config.boundaryToken === undefined) env.BOUNDARY_TOKEN = emulator.tokens.admin.token;
  }
  let stopping = false;
  const fork = () => cluster.fork(env);
  for (let i = 0; i < config.workers; i++) fork();
  cluster.on("exit", (worker, code, signal) => {
    if (stopping) return;
    logger.error({ pid: worker.process.pid, code, signal }, "worker died; starting another");
    fork();
  });
  logger.info({ workers: config.workers, port: config.port }, "cluster started");
  onSignals(logger, config.shutdownTimeoutMs, async () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w) => w !== undefined);
    await Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.once("exit", () => resolve());
            w.process.kill("SIGTERM");
          }),
      ),
    );
    await emulator?.close();
  });
}

/**
 * Drain once on SIGINT/SIGTERM: stop accepting, let in-flight requests finish, close the upstream
 * pool, exit 0; exit 1 if that takes over `timeoutMs`. A guarded `on` rather than `once`: under tsx a
 * group signal arrives twice (direct and relayed), and the second must not kill the process mid-drain.
 */
function onSignals(logger: Logger, timeoutMs: number, drain: () => Promise<void>): void {
  let draining = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (draining) return;
    draining = true;
    logger.info({ signal }, "draining");
    setTimeout(() => {
      logger.error({ timeoutMs }, "drain took too long; exiting");
      process.exit(1);
    }, timeoutMs).unref();
    drain().then(
      () => {
        logger.info("stopped");
        logger.flush?.();
        process.exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
