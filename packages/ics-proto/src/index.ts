export { type Codec, type Field, message } from './codec.ts';
export * from './provider.ts';
