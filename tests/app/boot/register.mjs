// `node --import ./register.mjs main.js`: resolves the bare specifier 'electron' to the stub next to this file.
import { register } from 'node:module';

register('./electron-hook.mjs', import.meta.url);
