import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config.js";

describe("loadConfig", () => {
  it("has documented defaults", () => {
    expect(loadConfig({})).toEqual({
      port: 4000,
      host: "0.0.0.0",
      boundaryAddr: undefined,
      boundaryToken: undefined,
      demo: false,
      upstreamTimeoutMs: 10_000,
      maxListItems: 10_000,
      upstreamConnections: 32,
      upstreamMaxPerRoute: undefined,
      upstreamMaxPerResource: undefined,
      nodeEnv: "development",
      introspection: true,
      landingPage: true,
      explorer: true,
      maxBodyBytes: 1024 * 1024,
      logLevel: "info",
      tracing: undefined,
      federation: false,
      maxUpstreamConcurrencyPerRequest: 16,
      subscriptionMinIntervalMs: 500,
      subscriptionDefaultIntervalMs: 2_000,
      maxPollers: 200,
      maxPollersPerToken: 20,
      maxSubscriptionsPerConnection: 100,
      maxSocketBufferBytes: 4 * 1024 * 1024,
      fastLane: true,
      pagedListings: true,
      requestTimeoutMs: 20_000,
      upstreamConnectTimeoutMs: 3_000,
      upstreamRetries: 2,
      upstreamListBudget: 600,
      admission: { maxInflightCost: 10, cheapCost: 5, timeoutMs: 500 },
      rateLimitCostPerMinute: undefined,
      limits: { maxDepth: 10, maxAliases: 30, maxRootFields: 20, maxCost: 5_000, maxTokens: 5_000 },
      allowBatchedRequests: false,
      tls: {
        caCertPath: undefined,
        caPath: undefined,
        clientCertPath: undefined,
        clientKeyPath: undefined,
        insecure: false,
        serverName: undefined,
      },
      readyCacheMs: 2_000,
      shutdownTimeoutMs: 10_000,
      redisUrl: undefined,
      redisPrefix: "boundary-graphql:",
      redisKeySecret: undefined,
      workers: 1,
      allowedHosts: undefined,
      metricsPort: undefined,
      corsOrigins: undefined,
      httpRequestTimeoutMs: 30_000,
      httpHeadersTimeoutMs: 10_000,
      maxConnections: 1024,
      persistedDocuments: undefined,
      persistedDocumentsMode: "log",
    });
  });

  it("refuses a BOUNDARY_TOKEN that is not a header value, without echoing it", () => {
    expect(() => loadConfig({ BOUNDARY_TOKEN: "at_1\u0001secret" })).toThrow(/BOUNDARY_TOKEN must be a single token of visible characters/);
    expect(() => loadConfig({ BOUNDARY_TOKEN: "at_1\u0001secret" })).not.toThrow(/secret/);
  });

  it("reads ALLOWED_HOSTS as lower-case names, brackets dropped", () => {
    expect(loadConfig({ ALLOWED_HOSTS: " Gateway.Example ,[::1],*" }).allowedHosts).toEqual(["gateway.example", "::1", "*"]);
    expect(() => loadConfig({ HTTP_HEADERS_TIMEOUT_MS: "20000", HTTP_REQUEST_TIMEOUT_MS: "10000" })).toThrow(/HTTP_HEADERS_TIMEOUT_MS/);
  });

  it("turns introspection and the landing page off in production unless enabled", () => {
    expect(loadConfig({ NODE_ENV: "production", BOUNDARY_ADDR: "https://b.example.com" })).toMatchObject({
      introspection: false,
      landingPage: false,
    });
    expect(loadConfig({ NODE_ENV: "production", BOUNDARY_ADDR: "https://b.example.com", INTROSPECTION: "true" })).toMatchObject({
      introspection: true,
      landingPage: false,
    });
  });

  it("normalises BOUNDARY_ADDR like Boundary's client (trailing /v1 and slashes dropped)", () => {
    expect(loadConfig({ BOUNDARY_ADDR: "https://b.example.com:9200/v1/" }).boundaryAddr).toBe("https://b.example.com:9200");
    expect(loadConfig({ BOUNDARY_ADDR: "http://10.0.0.1:9200" }).boundaryAddr).toBe("http://10.0.0.1:9200");
  });

  it("names every bad variable at once, and never echoes a secret", () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: "70000",
        UPSTREAM_TIMEOUT_MS: "soon",
        MAX_LIST_ITEMS: "0",
        BOUNDARY_ADDR: "https://user:hunter2@b.example.com",
        BOUNDARY_TOKEN: "at_1234567890_s1 secretpart",
        INTROSPECTION: "maybe",
        LOG_LEVEL: "loud",
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(new Set(problems.map((p) => p.split(/[= ]/)[0]))).toEqual(
      new Set(["PORT", "UPSTREAM_TIMEOUT_MS", "MAX_LIST_ITEMS", "BOUNDARY_ADDR", "BOUNDARY_TOKEN", "INTROSPECTION", "LOG_LEVEL"]),
    );
    expect(problems).toHaveLength(7);
    expect((error as Error).message).not.toContain("hunter2");
    expect((error as Error).message).not.toContain("secretpart");
  });
});
