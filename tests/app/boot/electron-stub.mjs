// A stand-in for the `electron` module under plain Node: enough of app, BrowserWindow, ipcMain, session,
// protocol, dialog, safeStorage, Tray and utilityProcess for src-main/main.ts to boot. Every call the shell makes
// is recorded in a journal streamed to the test over the fork IPC channel; the test drives the app back through
// the same channel (IPC invokes, permission checks, protocol requests, navigation, quit). utilityProcess.fork is
// child_process.fork, so the real embedded server runs. Knobs (env): OUTPOST_STUB_APP_PATH (app root),
// OUTPOST_STUB_SAFESTORAGE (on | off | basic_text), OUTPOST_STUB_DIALOG_RESPONSES (comma list for showMessageBox).
import { Buffer } from 'node:buffer';
import { fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import process from 'node:process';
import { PassThrough } from 'node:stream';
import { setImmediate } from 'node:timers';
import { URL } from 'node:url';

let seq = 0;
function record(type, data = {}) {
  const entry = { seq: seq++, type, ...data };
  process.send?.({ kind: 'journal', entry });
  return entry;
}

const paths = new Map([['userData', process.env.OUTPOST_STUB_USER_DATA ?? '/nonexistent-user-data']]);
let ready = false;
const children = new Set();

class StubApp extends EventEmitter {
  isPackaged = false;
  commandLine = {
    appendSwitch: (name, value) => record('app.appendSwitch', { name, value }),
    hasSwitch: () => false,
  };
  getName = () => 'Outpost';
  getVersion = () => '0.0.0-stub';
  getAppPath = () => process.env.OUTPOST_STUB_APP_PATH;
  getPath = (name) => paths.get(name) ?? `/nonexistent-${name}`;
  setPath = (name, value) => {
    record('app.setPath', { name, value });
    paths.set(name, value);
  };
  requestSingleInstanceLock = () => {
    record('app.requestSingleInstanceLock');
    return true;
  };
  whenReady = () =>
    new Promise((resolve) =>
      setImmediate(() => {
        if (!ready) record('app.ready');
        ready = true;
        resolve();
      }),
    );
  quit = () => {
    record('app.quit');
    let prevented = false;
    this.emit('before-quit', { preventDefault: () => (prevented = true) });
    if (prevented) return;
    record('app.will-quit');
    finish(0);
  };
  exit = (code = 0) => {
    record('app.exit', { code });
    finish(code);
  };
}

function finish(code) {
  // Electron takes its utility processes down with it; one still alive here is a shutdown the shell skipped.
  for (const child of children) {
    record('utility.orphan', { pid: child.pid });
    child.kill('SIGKILL');
  }
  setImmediate(() => process.exit(code));
}

export const app = new StubApp();

let nextWebContentsId = 1;
const windows = [];

class StubWebContents extends EventEmitter {
  constructor() {
    super();
    this.id = nextWebContentsId++;
    this.url = '';
    this.destroyed = false;
    this.windowOpenHandler = null;
  }
  send(channel, payload) {
    record('webContents.send', { id: this.id, channel, payload });
  }
  isDestroyed() {
    return this.destroyed;
  }
  getURL() {
    return this.url;
  }
  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
}

export class BrowserWindow extends EventEmitter {
  constructor(options) {
    super();
    this.webContents = new StubWebContents();
    this.readyToShowFired = false;
    this.destroyed = false;
    windows.push(this);
    record('window.created', { id: this.webContents.id, options });
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url) {
    record('window.loadURL', { id: this.webContents.id, url });
    this.webContents.url = url;
    setImmediate(() => {
      this.readyToShowFired = true;
      record('window.ready-to-show', { id: this.webContents.id });
      this.emit('ready-to-show');
    });
    return Promise.resolve();
  }
  show() {
    record('window.show', { id: this.webContents.id, readyToShowFired: this.readyToShowFired });
  }
  focus() {}
  restore() {}
  isMinimized() {
    return false;
  }
  isDestroyed() {
    return this.destroyed;
  }
}

const handlers = new Map();
export const ipcMain = {
  handle(channel, fn) {
    if (handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    handlers.set(channel, fn);
    record('ipc.handle', { channel });
  },
  removeHandler(channel) {
    handlers.delete(channel);
  },
};

const protocolHandlers = new Map();
const sessionState = { permissionRequest: null, permissionCheck: null };
export const protocol = {
  registerSchemesAsPrivileged(schemes) {
    record('protocol.registerSchemesAsPrivileged', { schemes, afterReady: ready });
  },
  handle(scheme, fn) {
    protocolHandlers.set(scheme, fn);
    record('protocol.handle', { scheme });
  },
};

export const session = {
  defaultSession: {
    protocol,
    webRequest: { onHeadersReceived: () => record('session.onHeadersReceived') },
    setPermissionRequestHandler(fn) {
      sessionState.permissionRequest = fn;
      record('session.setPermissionRequestHandler');
    },
    setPermissionCheckHandler(fn) {
      sessionState.permissionCheck = fn;
      record('session.setPermissionCheckHandler');
    },
    setDevicePermissionHandler() {},
  },
};

const dialogResponses = (process.env.OUTPOST_STUB_DIALOG_RESPONSES ?? '1').split(',').map(Number);
export const dialog = {
  showErrorBox: (title, content) => record('dialog.showErrorBox', { title, content }),
  showMessageBox: async (options) => {
    const response = dialogResponses.length > 1 ? dialogResponses.shift() : dialogResponses[0];
    record('dialog.showMessageBox', { options, response });
    return { response, checkboxChecked: false };
  },
};

const ssMode = process.env.OUTPOST_STUB_SAFESTORAGE ?? 'on';
export const safeStorage = {
  isEncryptionAvailable: () => ssMode !== 'off',
  getSelectedStorageBackend: () => (ssMode === 'basic_text' ? 'basic_text' : 'gnome_libsecret'),
  // Reversible and visibly not plain text; this stub is about the shell's decisions, not the cipher.
  encryptString: (s) => Buffer.from(`stub:${Buffer.from(s).toString('base64')}`),
  decryptString: (b) => Buffer.from(b.toString().replace(/^stub:/, ''), 'base64').toString(),
};

export const shell = {
  openPath: async (p) => (record('shell.openPath', { path: p }), ''),
  openExternal: async (url) => void record('shell.openExternal', { url }),
};

export class Tray extends EventEmitter {
  constructor() {
    super();
    this.destroyed = false;
    record('tray.created');
  }
  setToolTip(text) {
    record('tray.tooltip', { text });
  }
  setContextMenu() {}
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    this.destroyed = true;
    record('tray.destroyed');
  }
}

export const Menu = { buildFromTemplate: (template) => template };
export const nativeImage = {
  createFromPath: () => ({
    resize() {
      return this;
    },
  }),
};

class StubUtilityProcess extends EventEmitter {
  constructor(modulePath, args, options) {
    super();
    const shim = new URL('./parent-port-shim.mjs', import.meta.url).href;
    this.child = fork(modulePath, args, {
      env: options.env,
      execArgv: [...(options.execArgv ?? []), '--import', shim],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.pid = this.child.pid;
    children.add(this.child);
    // A copy of stdout for the journal (the shell reads its own); stderr passes through untouched.
    this.stdout = new PassThrough();
    this.stderr = this.child.stderr;
    this.child.stdout.pipe(this.stdout);
    createInterface({ input: this.child.stdout }).on('line', (line) =>
      record('utility.stdout', { pid: this.pid, line }),
    );
    this.child.on('exit', (code, signal) => {
      children.delete(this.child);
      record('utility.exit', { pid: this.pid, code, signal });
      this.emit('exit', code ?? 1);
    });
  }
  postMessage(message) {
    record('utility.postMessage', { pid: this.pid, message });
    this.child.send(message);
  }
  kill() {
    record('utility.kill', { pid: this.pid });
    return this.child.kill('SIGKILL');
  }
}

export const utilityProcess = {
  fork(modulePath, args = [], options = {}) {
    record('utility.fork', { modulePath, args, serviceName: options.serviceName, stdio: options.stdio });
    return new StubUtilityProcess(modulePath, args, options);
  },
};

export default {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  nativeImage,
  protocol,
  safeStorage,
  session,
  shell,
  Tray,
  utilityProcess,
};

// The test's side of the channel: drive what Electron would (renderer IPC, permission prompts, requests to the
// app scheme, navigation, quitting).
function ourWindow(id) {
  return windows.find((w) => w.webContents.id === id) ?? windows[0];
}

async function serveCommand(cmd) {
  switch (cmd.cmd) {
    case 'invoke': {
      const fn = handlers.get(cmd.channel);
      if (!fn) return { error: `no handler for ${cmd.channel}` };
      const event = {
        sender: { id: cmd.senderId },
        senderFrame: { url: cmd.url, parent: cmd.parent ?? null },
      };
      return { value: await fn(event, cmd.payload) };
    }
    case 'permission': {
      const wc = ourWindow(cmd.senderId).webContents;
      const granted = await new Promise((resolve) =>
        sessionState.permissionRequest(wc, cmd.permission, resolve, { requestingUrl: cmd.url }),
      );
      const checked = sessionState.permissionCheck(wc, cmd.permission, new URL(cmd.url).origin, {
        requestingUrl: cmd.url,
      });
      return { value: { granted, checked } };
    }
    case 'protocol': {
      const scheme = new URL(cmd.url).protocol.slice(0, -1);
      const res = await protocolHandlers.get(scheme)({ url: cmd.url, method: 'GET' });
      const body = res.body ? await res.text() : '';
      return { value: { status: res.status, headers: Object.fromEntries(res.headers), body } };
    }
    case 'navigate': {
      let prevented = false;
      ourWindow(cmd.senderId).webContents.emit(
        'will-navigate',
        { preventDefault: () => (prevented = true) },
        cmd.url,
      );
      return { value: { prevented } };
    }
    case 'open-window': {
      const result = ourWindow(cmd.senderId).webContents.windowOpenHandler({ url: cmd.url });
      return { value: result };
    }
    case 'quit':
      app.quit();
      return { value: null };
    default:
      return { error: `unknown command ${cmd.cmd}` };
  }
}

process.on('message', (cmd) => {
  serveCommand(cmd).then(
    (reply) => process.send?.({ kind: 'reply', id: cmd.id, ...reply }),
    (err) => process.send?.({ kind: 'reply', id: cmd.id, error: String(err?.stack ?? err) }),
  );
});
