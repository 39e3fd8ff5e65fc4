/**
 * The only module that touches the process: reads the environment, starts the embedded demo
 * controller when BOUNDARY_ADDR is unset, starts the gateway, and drains on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from "./config.js";
import { startEmulator } from "./emulator/index.js";
import { createLogger } from "./logger.js";
import { startGateway } from "./server.js";

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel);

  let emulator: Awaited<ReturnType<typeof startEmulator>> | undefined;
  if (config.boundaryAddr === undefined) {
    emulator = await startEmulator({ port: 0, host: "127.0.0.1" });
    logger.warn(
      { boundaryAddr: emulator.url },
      "BOUNDARY_ADDR is unset: serving DEMO DATA from the embedded Boundary emulator; requests without a token act as its admin",
    );
  }

  const gateway = await startGateway(config, {
    logger,
    boundaryAddr: emulator?.url,
    fallbackToken: config.boundaryToken ?? emulator?.tokens.admin.token,
  });
  logger.info({ url: `${gateway.url}/graphql`, boundaryAddr: emulator?.url ?? config.boundaryAddr }, "gateway ready");

  // A guarded `on` rather than `once`: under tsx a group signal arrives twice (direct and relayed),
  // and a second arrival must not kill the process mid-drain.
  let draining = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (draining) return;
    draining = true;
    logger.info({ signal }, "draining");
    const force = setTimeout(() => {
      logger.error("drain took over 10 s; exiting");
      process.exit(1);
    }, 10_000);
    force.unref();
    gateway
      .stop()
      .then(() => emulator?.close())
      .then(() => {
        logger.info("stopped");
        process.exit(0);
      })
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
