import { runService } from '@tocsin/runtime';
import { alerterService } from './service.ts';

await runService(alerterService);
