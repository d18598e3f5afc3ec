// electron-builder beforeBuild hook: forces its native rebuild. @electron/rebuild skips a module whose
// build/Release/.forge-meta says it was already built for this Electron; a later `npm rebuild` for the tests
// replaces the binary but not that marker, so `npm run dist` would ship the Node build. No marker, no skip.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

function packageDirs(nodeModules) {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules).flatMap((name) => {
    if (name.startsWith('.')) return [];
    if (name.startsWith('@'))
      return readdirSync(join(nodeModules, name)).map((n) => join(nodeModules, name, n));
    return [join(nodeModules, name)];
  });
}

export default async function beforeBuild(context) {
  for (const dir of packageDirs(join(context.appDir, 'node_modules'))) {
    for (const type of ['Release', 'Debug']) {
      const marker = join(dir, 'build', type, '.forge-meta');
      if (existsSync(marker)) rmSync(marker);
    }
  }
  return true; // go on with electron-builder's own dependency handling (and its rebuild)
}
