import Fastify from 'fastify';

// The harmony intake bench's baseline, run in a process of its own (as the service is): the same HTTP stack with
// nothing behind it. Prints its URL.
const bare = Fastify();
bare.post('/v1/harmony/reports', async (_req, reply) => reply.code(204).send());
console.log(await bare.listen({ host: '127.0.0.1', port: 0 }));
