// Preloaded into the "utility process" (a child_process.fork here): Electron's `process.parentPort`, carried over
// the fork's IPC channel. Like a real utilityProcess, it dies with the main process.
import { EventEmitter } from 'node:events';
import process from 'node:process';

const port = new EventEmitter();
port.postMessage = (message) => process.send?.(message);
process.parentPort = port;
process.on('message', (data) => port.emit('message', { data }));
process.on('disconnect', () => process.exit(1));
