import { runService } from '@tocsin/runtime';
import { cosmosIbcService } from './index.ts';

await runService(cosmosIbcService);
