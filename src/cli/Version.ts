/** The version printed by `--version` and recorded by background processes. */
export const VERSION = "0.1.0"
