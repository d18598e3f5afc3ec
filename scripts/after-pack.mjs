// electron-builder afterPack hook: refuses a package whose native modules were not built for its Electron
// (scripts/native-abi.mjs). Runs before fuses and signing, so a bad build is never signed.
import process from 'node:process';
import { checkPackagedAbi, expectedAbi } from './native-abi.mjs';

export default async function afterPack(context) {
  const { modules, error } = checkPackagedAbi({
    appOutDir: context.appOutDir,
    abi: expectedAbi(context.packager.projectDir),
  });
  if (error) throw new Error(error);
  const names = modules.map((m) => m.file).join(', ') || 'no native modules';
  process.stdout.write(`  • native ABI check passed (${names})\n`);
}
