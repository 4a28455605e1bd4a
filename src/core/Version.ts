/** kittyctx's version, printed by `--version` and recorded in the state files it writes. */
export const VERSION = "0.1.0"
