import { runService } from '@tocsin/runtime';
import { notifierWebhookService } from './index.ts';

await runService(notifierWebhookService);
