import { runService } from '@tocsin/runtime';
import slackNotifier from './index.ts';

await runService(slackNotifier);
