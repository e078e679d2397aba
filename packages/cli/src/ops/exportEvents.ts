import { once } from 'node:events';
import { DeliverPolicy, jetstream, jetstreamManager } from '@nats-io/jetstream';
import { parseWhen } from '@tocsin/runtime';
import { progress } from './progress.ts';
import { CliError, type OpsOptions, runOps } from './session.ts';

/** One line of an export: the event and when the stream stored it (the time the alerter judged it at). */
export interface ExportLine {
  seq: number;
  stored_at: string;
  subject: string;
  event: unknown;
}

/** `since`/`until` of an export, or a usage error naming both forms. */
function when(text: string, now: number): number {
  try {
    return parseWhen(text, now);
  } catch (err) {
    throw new CliError((err as Error).message);
  }
}

export interface ExportArgs {
  since?: string;
  until?: string;
  source?: string[];
  out?: NodeJS.WritableStream;
}

/**
 * `tocsin events export --since … --until … [--source …]`: the events stream in that time range as JSONL, one
 * `{seq, stored_at, subject, event}` a line, read with an ordered consumer (nothing durable is created).
 */
export function exportCmd(a: ExportArgs, o: OpsOptions): Promise<number> {
  return runOps('events export', o, async (s) => {
    const out = a.out ?? process.stdout;
    const now = Date.now();
    const since = a.since ? when(a.since, now) : undefined;
    const until = a.until ? when(a.until, now) : now;
    const sources = a.source?.flatMap((x) => x.split(',')).filter(Boolean) ?? [];
    const stream = s.subjects.streams.events;
    const jsm = await jetstreamManager(s.nc);
    const info = await jsm.streams.info(stream).catch((err: Error) => {
      throw new CliError(`stream ${stream} not found (${err.message})`);
    });
    const lastSeq = info.state.last_seq;
    if (info.state.messages === 0) return 0;
    const c = await jetstream(s.nc).consumers.get(stream, {
      // NATS 2.9 takes one filter subject: one source is filtered by the server, several here.
      filter_subjects: sources.length === 1 ? s.subjects.events(sources[0]) : s.subjects.events(),
      ...(since !== undefined
        ? { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(since).toISOString() }
        : { deliver_policy: DeliverPolicy.All }),
    });
    const bar = progress('export');
    let written = 0;
    let skipped = 0;
    let totalSet = false;
    try {
      reading: for (;;) {
        const batch = await c.fetch({ max_messages: 500, expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          if (!totalSet) {
            // What is left in the range at most (the stream may hold more after --until).
            bar.total(m.info.pending + 1);
            totalSet = true;
          }
          bar.tick();
          if (m.time.getTime() > until) break reading;
          let event: { source?: string };
          try {
            event = m.json<{ source?: string }>();
          } catch {
            skipped++;
            event = {};
          }
          if (event.source !== undefined && (sources.length <= 1 || sources.includes(event.source))) {
            const line: ExportLine = {
              seq: m.seq,
              stored_at: m.time.toISOString(),
              subject: m.subject,
              event,
            };
            if (!out.write(`${JSON.stringify(line)}\n`)) await once(out, 'drain');
            written++;
          }
          if (m.info.pending === 0 || m.seq >= lastSeq) break reading;
        }
        if (got === 0) break;
      }
    } finally {
      bar.stop();
      await c.delete().catch(() => undefined);
    }
    if (skipped) process.stderr.write(`skipped ${skipped} messages that are not JSON\n`);
    process.stderr.write(`exported ${written} events\n`);
    return 0;
  });
}
