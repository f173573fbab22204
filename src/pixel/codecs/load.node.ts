/**
 * The pixel layer with Node's worker-thread codecs registered in the default registry,
 * imported on first use: a process that only moves files as they are (a store SCU, an SCP)
 * never loads the codecs (~7 ms of start-up). Callers import this module statically; it
 * imports the pixel layer only when called.
 */
let registered = false;

export async function pixelWithNodeCodecs(): Promise<typeof import('../index.ts')> {
  const [pixel, { registerNodeCodecs }] = await Promise.all([
    import('../index.ts'),
    import('./node-codecs.node.ts'),
  ]);
  if (!registered) {
    registerNodeCodecs(pixel.defaultCodecs);
    registered = true;
  }
  return pixel;
}
