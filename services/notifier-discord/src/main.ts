import { runService } from '@tocsin/runtime';
import { discordNotifier } from './index.ts';

await runService(discordNotifier);
