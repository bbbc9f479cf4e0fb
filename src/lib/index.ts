// Small helpers shared by two or more layers. Nothing domain-specific lives here.
export * from './clock.ts';
export * from './logger.ts';
