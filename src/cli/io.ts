/** Where a command writes: standard output for results, standard error for what went wrong. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
}
