import Fastify, { type FastifyInstance } from 'fastify';

/** A file part of a multipart request, described rather than kept. */
export interface RecordedFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
}

export interface ParsedBody {
  /** JSON body, the `payload_json` part of a multipart body, or the fields of a form. */
  body: unknown;
  files: RecordedFile[];
}

/**
 * A fastify instance that keeps every body as a raw Buffer, so the fakes parse JSON, forms and multipart
 * themselves and can record malformed bodies instead of fastify rejecting them first.
 */
export function createFakeHttpServer(): FastifyInstance {
  const app = Fastify({
    logger: false,
    // The SDKs keep connections alive, which would otherwise hold close() open.
    forceCloseConnections: true,
    bodyLimit: 32 * 1024 * 1024,
    // Interaction tokens are a few hundred characters; fastify's default limit is 100.
    routerOptions: { maxParamLength: 2048 },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  return app;
}

export async function listen(app: FastifyInstance, port: number): Promise<number> {
  await app.listen({ port, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('fake server has no TCP address');
  return address.port;
}

export class BodyParseError extends Error {}

export async function parseBody(contentType: string | undefined, raw: unknown): Promise<ParsedBody> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return { body: undefined, files: [] };
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json') {
    try {
      return { body: JSON.parse(raw.toString('utf8')), files: [] };
    } catch {
      throw new BodyParseError('invalid JSON body');
    }
  }
  if (type === 'application/x-www-form-urlencoded') {
    return { body: Object.fromEntries(new URLSearchParams(raw.toString('utf8'))), files: [] };
  }
  if (type === 'multipart/form-data') return parseMultipart(contentType!, raw);
  return { body: raw.toString('utf8'), files: [] };
}

async function parseMultipart(contentType: string, raw: Buffer): Promise<ParsedBody> {
  // The fetch Request parses multipart for us; no need for a multipart dependency.
  const form = await new Request('http://fake.invalid/', {
    method: 'POST',
    headers: { 'content-type': contentType },
    body: raw,
  }).formData();
  const fields: Record<string, string> = {};
  const files: RecordedFile[] = [];
  for (const [field, value] of form) {
    if (typeof value === 'string') fields[field] = value;
    else files.push({ field, filename: value.name, contentType: value.type, size: value.size });
  }
  if (fields.payload_json !== undefined) {
    try {
      return { body: JSON.parse(fields.payload_json), files };
    } catch {
      throw new BodyParseError('invalid payload_json');
    }
  }
  return { body: fields, files };
}

export function flatHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
