/** Build a value on first use and keep it: warm Lambda invocations reuse clients and caches. */
export function lazily<T>(make: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= make());
}
