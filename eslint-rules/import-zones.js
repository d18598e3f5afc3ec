// @ts-check
/**
 * `outpost/import-zones`: the import zones of DESIGN.md, resolved by path. Each zone forbids files under `target`
 * from importing anything under one of `from`. Written in-house (≈40 lines) instead of eslint-plugin-import-x,
 * whose native resolver ships per-platform binaries that npm's lockfile cannot pin for every platform here,
 * which breaks `npm ci`.
 */
import { dirname, relative, resolve, sep } from 'node:path';

const inside = (file, dir) => {
  const rel = relative(dir, file);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[A-Za-z]:/.test(rel));
};

/** @type {import('eslint').Rule.RuleModule} */
export const importZones = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import zones from DESIGN.md' },
    schema: [{ type: 'object', properties: { zones: { type: 'array' } }, additionalProperties: false }],
  },
  create(context) {
    const root = context.cwd;
    const zones = (context.options[0]?.zones ?? []).map((z) => ({
      target: resolve(root, z.target),
      from: z.from.map((f) => resolve(root, f)),
      message: z.message,
    }));
    const file = context.filename;
    const mine = zones.filter((z) => inside(file, z.target));
    if (mine.length === 0) return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return; // packages are not zones
      const target = resolve(dirname(file), source);
      for (const z of mine) {
        const hit = z.from.find((f) => inside(target, f));
        if (hit) context.report({ node, message: `${z.message} ('${source}' is in ${relative(root, hit)})` });
      }
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'import-zones': importZones } };
