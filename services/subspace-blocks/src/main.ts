import { runService } from '@tocsin/runtime';
import { subspaceBlocksService } from './index.ts';

await runService(subspaceBlocksService);
