// dcmjs ships no types; the benchmark uses one call of it.
declare module 'dcmjs' {
  const dcmjs: {
    data: { DicomMessage: { readFile(buffer: ArrayBufferLike, options?: Record<string, unknown>): unknown } };
  };
  export default dcmjs;
}
