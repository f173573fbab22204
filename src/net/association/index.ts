export * from './access-control.ts';
export * from './negotiation.ts';
export * from './upper-layer.ts';
