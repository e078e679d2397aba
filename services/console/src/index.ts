export { TokenCheck } from './auth.ts';
export { type ConsoleConfig, consoleConfig } from './config.ts';
export { consoleService, VERSION } from './service.ts';
