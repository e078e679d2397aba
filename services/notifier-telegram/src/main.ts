import { runService } from '@tocsin/runtime';
import telegramNotifier from './index.ts';

await runService(telegramNotifier);
