/** Output channels of a CLI command, injected so commands are testable without a process. */
export interface CliIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
}
