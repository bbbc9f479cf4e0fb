// The server layer's public face: configuration, the node itself, and the Service seam.
export { loadConfig, ConfigError, type Config, type LoadConfigOptions, type LogLevel, type FloodConfig, type SipTlsConfig } from './config.ts';
export { SwitchboardServer, DEFAULT_SERVICES, type ServerState, type StartOptions } from './server.ts';
export type { Service, ServiceContext, ServiceFactory } from './service.ts';
export { createMetrics, type SwitchboardMetrics, type GaugeProviders, type GaugeName, type TransactionKind } from './metrics.ts';
export { createLogger } from './logger.ts';
export { ensureAdminKey, ADMIN_KEY_FILE, type AdminKey } from './admin-key.ts';
export { handleShutdownSignals } from './signals.ts';
export { detectPublicHost } from './public-host.ts';
export { VERSION } from './version.ts';
