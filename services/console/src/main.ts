import { runService } from '@tocsin/runtime';
import { consoleService } from './index.ts';

await runService(consoleService);
