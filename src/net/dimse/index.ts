export * from './channel.ts';
export * from './commands.ts';
export * from './data-stream.ts';
export * from './status.ts';
