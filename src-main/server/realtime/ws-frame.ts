import * as wsModule from 'ws';

interface FrameBuilder {
  frame(
    data: Buffer,
    options: { readOnly: boolean; mask: boolean; rsv1: boolean; opcode: number; fin: boolean },
  ): Buffer[];
}

// ws exports its frame builder (`Sender`) from both its ESM and CJS entry points, but @types/ws does not
// describe it: this is its signature in ws 8.
const { Sender } = wsModule as unknown as { Sender: FrameBuilder };

/**
 * An unmasked, uncompressed, final text frame, built once: ws writes the same buffers to every socket it is
 * given to. Engine.IO's websocket transport accepts such a frame as `wsPreEncodedFrame` (socket.io's own
 * broadcast passes it the same way), which spares the per-socket UTF-8 copy and framing.
 */
export function preEncodedTextFrame(text: string): Buffer[] {
  return Sender.frame(Buffer.from(text), { readOnly: false, mask: false, rsv1: false, opcode: 1, fin: true });
}
