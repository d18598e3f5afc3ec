// Module resolve hook (runs on the loader thread): 'electron' → electron-stub.mjs; everything else unchanged.
import { URL } from 'node:url';
const stub = new URL('./electron-stub.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: stub, shortCircuit: true };
  return next(specifier, context);
}
