import { runService } from '@tocsin/runtime';
import { icsCcvService } from './index.ts';

await runService(icsCcvService);
