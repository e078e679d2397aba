import { runService } from '@tocsin/runtime';
import { harmonySignersService } from './index.ts';

await runService(harmonySignersService);
